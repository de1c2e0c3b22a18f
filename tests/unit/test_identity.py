"""One person, one identity (issue 10, point 2): every spelling of an address is one person,
odd addresses are refused, and From is read strictly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.identity import (
    AddressError,
    FromError,
    OnBehalfError,
    canonical_address,
    parse_from,
    people_from,
    same_person,
    try_canonical,
)

KACHO = "kacho@town.example.jp"


@pytest.mark.parametrize(
    "spelling",
    [
        "kacho@town.example.jp",
        "Kacho@Town.Example.JP",
        "KACHO@TOWN.EXAMPLE.JP",
        "kacho+sns@town.example.jp",
        "Kacho+SNS.Review@town.example.jp",
        "kacho+@town.example.jp",
        '"kacho"@town.example.jp',
        '"kacho+sns"@town.example.jp',
        "<kacho@town.example.jp>",
        "kacho@town.example.jp.",
        " kacho@town.example.jp ",
    ],
)
def test_every_spelling_of_kacho_is_kacho(spelling):
    assert canonical_address(spelling) == KACHO


@pytest.mark.parametrize(
    "odd",
    [
        '"mallory@evil.example.com>"@town.example.jp',
        "mallory%evil.example.com@town.example.jp",
        "evil.example.com!mallory@town.example.jp",
        '"ka cho"@town.example.jp',
        '"ka\\"cho"@town.example.jp',
        "ka cho@town.example.jp",
        "<kacho>@town.example.jp",
        "ka<cho@town.example.jp",
        "kacho=x@town.example.jp",
        "kacho'@town.example.jp",
        ".kacho@town.example.jp",
        "kacho.@town.example.jp",
        "ka..cho@town.example.jp",
        "+sns@town.example.jp",
        "やまだ@town.example.jp",
        "kacho@[192.0.2.1]",
        "kacho@town..example.jp",
        "kacho@-town.example.jp",
        "kacho@town_example.jp",
        "@relay.example:kacho@town.example.jp",
        "kacho",
        "@town.example.jp",
        "",
        "kacho%+x@town.example.jp",
        "kacho+a%b@town.example.jp",
        "kacho+a!b@town.example.jp",
        "kacho+.x@town.example.jp",
        "kacho+x.@town.example.jp",
        # mixed scripts and widths in the local part (session 5 audit): the Kelvin sign
        # U+212A lower-cases to an ASCII k and was read as kacho
        "\u212aacho@town.example.jp",
        "\u212aACHO@town.example.jp",
        "k\u0430cho@town.example.jp",
        "\uff4b\uff41\uff43\uff48\uff4f@town.example.jp",
        "kacho+\u212a@town.example.jp",
    ],
)
def test_odd_addresses_are_refused(odd):
    with pytest.raises(AddressError):
        canonical_address(odd)
    assert try_canonical(odd) is None


def test_refusal_says_why_in_japanese():
    with pytest.raises(AddressError) as info:
        canonical_address("mallory%evil.example.com@town.example.jp")
    assert "使えない文字" in info.value.ja


def test_an_internationalised_domain_becomes_its_ascii_form():
    assert canonical_address("kacho@辰野町.jp") == "kacho@" + "辰野町".encode("idna").decode() + ".jp"
    # A Cyrillic look-alike of the town's domain is another domain, never the town's.
    assert canonical_address("kacho@tоwn.example.jp") != KACHO


# --------------------------------------------------------------------------- people


PEOPLE = people_from(
    [
        ("課長 山田", ["kacho@town.example.jp", "yamada.t@town.example.jp", "Yamada@Mobile.Example.JP"]),
        ("係長 佐藤", ["kakaricho@town.example.jp"]),
    ]
)


@pytest.mark.parametrize(
    "alias",
    ["yamada.t@town.example.jp", "YAMADA.T+x@town.example.jp", "yamada@mobile.example.jp", KACHO],
)
def test_listed_aliases_are_one_person(alias):
    assert PEOPLE.key(alias) == KACHO
    assert same_person(alias, "kacho+sns@town.example.jp", PEOPLE)


def test_different_people_stay_different():
    assert not same_person(KACHO, "kakaricho@town.example.jp", PEOPLE)
    assert PEOPLE.key("someone@town.example.jp") == "someone@town.example.jp"


def test_refused_addresses_are_nobody_not_a_match():
    assert not same_person("mallory%x@town.example.jp", "mallory%x@town.example.jp", PEOPLE)


def test_one_address_cannot_belong_to_two_people():
    with pytest.raises(ValueError, match="two people"):
        people_from([("a", ["a@town.example.jp"]), ("b", ["b@town.example.jp", "A+x@town.example.jp"])])


# --------------------------------------------------------------------------- From


@pytest.mark.parametrize(
    ("value", "address", "name"),
    [
        ("kacho@town.example.jp", KACHO, ""),
        ("山田 太郎 <Kacho@Town.Example.JP>", KACHO, "山田 太郎"),
        ('"山田 太郎" <kacho+sns@town.example.jp>', KACHO, "山田 太郎"),
        ("=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <kacho@town.example.jp>", KACHO, "山田"),
        # Old Japanese mailers quote their encoded words: cosmetic, still kacho.
        ('"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=" <kacho@town.example.jp>', KACHO, "山田"),
        ("Taro T. Yamada <kacho@town.example.jp>", KACHO, "Taro T. Yamada"),
        ('"Yamada, Taro (総務課)" <kacho@town.example.jp>', KACHO, "Yamada, Taro (総務課)"),
        ("kacho@town.example.jp (Kacho)", KACHO, ""),
        ('"kacho@town.example.jp" <kacho@town.example.jp>', KACHO, "kacho@town.example.jp"),
        ("山田\r\n <kacho@town.example.jp>", KACHO, "山田"),
        ('"kacho"@town.example.jp', KACHO, ""),
    ],
)
def test_genuine_from_shapes(value, address, name):
    got = parse_from([value])
    assert got.address == address
    assert got.name == name


@pytest.mark.parametrize(
    "value",
    [
        # an address inside an unquoted display name: not kacho, not anyone
        "kacho@town.example.jp <mallory@evil.example.com>",
        "mallory@evil.example.com <kacho@town.example.jp>",
        "Kacho <kacho@town.example.jp> mallory@evil.example.com",
        # a display name naming another address, quoted or encoded
        '"kacho@town.example.jp" <mallory@evil.example.com>',
        "=?utf-8?q?kacho=40town.example.jp?= <mallory@evil.example.com>",
        '"kacho＠town.example.jp" <kakaricho@town.example.jp>',
        # odd local parts
        '"mallory@evil.example.com>"@town.example.jp',
        "mallory%evil.example.com@town.example.jp",
        "<mallory%evil.example.com@town.example.jp>",
        # route addresses, groups, several addresses, nothing
        "<@relay.example:kacho@town.example.jp>",
        "staff: kacho@town.example.jp;",
        "undisclosed-recipients:;",
        "kacho@town.example.jp, mallory@evil.example.com",
        "<>",
        "",
        "mallory@evil.example.com@town.example.jp",
        "Tanaka, Taro <kacho@town.example.jp>",
        "x" * 3000 + " <kacho@town.example.jp>",
    ],
)
def test_hostile_from_shapes_are_errors(value):
    with pytest.raises(FromError):
        parse_from([value])


def test_several_from_headers_are_an_error():
    with pytest.raises(FromError, match="several From"):
        parse_from([KACHO, "mallory@evil.example.com"])
    with pytest.raises(FromError, match="no From"):
        parse_from([])


def test_sender_must_be_the_same_address():
    assert parse_from([KACHO], ["Kacho+x@town.example.jp"]).address == KACHO
    with pytest.raises(FromError, match="on behalf"):
        parse_from([KACHO], ["secretary@town.example.jp"])
    with pytest.raises(FromError):
        parse_from([KACHO], ["kacho@town.example.jp <mallory@evil.example.com>"])


def test_a_sender_of_the_froms_own_person_is_that_persons_mail():
    people = people_from([("課長", [KACHO, "kacho.home@example.com"])])
    assert parse_from([KACHO], ["Kacho.Home@Example.com"], people).address == KACHO
    with pytest.raises(OnBehalfError):
        parse_from([KACHO], ["secretary@town.example.jp"], people)
    with pytest.raises(OnBehalfError):  # without the listing, two addresses are two people
        parse_from([KACHO], ["kacho.home@example.com"])


# --------------------------------------------------------------------------- properties

_atom = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
_local = st.lists(_atom, min_size=1, max_size=3).map(".".join)
_domain = st.sampled_from(["town.example.jp", "city.example.lg.jp", "example.com"])


@st.composite
def spellings(draw):
    """A staff address and a spelling of it as a person or a mail client might write it."""
    local, domain = draw(_local), draw(_domain)
    spelled = "".join(c.upper() if draw(st.booleans()) else c for c in local)
    tag = draw(
        st.one_of(
            st.none(),
            st.just(""),
            st.lists(st.text(alphabet="abcxyz019_-+", min_size=1, max_size=4), max_size=3).map(
                ".".join
            ),
        )
    )
    if tag is not None:
        spelled = f"{spelled}+{tag}"
    if draw(st.booleans()):
        spelled = f'"{spelled}"'
    dom = "".join(c.upper() if draw(st.booleans()) else c for c in domain)
    spelled = f"{spelled}@{dom}"
    if draw(st.booleans()):
        spelled = f"<{spelled}>"
    return f"{local}@{domain}", spelled


@settings(max_examples=300, deadline=None)
@given(spellings())
def test_any_spelling_of_a_staff_address_is_the_same_person(pair):
    address, spelled = pair
    people = people_from([("someone", [address])])
    assert canonical_address(spelled) == address
    assert people.key(spelled) == address
    assert same_person(spelled, address, people)
    assert parse_from([f"名前 {spelled if spelled.startswith('<') else '<' + spelled + '>'}"]).address == address


_odd = st.sampled_from([*"%!\"<>@ \t='(),;:[]\\/`~#$&*?^{|}", "\u3000", "\u200b", "é", "＠"])


@settings(max_examples=300, deadline=None)
@given(_local, _odd, _local, _domain)
def test_odd_characters_in_the_local_part_are_refused(left, odd, right, domain):
    address = f"{left}{odd}{right}@{domain}"
    with pytest.raises((AddressError, FromError)):
        canonical_address(address)
    with pytest.raises(FromError):
        parse_from([address])
    with pytest.raises(FromError):
        parse_from([f"<{address}>"])
