"""X length and link extraction against twitter-text's own conformance suite, read from
../shared/peer/twitter-text/ (validate.yml: WeightedTweetsCounterTest with config v2,
WeightedTweetsWithDiscountedEmojiCounterTest and UnicodeDirectionalMarkerCounterTest with
v3; extract.yml: every URL case), plus the cases of the checker issue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.checker import CheckContext, Checker
from gateway.checker.xtext import V2, V3, extract_urls, parse

REPO = Path(__file__).resolve().parents[2]
# ../shared/peer/twitter-text beside the repository (or beside a folder holding it: a worktree)
PEER = next(
    (
        p / "shared" / "peer" / "twitter-text"
        for p in REPO.parents
        if (p / "shared" / "peer" / "twitter-text").is_dir()
    ),
    REPO.parent / "shared" / "peer" / "twitter-text",
)
needs_peer = pytest.mark.skipif(
    not PEER.is_dir(), reason=f"twitter-text conformance suite not found at {PEER}"
)


def _suite(name: str) -> dict:
    return yaml.safe_load((PEER / "conformance" / name).read_text(encoding="utf-8"))["tests"]


def _cases(file: str, *groups: str) -> list:
    if not PEER.is_dir():
        return []
    tests = _suite(file)
    return [pytest.param(g, c, id=f"{g}: {c['description']}") for g in groups for c in tests[g]]


@needs_peer
def test_our_weights_are_those_of_config_v3() -> None:
    v3 = json.loads((PEER / "config" / "v3.json").read_text())
    assert v3["maxWeightedTweetLength"] == V3.max_weighted_length
    assert (v3["scale"], v3["defaultWeight"]) == (V3.scale, V3.default_weight)
    assert v3["transformedURLLength"] == V3.url_length
    assert v3["emojiParsingEnabled"] is V3.emoji_parsing
    assert [(r["start"], r["end"], r["weight"]) for r in v3["ranges"]] == list(V3.ranges)


@needs_peer
@pytest.mark.parametrize(
    ("group", "case"),
    _cases(
        "validate.yml",
        "WeightedTweetsCounterTest",
        "WeightedTweetsWithDiscountedEmojiCounterTest",
        "UnicodeDirectionalMarkerCounterTest",
    ),
)
def test_weighted_length_conformance(group: str, case: dict) -> None:
    config = V2 if group == "WeightedTweetsCounterTest" else V3
    got = parse(case["text"], config)
    want = case["expected"]
    assert (got.weighted_length, got.valid, got.permillage, got.valid_range_end) == (
        want["weightedLength"],
        want["valid"],
        want["permillage"],
        want["validRangeEnd"],
    )


@needs_peer
@pytest.mark.parametrize(
    ("group", "case"),
    _cases(
        "extract.yml",
        "urls",
        "urls_with_indices",
        "urls_with_directional_markers",
        "tco_urls_with_params",
    ),
)
def test_url_extraction_conformance(group: str, case: dict) -> None:
    urls = extract_urls(case["text"])
    want = case["expected"]
    if want and isinstance(want[0], dict):
        assert [{"url": u.url, "indices": [u.start, u.end]} for u in urls] == want
    else:
        assert [u.url for u in urls] == want


def test_a_link_ends_where_japanese_begins() -> None:
    text = "詳しくは https://www.town.tatsuno.lg.jp/event/をご覧ください"
    (url,) = extract_urls(text)
    assert url.url == "https://www.town.tatsuno.lg.jp/event/"
    # the Japanese after the link is counted, two each
    assert parse(text).weighted_length == 4 * 2 + 1 + 23 + 7 * 2


def test_an_overlong_post_with_a_link_followed_by_japanese_is_found() -> None:
    checker = Checker.load()
    text = "https://example.jp/event/" + "ご覧ください。" * 20  # 23 + 280
    found = [
        f for f in checker.check(text, CheckContext(platform="x")) if f.rule == "platform-length"
    ]
    assert found and "303" in found[0].message


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("🇯🇵", 2),  # a flag: two regional indicators, one emoji
        ("1️⃣", 2),  # a keycap
        ("👨‍👩‍👧‍👦", 2),  # a family joined by ZWJ
        ("👍🏻", 2),  # with a skin tone
        ("か\u3099", 2),  # decomposed が: NFC first, so one character
        ("ガ", 2),
        ("abc", 3),
    ],
)
def test_emoji_and_decomposed_kana_weigh_as_x_counts(text: str, weight: int) -> None:
    assert parse(text).weighted_length == weight


HOSTILE = {
    "dotted labels": "a.",
    "dotted kana": "あ.",
    "underscored": "a_b.",
    "cctld then space": "x.jp ",
    "links back to back": "https://a.jp/https://",
    "open brackets in a path": "https://e.jp/(a",
    "nested brackets": "https://e.jp/((a)",
    "long query": "https://e.jp/?a=",
    "kana after a link": "https://e.jp/あ",
    "flags": "\U0001f1ef",
}


@pytest.mark.parametrize("unit", list(HOSTILE.values()), ids=list(HOSTILE))
def test_link_scanning_does_work_linear_in_the_text(unit: str, monkeypatch) -> None:
    """Counted, not timed: label tables built, starts decided and path runs scanned grow
    no faster than the text (twitter-text-parser's regex retries every start)."""
    from gateway.checker import xtext, xtext_parts

    steps = {"n": 0}

    def counting(fn):
        def wrapper(*args, **kwargs):
            steps["n"] += 1
            return fn(*args, **kwargs)

        return wrapper

    parts = xtext_parts  # where the tables and paths are read (and these looked up)
    monkeypatch.setattr(parts, "_tld_end", counting(parts._tld_end))
    monkeypatch.setattr(parts._Run, "domain_end", counting(parts._Run.domain_end))
    monkeypatch.setattr(parts, "_path_run_end", counting(parts._path_run_end))
    monkeypatch.setattr(parts, "_balanced", counting(parts._balanced))
    counts = []
    for size in (2_000, 8_000):
        steps["n"] = 0
        xtext.parse(unit * (size // len(unit)))
        counts.append(steps["n"])
    assert counts[1] <= 4.5 * counts[0] + 10, counts


# --- the shortcuts of extract_urls compared with the plain computation ---


def _plain_extract_urls(text: str) -> list[tuple[str, int, int]]:
    """extract_urls as it was before its shortcuts: every run of host characters (with or
    without a dot) gets its own label table on the whole text, both protocols are tried
    at every run, and every protocol link is tried as a t.co link."""
    from gateway.checker import xtext_links as xl
    from gateway.checker import xtext_parts as xp

    out: list[tuple[str, int, int]] = []
    pos = 0
    for run in xp._RUN_RE.finditer(text):
        r0, r1 = run.span()
        if r1 <= pos or text.find(".", r0, r1) < 0 or not xp._may_hold_tld(text, r0, r1):
            continue
        table = xp._Run(text, r0, r1)
        proto = None
        for p in (r0 - 8, r0 - 7):
            if p >= 0 and xp._PROTOCOL_RE.fullmatch(text, p, r0):
                proto = p
        if (
            proto is not None
            and (proto >= pos + 1 or proto == pos == 0)
            and xl._before_ok(text, proto)
            and (end := table._domain_end(r0)) >= 0
        ):
            pos = _plain_take(text, out, proto, r0, end, text[proto:r0])
            if pos >= r1:
                continue
        u = max(r0, pos + 1 if pos else 0)
        while u < r1:
            if xp._DOMAIN_CHAR_RE.match(text, u) and xl._before_ok(text, u):
                end = table._domain_end(u)
                if end >= 0:
                    pos = _plain_take(text, out, u, u, end, None)
                    u = pos + 1
                    continue
                k = table.label_of(u)
                under = text.rfind("_", u, table.ends[k])
                u = under + 1 if under >= 0 else table.ends[k] + 1
            else:
                u += 1
    return out


def _plain_take(text: str, out: list, start: int, d0: int, d1: int, protocol: str | None) -> int:
    from gateway.checker import xtext_parts as xp

    end = d1
    if text.startswith(":", end) and end + 1 < len(text) and text[end + 1].isdigit():
        m = xp._PORT_RE.match(text, end + 1)
        end = m.end() if m else end
    has_path = text.startswith("/", end)
    if has_path:
        end = xp._path_end(text, end + 1)
    if text.startswith("?", end) and (q := xp._query_end(text, end + 1)) >= 0:
        end = q
    url, domain = text[start:end], text[d0:d1]
    if not xp._valid_url(url, protocol or "https://", domain):
        return end
    if protocol is not None:
        tco = xp._TCO_RE.match(url)
        if tco:
            if len(tco.group(1)) > xp._MAX_TCO_SLUG:
                return end
            url = tco.group(0)
        out.append((url, start, start + len(url)))
        return end
    if start > 0 and text[start - 1] in "-_./":
        return end
    found = [(domain[a:b], d0 + a, d0 + b) for a, b in xp._ascii_domains(domain)]
    if found and has_path:
        found[-1] = (url.replace(domain, found[-1][0], 1), found[-1][1], end)
    out.extend(found)
    return end


# pieces links are made of, and what stands around them in a post
_LINK_PIECES = [
    "https://", "http://", "HTTPS://", "httpſ://", "://", "www.", "t.co/", "T.CO/abc",
    "a", "ab_c", "-x", "jp", "com", "xn--p1ai", "ｊｐ", "例え", ".", "..", "/", "?a=1",
    ":8080", "(a)", "(", ")", "@", "+", "#", "$", "_", "-", " ", "\n", "、", "をご覧", "死ね",
    "\u202e", "city.tatsuno.lg.jp", "a.jp", "t.co", "K", "1", "7", "h2", "例3",
]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(pieces=st.lists(st.sampled_from(_LINK_PIECES), max_size=14), times=st.integers(1, 3))
def test_links_found_with_shared_run_tables_equal_one_table_per_run(pieces, times) -> None:
    """A table per run text (offsets in the run), the runs without a dot skipped by the
    run regex, one protocol tried, the t.co regex only on a t.co domain: the same links,
    at the same places, as the plain computation. Repeated, so that runs share tables."""
    text = "".join(pieces) * times
    assert [tuple(u) for u in extract_urls(text)] == _plain_extract_urls(text)


def _plain_weighted_length(text: str) -> tuple[int, int | None]:
    """parse's weighted length and first character past the limit as computed before its
    shortcuts: every emoji looked for from the start, every gap weighed on its own."""
    import unicodedata

    from gateway.checker import xtext as x

    config = V3
    norm = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    entities = [(u.start, u.end, config.url_length * config.scale) for u in extract_urls(norm)]
    entities += [(m.start(), m.end(), config.default_weight) for m in x._EMOJI_RE.finditer(norm)]
    entities.sort()
    limit = config.max_weighted_length * config.scale
    total, pos, over = 0, 0, None
    for s, e, w in [*entities, (len(norm), len(norm), 0)]:
        if s < pos:
            continue
        seg = norm[pos:s]
        seg_weight = x._segment_weight(seg, config)
        if over is None and total + seg_weight > limit:
            running = total
            for k, ch in enumerate(seg):
                running += x._char_weight(ch, config)
                if running > limit:
                    over = pos + k
                    break
        total += seg_weight
        if e > s:
            total += w
            if over is None and total > limit:
                over = s
        pos = e
    return total // config.scale, over


_POST_PIECES = [
    "https://a.jp/", "https://www.town.tatsuno.lg.jp/event/", "t.co", "例え.jp", " ", "\n",
    "ほたる祭り", "のお知らせです。", "abc", "😀", "👍🏻", "🇯🇵", "1️⃣", "👨‍👩‍👧", "#", "1",
    "https://e.jp/😀", "か\u3099",
]  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(pieces=st.lists(st.sampled_from(_POST_PIECES), max_size=12), times=st.integers(1, 40))
def test_weighing_past_the_limit_in_one_pass_equals_weighing_every_gap(pieces, times) -> None:
    """Past the limit the gaps are weighed joined and emoji looked for from the first
    character one can begin with: the same length and the same first character past
    the limit as weighing every gap, on posts under and far over 280."""
    text = "".join(pieces) * times
    got = parse(text)
    assert (got.weighted_length, got.over) == _plain_weighted_length(text)


def _plain_path_end(text: str, i: int) -> int:
    """_path_end as it was: each run's last path-ending character found by asking each
    character back from the run's end."""
    from gateway.checker import xtext_parts as xp

    last = i
    n = len(text)
    while i < n:
        j = xp._path_run_end(text, i)
        if j > i:
            for k in range(j - 1, i - 1, -1):
                if xp._PATH_END.match(text, k):
                    last = k + 1
                    break
            i = j
        if i < n and text[i] == "(":
            g = xp._balanced(text, i)
            if g < 0:
                break
            i = last = g
        elif j == i or i >= n or text[i] != "(":
            break
    return last


@settings(max_examples=2000, deadline=None)
@given(path=st.text(alphabet=list("aZ9-_/=+#!.,;:'*$%~@|&()[]éЖ– あ\n?"), max_size=16))
def test_path_end_in_one_match_per_run_equals_asking_each_character_back(path: str) -> None:
    from gateway.checker.xtext_parts import _path_end

    for i in range(len(path) + 1):
        assert _path_end(path, i) == _plain_path_end(path, i), (path, i)


_LABELS = ["a", "h1", "A-b", "-c", "d-", "jp", "JP", "com", "co", "xn--p1ai", "例え", "x" * 63,
           "y" * 64, "1", "23", "ab_c", "ｊｐ", "tokyo", "詳しくはexample", "例-1", 'a"b', "あ。い",
           "例" * 70, "ｘ" * 64, "コム", "コムx", "みんな", "РФ", "भारतम्"]  # fmt: skip
_AROUND = ["", " ", "https://", "http://", "www.", "a", "@", "+", "-", "/", ".", "_", "(", "、"]
_AFTER = ["", " ", "/", "/x", "@", "+", ":80", "?q=1", ".", "、", "(", ")", '"', '"https://a.jp',
          "をご覧ください", "_x", "ー.jp", "é", "例.jp", "-x", "\u3099"]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(
    hosts=st.lists(
        st.tuples(
            st.sampled_from(_AROUND),
            st.lists(st.sampled_from(_LABELS), min_size=1, max_size=5),
            st.sampled_from(_AFTER),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_ordinary_hosts_decided_without_tables_equal_the_plain_computation(hosts) -> None:
    """An ordinary host (ASCII labels, a TLD last) is decided without label tables
    (_simple_plan): the same links as the plain computation, with every kind of
    label, protocol and character around it, and next to hosts that are not ordinary."""
    text = "".join(before + ".".join(labels) + after for before, labels, after in hosts)
    assert [tuple(u) for u in extract_urls(text)] == _plain_extract_urls(text)


_EMOJI_PIECES = ["😀", "👍", "🏻", "\ufe0f", "\u200d", "🇯", "🇵", "1", "#", "*", "\u20e3",
                 "🏴", "\U000e0067", "\U000e007f", "a", "あ", "©", "\u2600", " "]  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(pieces=st.lists(st.sampled_from(_EMOJI_PIECES), max_size=12))
def test_emoji_after_one_first_class_equal_the_four_alternatives(pieces) -> None:
    """_EMOJI_RE takes an emoji's first character as one class, each alternative then
    looking back at it: the same emoji, at the same places, as the four alternatives
    tried at every character (UTS #51's flags, keycaps, tag sequences, ZWJ sequences);
    on a text without U+20E3 so does the regex without keycaps, and its first class
    finds no place after the first emoji."""
    import re

    from gateway.checker import xtext as x

    plain = re.compile(
        "[\U0001f1e6-\U0001f1ff]{2}"
        "|[0-9#*]\ufe0f?\u20e3"
        "|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"
        f"|{x._ELEMENT}(?:\u200d{x._ELEMENT})*"
    )
    text = "".join(pieces)
    expected = [m.span() for m in plain.finditer(text)]
    assert [m.span() for m in x._EMOJI_RE.finditer(text)] == expected
    if "\u20e3" not in text:  # without a keycap mark, the regex without keycaps
        assert [m.span() for m in x._EMOJI_NO_KEYCAP_RE.finditer(text)] == expected
        first = x._EMOJI_FIRST_NO_KEYCAP_RE.search(text)
        if expected:  # parse reads emoji from there on
            assert first is not None and first.start() <= expected[0][0]


@pytest.mark.parametrize("before", ["", " ", "https://", "HTTP://", "www.", "-", "http://ab."])
def test_a_link_near_the_longest_url_is_decided_as_the_plain_computation(before: str) -> None:
    """An ordinary host's link is completed without a plan (_links): at and around the
    4,096 characters a URL may have, it is kept or dropped as the plain computation
    decides, with and without a protocol."""
    for k in range(4070, 4096):
        text = f"{before}city.example.jp/{'x' * k} 死ね"
        assert [tuple(u) for u in extract_urls(text)] == _plain_extract_urls(text), k


# --- punycode of host names in other scripts ---


def _plain_punycode_extra(domain: str) -> int | None:
    """_punycode_extra as it was: the idna codec on the whole name."""
    try:
        puny = domain.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None
    return len(puny) - len(domain) if puny else None


_DOMAIN_PIECES = st.sampled_from(
    ["a", "x", "com", "-", "xn--", "ｘ", "Ａ", "あ", "町", "゙", "\u00ad", "\u200b", "\ufe0f",
     ".", "。", "．", "｡", "ا", "ﷺ", "ß", " ", "\x01", "\u0301", "\u3000", "①", "＠", "ｘｎ－－",
     "XN--", "ー", '"']
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(_DOMAIN_PIECES, min_size=1, max_size=40).map("".join), st.integers(0, 80))
def test_punycode_a_label_at_a_time_equals_the_codec_on_the_whole_name(domain, repeat) -> None:
    """The same figure as the codec, or the limit when the link is longer than it anyway."""
    from gateway.checker.xtext_parts import _MAX_URL_LENGTH, _punycode_extra

    for name in (domain, domain * repeat, "\u00ad" * repeat * 30 + domain):
        if not name:
            continue
        got, want = _punycode_extra.__wrapped__(name), _plain_punycode_extra(name)
        if got == _MAX_URL_LENGTH:
            assert want is None or len(name) + want > _MAX_URL_LENGTH, name
        else:
            assert got == want, name


@pytest.mark.parametrize(
    "unit",
    ["\u3099x.com", "」.com●", "在（火）.com", "\u00ad" * 8 + "a.com", lambda n: f"\u3099x{n}.com"],
    ids=["mark x.com", "bracket .com", "kanji .com", "soft hyphens", "numbered labels"],
)
def test_punycode_of_a_long_host_run_reads_a_bounded_part_of_it(unit, monkeypatch) -> None:
    """Counted, not timed: the characters the idna codec's nameprep reads for a draft of
    one long run of labels in another script (the codec read the whole run, twice)."""
    import encodings.idna as idna

    from gateway.checker import xtext_parts

    read = {"n": 0}
    nameprep = idna.nameprep

    def counting(label: str) -> str:
        read["n"] += len(label)
        return nameprep(label)

    monkeypatch.setattr(idna, "nameprep", counting)
    xtext_parts._punycode_extra.cache_clear()
    if hasattr(xtext_parts, "_label_length"):
        xtext_parts._label_length.cache_clear()
    many = "".join(unit(n) for n in range(5_000)) if callable(unit) else unit * 8_000
    text = many[:40_000]
    parse(text)
    parse("https://" + text)
    assert read["n"] <= 4 * xtext_parts._MAX_URL_LENGTH, read["n"]


def _count_calls(monkeypatch, owner, name: str) -> dict[str, int]:
    """A counter of the calls of owner.name from now on, in the test's monkeypatch."""
    calls = {"n": 0}
    fn = getattr(owner, name)

    def counting(*args, **kwargs):
        calls["n"] += 1
        return fn(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def _count_tables(monkeypatch) -> dict[str, int]:
    """A counter of the label tables (_Run) built from now on."""
    from gateway.checker import xtext_parts

    return _count_calls(monkeypatch, xtext_parts._Run, "__init__")


def test_mail_addresses_at_many_domains_build_no_label_tables(monkeypatch) -> None:
    """Counted, not timed: a pasted list of addresses at as many domains (a domain after
    its @ is decided as an ordinary host, _simple_plan), with the plain computation's
    links; an address whose first label has a - still goes to the tables."""

    built = _count_tables(monkeypatch)
    text = "".join(f"a{n}@h{n}.jp b{n}@x.h{n}.example.jp/p c@d{n}.jp\n" for n in range(200))
    links = [tuple(u) for u in extract_urls(text)]
    assert built["n"] == 0
    assert links == _plain_extract_urls(text) == []
    hyphened = "".join(f"a@h-{'abcdefghij'[n]}.x.jp " for n in range(10))
    built["n"] = 0
    links = [tuple(u) for u in extract_urls(hyphened)]
    assert built["n"] == 10
    assert links == _plain_extract_urls(hyphened)


def test_hosts_that_differ_only_in_digits_share_one_plan(monkeypatch) -> None:
    """Counted, not timed: hosts that differ only in their digits (a pasted list: h1,
    h2, …, in every kind of host, decided with and without tables) are decided once per
    kind, and each link is read from its own place (the plain computation's links)."""
    from gateway.checker import xtext_links

    built = _count_tables(monkeypatch)
    planned = _count_calls(monkeypatch, xtext_links, "_plan")
    kinds = ["a_{n}.jp", "-a{n}.jp", "例{n}.a.jp", "café{n}.fr/{n}", "https://пример{n}.рф",
             "a.例{n}.jp", "x{n}@h-{n}.x.jp", "h{n}.香港", "詳細はwww.h{n}.jp/p{n}"]  # fmt: skip
    text = "".join(f"{k.format(n=n)} " for n in range(300) for k in kinds)
    links = [tuple(u) for u in extract_urls(text)]
    # one per kind and length of number (1, 10, 100: three), and the draft's first host
    assert planned["n"] <= 3 * len(kinds) + 1 and built["n"] <= 3 * len(kinds) + 1
    assert len({u for u, _, _ in links}) >= 1_800  # each host's own text
    monkeypatch.undo()
    assert links == _plain_extract_urls(text)


def test_no_top_level_domain_holds_a_digit() -> None:
    """What lets hosts that differ only in digits share a plan: a digit is never part
    of a TLD, and no character composes with a digit before it (nameprep's NFKC)."""
    import unicodedata

    from gateway.checker.xtext_parts import _tlds

    tlds, _ = _tlds()
    assert len(tlds) > 1000 and not any(ch in "0123456789" for t in tlds for ch in t)
    for c in range(0x110000):
        d = unicodedata.decomposition(chr(c)).split()
        if d and not d[0].startswith("<"):  # a canonical decomposition: its first
            assert chr(int(d[0], 16)) not in "0123456789", hex(c)


def test_a_numbered_list_plans_no_run(monkeypatch) -> None:
    """Counted, not timed: runs in which no dot is followed by a letter (1. 2. 3. …,
    10.0.0.1, R8.1.1, each run another text) hold no link and are passed over without a plan each; the links around them
    are those of the plain computation."""
    from gateway.checker import xtext_links
    from gateway.checker.xtext_parts import _tlds

    planned = _count_calls(monkeypatch, xtext_links, "_plan")
    text = "".join(f"{n}. 項目{n}. 10.0.{n}.1 R{n}.1.1 v1.{n}-2_3\n" for n in range(300))
    assert extract_urls(text) == [] and planned["n"] == 0
    tlds, _ = _tlds()  # what lets them pass: no TLD begins with a digit, - or _
    assert all(t[0].isalpha() or not t[0].isascii() for t in tlds)
    text += "https://a.jp/x. 1.jp. www.b.jp. @c.jp. x@1.2.jp."
    assert [tuple(u) for u in extract_urls(text)] == _plain_extract_urls(text)


def test_the_characters_nameprep_only_lower_cases_or_narrows() -> None:
    """_NAMEPREP_SIMPLE_RE's characters: nameprep maps each as _simple_nameprep does, none
    is right-to-left (which would make a label with others fail) and none combines with
    a character before it (NFKC would change a label of them), so nameprep maps any label
    of them as _simple_nameprep does."""
    import encodings.idna as idna
    import stringprep
    import unicodedata

    from gateway.checker.xtext_parts import _NAMEPREP_SIMPLE_RE, _simple_nameprep

    simple = [chr(c) for c in range(0x30000) if _NAMEPREP_SIMPLE_RE.fullmatch(chr(c))]
    assert len(simple) > 21_000
    seconds = set()  # characters that compose with one before them
    for c in range(0x110000):
        d = unicodedata.decomposition(chr(c)).split()
        if len(d) == 2 and not d[0].startswith("<"):
            seconds.add(chr(int(d[1], 16)))
    for ch in simple:
        assert idna.nameprep(ch) == _simple_nameprep(ch), ch
        assert not stringprep.in_table_d1(ch), ch
        assert unicodedata.combining(ch) == 0 and ch not in seconds, ch
    for step in (97, 89, 13):
        label = "".join(simple[::step])
        assert idna.nameprep(label) == _simple_nameprep(label)


def test_hosts_in_another_script_build_no_label_tables(monkeypatch) -> None:
    """Counted, not timed: links to as many hosts of one label in another script and an
    ASCII TLD (a Japanese word glued to a domain) are decided without label tables
    (_foreign_plan), with the plain computation's links."""

    built = _count_tables(monkeypatch)
    text = "".join(f"詳しくは例{n}.jp https://町{n}.jp/x 例{n}.コム\n" for n in range(200))
    links = [tuple(u) for u in extract_urls(text)]
    assert built["n"] == 0
    assert links == _plain_extract_urls(text) and len(links) == 600  # 0.jp of 例0.jp too
    text = "".join(f"-例{c}.com #例{c}.jp\n" for c in "abcdefghij")  # a - or # before: tables
    built["n"] = 0
    links = [tuple(u) for u in extract_urls(text)]
    assert built["n"] == 20
    assert links == _plain_extract_urls(text)


# --- a word in another script glued to a domain, decided with its punycode bounded ---

_GLUED_LABELS = ["例", "例1", "例-1", "例1-", "詳しくはexample", "お知らせ2026", "町" * 7,
                 "町" * 8, "町" * 30, "x例", "X例", "ｘ例", "xn--例", "例ａｂ", "０＠a", "ａ例",
                 "-例", "例_1", "例ー", "例．a", "あa" * 20, "ｿ", "例\u3099", "Ä例"]  # fmt: skip
_GLUED_TLDS = ["jp", "JP", "com", "コム", "みんな", "ｊｐ", "jpx", "tokyo", "xn--p1ai"]
_GLUED_MIDDLES = ["", "", ".a", ".www.example", ".co", ".jp", ".a-b", ".x_y", ".例", ".a.a.a", ".-a",
                  "." + "z" * 63, "." + "z" * 64, "..", ".xn--p1ai"]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(
    hosts=st.lists(
        st.tuples(
            st.sampled_from(_AROUND),
            st.sampled_from(_GLUED_LABELS),
            st.sampled_from(_GLUED_MIDDLES),
            st.sampled_from(_GLUED_TLDS),
            st.sampled_from(_AFTER),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_glued_hosts_decided_with_bounded_punycode_equal_the_plain_computation(hosts) -> None:
    """A Japanese word glued to a domain of one or more labels (_glued: its punycode
    bounded, not encoded): the same links as the plain computation, with every protocol,
    character before and after, and labels that are too long, refused or no such host."""
    text = "".join(b + label + mid + "." + tld + a for b, label, mid, tld, a in hosts)
    assert [tuple(u) for u in extract_urls(text)] == _plain_extract_urls(text)


@pytest.mark.parametrize("before", ["", " ", "https://", "http://ab.", "/"])
@pytest.mark.parametrize("label", ["例", "詳しくはexample", "町" * 7, "詳細はwww.town.example"])
def test_a_glued_link_near_the_longest_url_is_decided_exactly(before: str, label: str) -> None:
    """Near the 4,096 characters a URL may have, the bound on the punycode is not enough:
    the link is kept or dropped as the plain computation decides."""
    for k in range(4000, 4096):
        text = f"{before}{label}.jp/{'x' * k} 死ね"
        assert [tuple(u) for u in extract_urls(text)] == _plain_extract_urls(text), k


_GLUED_WIDE = [chr(c) for c in (0x3041, 0x3096, 0x30A1, 0x30FA, 0x30FC, 0x4E00, 0x9FFF,
                                0xFF01, 0xFF0D, 0xFF0F, 0xFF5E, 0x6751, 0xFF21)]  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(st.sampled_from([*_GLUED_WIDE, "a", "Z", "0", "-"]), min_size=1, max_size=63).map(
        "".join
    )
)
def test_the_bound_on_a_glued_labels_punycode_holds(label: str) -> None:
    """_glued's bound (ACE prefix, ASCII letters, delimiter, 8 digits per other letter)
    is never below the codec's length for a label of its letters, extremes included."""
    from gateway.checker.xtext_quick import _PUNYCODE_DIGITS_MOST

    wide = sum(not ch.isascii() for ch in label)
    if not wide or label.startswith("-"):
        return
    most = 4 + (len(label) - wide) + 1 + _PUNYCODE_DIGITS_MOST * wide
    try:
        length = len(label.encode("idna"))
    except UnicodeError:  # too long: the bound must say it may be
        assert most > 63, label
        return
    assert length <= most, label


def test_glued_hosts_are_decided_without_the_codec(monkeypatch) -> None:
    """Counted, not timed: a draft of as many Japanese words glued to domains as it holds
    (and full-width ＠ addresses) neither builds label tables nor encodes punycode, and
    finds the plain computation's links."""
    from gateway.checker import xtext_links, xtext_parts

    built = _count_tables(monkeypatch)
    encoded = {"n": 0}

    def counting_extra(domain: str):
        encoded["n"] += 1
        return xtext_parts._punycode_extra.__wrapped__(domain)

    monkeypatch.setattr(xtext_parts, "_punycode_extra", counting_extra)
    monkeypatch.setattr(xtext_links, "_punycode_extra", counting_extra)
    text = "".join(
        f"詳しくは例{n}.jp https://町{n}.jp/x 例{n}.コム {n}＠a.jp 詳細はwww.{w}.example.jp 例.{w}.jp\n"
        for n, w in enumerate(a + b for a in "abcdefghij" for b in "klmnopqrst")
    )
    links = [tuple(u) for u in extract_urls(text)]
    assert built["n"] == 0 and encoded["n"] == 0
    assert len(links) == 600
    monkeypatch.undo()
    assert links == _plain_extract_urls(text)


# --- the ASCII domains inside a domain (links without a protocol) ---


def _plain_ascii_domains(domain: str) -> list[tuple[int, int]]:
    """_ascii_domains_of as it was: a walk back over each label's letters, a scan
    forward from every label."""
    from gateway.checker.xtext_parts import _ASCII_LABEL, _tld_end

    out: list[tuple[int, int]] = []
    labels = []
    s = 0
    for part in domain.split("."):
        labels.append((s, s + len(part)))
        s += len(part) + 1
    n = len(labels)
    ascii_full = [bool(_ASCII_LABEL.fullmatch(domain, a, b)) for a, b in labels]
    tld = [-1] * n
    for k in range(1, n):
        tld[k] = _tld_end(domain, *labels[k])
    k = pos = 0
    while k < n - 1:
        a, b = labels[k]
        a = max(a, pos)
        first = b
        while first > a and _ASCII_LABEL.match(domain, first - 1, first):
            first -= 1
        if first == b:
            k += 1
            continue
        best = -1
        j = k + 1
        while j < n:
            if tld[j] >= 0:
                best = j
            if not ascii_full[j]:
                break
            j += 1
        if best < 0:
            k += 1
            continue
        out.append((first, tld[best]))
        pos = tld[best]
        k = best if tld[best] < labels[best][1] else best + 1
    return out


_ASCII_DOMAIN_PIECES = ["a", "a1", "-", "jp", "com", "comx", "例", "例a", "xn--p1ai", "コム",
                        "みんな", "é", "_", "ｊｐ", "jp例", "7"]  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_ASCII_DOMAIN_PIECES), max_size=3).map("".join), max_size=12))
def test_ascii_domains_read_in_passes_equal_the_walk(labels: list[str]) -> None:
    from gateway.checker.xtext_parts import _ascii_domains_of

    domain = ".".join(labels)
    assert _ascii_domains_of(domain) == _plain_ascii_domains(domain), domain


@pytest.mark.parametrize("unit", ["a.", "a1.", "a.例.", "例a."])
def test_ascii_domains_of_a_long_run_take_steps_linear_in_its_labels(unit: str) -> None:
    """Counted, not timed: the Python lines _ascii_domains_of runs for a run of labels
    before a label that is not ASCII (`a.a.a.….例.com`: a scan from every label was
    quadratic) grow as the run does."""
    import sys

    from gateway.checker.xtext_parts import _ascii_domains_of

    code = _ascii_domains_of.__code__
    counts = []
    for n in (500, 2_000):
        lines = {"n": 0}

        def tracer(frame, event, arg, lines=lines):
            if frame.f_code is not code:
                return None
            lines["n"] += event == "line"
            return tracer

        sys.settrace(tracer)
        try:
            _ascii_domains_of(unit * n + "例.com")
        finally:
            sys.settrace(None)
        counts.append(lines["n"])
    assert counts[1] <= 4.5 * counts[0], counts


def test_hosts_that_their_run_goes_on_after_build_no_label_tables(monkeypatch) -> None:
    """Counted, not timed: links to as many hosts (named by letters: no plan is shared)
    that a quote mark or Japanese follows in the same run ("https://a.jp", a.jpをご覧
    ください) are decided without label tables (_Cut), with the plain computation's links."""

    built = _count_tables(monkeypatch)
    names = [a + b + c for a in "abcdefgh" for b in "ijklmnop" for c in "qrstuvwx"]
    text = "".join(f'"https://{w}.jp" www.{w}.example.jpをご覧ください {w}.com_x\n' for w in names)
    links = [tuple(u) for u in extract_urls(text)]
    assert built["n"] == 0
    assert len(links) == 3 * len(names)
    monkeypatch.undo()
    assert links == _plain_extract_urls(text)
