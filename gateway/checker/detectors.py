"""Detectors: the rules that need code (numbers, people, similarity, lengths; dates are
in dates.py, links in links.py and lookalike.py).

Each detector is registered under the name rule files use (`kind: detector`,
`detector: NAME`); its rule in `rules/` still carries the id, clause, severity, message
and examples. Numbers, weekdays and links are read from the NFKC text with regexes,
because Sudachi splits `090-1234-5678` into pieces and reads `(水)` as water.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from functools import lru_cache
from itertools import compress
from operator import itemgetter, sub
from typing import Any, NamedTuple

from gateway.checker.contacts import ContactOptions, contact_options, organisation_contact
from gateway.checker.context import CheckContext
from gateway.checker.draft import Draft
from gateway.checker.engine import Hit, detector
from gateway.checker.lazyre import deferred
from gateway.checker.links import _urls, link_spans
from gateway.checker.options import _alternation, _domain_in, _words
from gateway.checker.similarity import RecentPosts, word_set
from gateway.checker.tokenizer import PERSON, WORD, Token

# --- numbers: My Number, cards, phones, mail addresses ---

# The first digit comes before the lookbehinds (which then look past it): a pattern that
# starts with a character class lets re skip straight to candidate characters instead of
# trying the lookbehinds at every position of the draft. Same matches as
# (?<![\d-])(?<!\d )\d{4}… and (?<![\d-])[3-6]\d{3}….
_MYNUMBER_RE = re.compile(r"\d(?<![\d-]\d)(?<!\d \d)\d{3}[ -]?\d{4}[ -]?\d{4}(?![\d-]| \d)")
_CARD_RE = re.compile(r"[3-6](?<![\d-][3-6])\d{3}(?:[ -]?\d){9,15}(?![\d-])")
_DASH = r"[-‐‑–—−ー ]"
# A number: (?<![\d-]) then +81 (the leading 0 dropped, kept, or bracketed: +81-90,
# +81 090, +81 (0)90), ( or nothing, then 0 and the digits; the area code may be
# bracketed ((0266)41-1112) and so may the exchange (0266(41)1112). Written as three
# alternatives that each start with their own character (+, ( or 0), with the look-behind
# after it, so that `re` skips in C every position where no number can start. Every
# quantifier is bounded, so a run of digits costs a constant per position.
_PHONE_RE = re.compile(
    rf"(?:\+(?<![\d-]\+)81{_DASH}?(?:\(0\){_DASH}?|0)?(?=[1-9])"
    rf"|\((?<![\d-]\()(?=0\d{{1,4}}\))0|0(?<![\d-]0))"
    rf"\d{{1,4}}(?:\){_DASH}?|{_DASH}?\((?=\d{{1,4}}\))|{_DASH})?\d{{1,4}}(?:\){_DASH}?|{_DASH})?\d{{3,4}}(?![\d-])"
)
_EMAIL_RE = deferred(  # compiled when a post first needs it
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)


# What every hit of find_mynumber and find_card holds: twelve ASCII digits, a space or a
# hyphen at most between two. stdnum checks ASCII digits only (in_ and luhn refuse a
# number of other scripts' digits, ١٢٣…, which \d takes). Without a repeated group, so
# that `re` skips in C from one ASCII digit to the next and fails there at once (the
# two regexes look up every character's Unicode category for \d: ~25k instructions of
# a 140-character draft, this ~8k). Bounded: linear on any text.
_TWELVE_DIGITS_RE = re.compile("[0-9][0-9][0-9][0-9]" + "[ -]?[0-9]" * 8)


def _digits(s: str) -> str:
    return "".join(filter(str.isdigit, s))


def _may_hold_long_number(draft: Draft) -> bool:
    """Whether a My Number or a card number can be in the draft (_TWELVE_DIGITS_RE),
    searched once for both."""
    found = draft.__dict__.get("_twelve_digits")
    if found is None:
        found = draft.__dict__["_twelve_digits"] = bool(_TWELVE_DIGITS_RE.search(draft.norm))
    return found


@detector("mynumber")
def find_mynumber(draft: Draft, ctx: CheckContext, opts: dict[str, Any]) -> Iterator[Hit]:
    """12 digits with a valid My Number check digit (stdnum.jp.in_)."""
    if not _may_hold_long_number(draft):
        return
    for m in _MYNUMBER_RE.finditer(draft.norm):
        from stdnum.jp import in_ as mynumber  # on use: most drafts have no 12 digits

        if mynumber.is_valid(_digits(m.group())):
            s, e = draft.orig_span(m.start(), m.end())
            if not _in_link(draft, s, e):  # 12 digits in a URL are an id, not a My Number
                yield Hit(s, e, None, _three_numbers(draft.norm, m))


# A My Number named as such just before it (マイナンバー：1234 5678 9018)
_MYNUMBER_WORD_RE = re.compile("マイナンバー|個人番号|マイナ")
_MYNUMBER_WORD_REACH = 40  # characters before the number


def _three_numbers(norm: str, m: re.Match[str]) -> str | None:
    """Three groups of four digits with spaces between and no マイナンバー before them may be
    three numbers (years 1964 1995 2003, PINs shown as examples: one in eleven passes the
    check digit): a warning for the reviewers, never an error (SOFT_NOTES "digits")."""
    if " " not in m.group():
        return None
    if _MYNUMBER_WORD_RE.search(norm, max(0, m.start() - _MYNUMBER_WORD_REACH), m.start()):
        return None
    return "digits"


def _in_link(draft: Draft, start: int, end: int) -> bool:
    return link_spans(draft).contain(start, end)


@detector("card_number")
def find_card(draft: Draft, ctx: CheckContext, opts: dict[str, Any]) -> Iterator[Hit]:
    """13-19 digits passing the Luhn check, with a card-network first digit. A 13-digit
    number with a valid EAN-13 check digit is a product's JAN code (a recall notice lists
    them; JAN codes of Japan begin with 45/49, like a Visa number), not a card: no card
    network issues 13-digit numbers any more."""
    if not _may_hold_long_number(draft):
        return
    for m in _CARD_RE.finditer(draft.norm):
        d = _digits(m.group())
        from stdnum import ean, luhn  # on use: most drafts have no card-like number

        if 13 <= len(d) <= 19 and luhn.is_valid(d) and not (len(d) == 13 and ean.is_valid(d)):
            yield Hit(*draft.orig_span(m.start(), m.end()))


@lru_cache(maxsize=64)
def _number_set(numbers: tuple[str, ...]) -> frozenset[str]:
    """The configured phone numbers as bare digits (the config is the same for every check)."""
    return frozenset(_digits(p) for p in numbers)


def _phone_numbers(draft: Draft) -> list[tuple[int, int, str]]:
    """(start, end, digits) of every phone-number-like run, found once for both classes."""
    cached = draft.__dict__.get("_phones")
    if cached is not None:
        return cached
    out: list[tuple[int, int, str]] = []
    norm = draft.norm
    # every number holds a 0 or starts with +: two finds (memchr) spare the regex's scan
    # of most drafts without one (~9k instructions of a 140-character draft)
    if "0" not in norm and "+" not in norm:
        draft.__dict__["_phones"] = out
        return out
    for m in _PHONE_RE.finditer(norm):
        d = _digits(m.group())
        if m.group().startswith("+"):  # +81 90…, +81 (0)90…, +81 090…: a domestic 090…
            d = d[2:] if d[2:3] == "0" else "0" + d[2:]
        out.append((m.start(), m.end(), d))
    draft.__dict__["_phones"] = out
    return out


class PhoneOptions(NamedTuple):
    want: str  # "mobile" or "fixed"
    free: tuple[str, ...]  # toll-free and navi-dial prefixes: never a person's number
    mobile: tuple[str, ...]
    organisations: ContactOptions | None = None  # an organisation's contact is no person's


def _phone_options(opts: dict[str, Any]) -> PhoneOptions:
    want = str(opts.get("class", "mobile"))
    if want not in ("mobile", "fixed"):
        raise ValueError(f"class must be mobile or fixed, not {want!r}")
    orgs = None
    if opts.get("organisation_endings"):
        orgs = contact_options(_words(opts, "contact_words"), _words(opts, "organisation_endings"))
    return PhoneOptions(
        want,
        _words(opts, "free_prefixes", ("0120", "0800", "0570")),
        _words(opts, "mobile_prefixes", ("060", "070", "080", "090")),
        orgs,
    )


@detector("phone", options=_phone_options)
def find_phone(draft: Draft, ctx: CheckContext, opts: PhoneOptions) -> Iterator[Hit]:
    """Japanese phone numbers of one class (`mobile` or `fixed`), minus the office's own."""
    numbers = _phone_numbers(draft)
    if not numbers:
        return
    allow = _number_set(ctx.office_phone_allowlist)
    for start, end, d in numbers:
        if len(d) not in (10, 11) or d in allow or d.startswith(opts.free):
            continue
        cls = "mobile" if d.startswith(opts.mobile) and len(d) == 11 else "fixed"
        if cls == opts.want and (cls == "mobile" or len(d) == 10 or d.startswith("050")):
            if opts.organisations and organisation_contact(draft, start, opts.organisations):
                continue
            yield Hit(*draft.orig_span(start, end))


@detector("freemail", options=lambda opts: _words(opts, "domains"))
def find_freemail(draft: Draft, ctx: CheckContext, domains: tuple[str, ...]) -> Iterator[Hit]:
    """Mail addresses on free-mail or carrier domains (a person's own), never the office's."""
    if "@" not in draft.norm:  # every address has one; most drafts have none
        return
    for m in _EMAIL_RE.finditer(draft.norm):
        dom = m.group(1)
        if _domain_in(dom, ctx.office_domains):
            continue
        if _domain_in(dom, domains):
            yield Hit(*draft.orig_span(m.start(), m.end()))


# --- people: names next to addresses or sensitive facts, photos of people ---

_ADDRESS_RE = deferred(  # compiled when a post first needs it
    r"(?:大字)?[一-龥ぁ-んァ-ヶ]{1,10}?\d{1,5}(?:番地(?:\d{1,4})?|番\d{1,4}(?:号)?|-\d{1,5}(?:-\d{1,5})?)"
)
# What every match of _ADDRESS_RE holds: a Japanese letter, one to five digits, then 番
# or a hyphen and a digit. Written to start with the digit (the look-behind looks back
# past it), so `re` skips in C from digit to digit: a text without one is never given to
# _ADDRESS_RE, which has no first character to skip to and tried its lazy run of letters
# at every letter of the draft (~17 µs of a 140-character post that names a person).
_ADDRESS_ANCHOR_RE = re.compile(r"\d(?<=[一-龥ぁ-んァ-ヶ]\d)\d{0,4}(?:番|-\d)")
_HONORIFICS = frozenset({"さん", "様", "氏", "くん", "君", "ちゃん"})


def _has_person_name(draft: Draft) -> bool:
    """Whether any token is a personal name (Sudachi 人名): without one, the name
    detectors cannot hit, and most drafts skip their address and sentence scans.
    A search of the kinds column, in C (the kind is worked out once per word id)."""
    cached = draft.__dict__.get("_has_person_name")
    if cached is None:
        cached = (WORD | PERSON) in draft.columns.kinds
        draft.__dict__["_has_person_name"] = cached
    return cached


def _person_tokens(draft: Draft, start: int, end: int) -> list[str]:
    """Personal names (Sudachi 人名) in [start, end), as written: a name followed by an
    honorific, or a family name by a given name. The names are found in the kinds
    column, in C (a walk of every token of the window took ~60 µs per address)."""
    cols = draft.columns
    kinds, pos, surfaces = cols.kinds, cols.pos, cols.surfaces
    i, stop = draft.token_range(start, end)
    names: list[str] = []
    last = stop - 1  # a name needs a word after it in the window
    while i < last:
        try:
            i = kinds.index(WORD | PERSON, i, last)
        except ValueError:
            return names
        after = surfaces[i + 1]
        if after in _HONORIFICS:
            names.append(surfaces[i])
        elif pos[i][3] == "姓" and len(pos[i + 1]) > 3 and pos[i + 1][2:4] == ("人名", "名"):
            names.append(surfaces[i] + after)
        i += 1
    return names


@detector("name_address", options=lambda opts: int(opts.get("window", 30)))
def find_name_address(draft: Draft, ctx: CheckContext, window: int) -> Iterator[Hit]:
    """A street address (lot number) with a personal name on the same line nearby."""
    if not _has_person_name(draft) or not _ADDRESS_ANCHOR_RE.search(draft.norm):
        return
    for m in _ADDRESS_RE.finditer(draft.norm):
        s, e = draft.orig_span(m.start(), m.end())
        line_start = draft.text.rfind("\n", 0, s) + 1
        line_end = draft.text.find("\n", e)
        line_end = len(draft.text) if line_end < 0 else line_end
        names = _person_tokens(draft, max(line_start, s - window), min(line_end, e + window))
        if names:
            yield Hit(s, e, {"name": names[0]})


@detector("person_sensitive", options=lambda opts: frozenset(_words(opts, "facts")))
def find_person_sensitive(draft: Draft, ctx: CheckContext, facts: frozenset[str]) -> Iterator[Hit]:
    """A named person and a sensitive fact (illness, arrest …) in the same sentence."""
    if not _has_person_name(draft) or not draft.has_lemma(facts):
        return
    done: set[int] = set()
    for t in draft.tokens:
        if t.normalized in facts or t.dictionary_form in facts:
            s, e = draft.sentence_span(t.begin)
            if s in done:
                continue
            names = _person_tokens(draft, s, e)
            if names:
                done.add(s)
                yield Hit(t.begin, t.end, {"name": names[0]})


class PhotoOptions(NamedTuple):
    media: re.Pattern[str]
    consent: re.Pattern[str]
    people: re.Pattern[str]


def _photo_options(opts: dict[str, Any]) -> PhotoOptions:
    return PhotoOptions(
        _alternation(_words(opts, "media", ("写真",))),
        _alternation(_words(opts, "consent", ("同意",))),
        _alternation(_words(opts, "people", ("皆さん",))),
    )


@detector("people_photo", options=_photo_options)
def find_people_photo(draft: Draft, ctx: CheckContext, opts: PhotoOptions) -> Iterator[Hit]:
    """A photo or video mentioned together with people, and no word of their consent."""
    if not opts.media.search(draft.text):  # no hit without a photo; cheaper test first
        return
    if opts.consent.search(draft.norm):
        return
    checked_to = -1  # each sentence is searched once, however many photos it names
    for m in opts.media.finditer(draft.text):
        if m.start() < checked_to:
            continue
        s, e = draft.sentence_span(m.start())
        checked_to = e
        if opts.people.search(draft.text, s, e):
            yield Hit(m.start(), m.end())
            return


_PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".heic", ".gif", ".mp4", ".mov")


@detector("photo_attachment", options=lambda opts: _words(opts, "extensions", _PHOTO_EXTENSIONS))
def find_photo_attachment(draft: Draft, ctx: CheckContext, exts: tuple[str, ...]) -> Iterator[Hit]:
    """Photos attached to the draft mail: the reviewer checks who is in them."""
    if not ctx.attachments:
        return
    photos = [a for a in ctx.attachments if a.lower().endswith(exts)]
    if photos:
        yield Hit(0, 0, {"excerpt": ", ".join(photos), "files": ", ".join(photos)})


@detector("photo_metadata", options=lambda opts: frozenset(_words(opts, "platforms")))
def find_photo_metadata(
    draft: Draft, ctx: CheckContext, platforms: frozenset[str]
) -> Iterator[Hit]:
    """Attached photos that carry a GPS position or a camera serial (see photos.py), for an
    account whose platform publishes the file as it is (no platform: every account)."""
    if not ctx.photo_metadata or (ctx.platform is not None and ctx.platform not in platforms):
        return
    names = ", ".join(entry.split(": ", 1)[0] for entry in ctx.photo_metadata)
    yield Hit(0, 0, {"excerpt": names, "files": names, "what": " / ".join(ctx.photo_metadata)})


# --- spam: near-copies of recent posts, repeated lines ---


def _words_outside_links(draft: Draft) -> frozenset[str]:
    """The draft's words (see similarity.word_set), leaving out the morphemes of links
    (those that start inside one): a few links by two bisections each; a draft of many
    links marked out in a mask of the text, one slice each, read at every morpheme's
    start in C (the bisections were a cost per link of a draft of thousands;
    tests/unit/test_similarity.py compares every way with the bisections)."""
    cols = draft.columns
    urls = _urls(draft)
    if not urls:
        return word_set(cols.normalized, cols.kinds)
    if len(urls) < _MANY_LINKS:  # a post's few links: two bisections each
        starts, kinds = draft.token_starts, list(cols.kinds)
        for s, e, *_ in urls:
            first, after = bisect_left(starts, s), bisect_left(starts, e)
            kinds[first:after] = bytes(max(after - first, 0))  # not words here
        return word_set(cols.normalized, kinds)
    mask = bytearray(b"\x01") * (len(draft.text) + 1)
    starts, ends = list(map(itemgetter(0), urls)), list(map(itemgetter(1), urls))
    zeros = memoryview(bytes(max(map(sub, ends, starts))))
    for s, e in zip(starts, ends, strict=True):
        mask[s:e] = zeros[: e - s]  # not words here
    # the mask at each morpheme's start, read in C by one itemgetter (which gives a
    # tuple for two or more; map and a Python call per morpheme cost ~700 instructions
    # each, most of this function on a 100 KB draft)
    token_starts = draft.token_starts
    if len(token_starts) > 1:
        outside = itemgetter(*token_starts)(mask)
    else:
        outside = tuple(mask[t] for t in token_starts)
    return word_set(
        list(compress(cols.normalized, outside)), list(compress(cols.kinds, outside))
    )


_MANY_LINKS = 64  # from here the mask costs less than the bisections (~35k instructions
# of setting it up, ~3k a link less)


def _recent_posts(texts: tuple[str, ...], threshold: float) -> RecentPosts:
    """The recent posts' words, indexed once: they are the same for many drafts. The
    daemon and the benchmark pass the very same tuple again and again, so the last one is
    recognised by identity, without hashing a month of posts for the lru_cache."""
    global _last_recent
    last = _last_recent  # one tuple, replaced whole: safe between threads
    if last is not None and last[0] is texts and last[1] == threshold:
        return last[2]
    posts = _recent_posts_of(texts, threshold)
    _last_recent = (texts, threshold, posts)
    return posts


_last_recent: tuple[tuple[str, ...], float, RecentPosts] | None = None


@lru_cache(maxsize=8)
def _recent_posts_of(texts: tuple[str, ...], threshold: float) -> RecentPosts:
    return RecentPosts.build([_words_outside_links(Draft(t)) for t in texts], threshold)


@detector("near_duplicate", options=lambda opts: float(opts.get("threshold", 0.8)))
def find_near_duplicate(draft: Draft, ctx: CheckContext, threshold: float) -> Iterator[Hit]:
    """A draft nearly identical (Jaccard index of its words) to one approved recently."""
    if not ctx.recent_approved_texts:
        return
    mine = _words_outside_links(draft)
    best = _recent_posts(ctx.recent_approved_texts, threshold).best_similarity(mine)
    if mine and best >= threshold:
        first = draft.text.find("\n")
        end = len(draft.text) if first < 0 else first
        yield Hit(0, end, {"similarity": f"{best:.0%}"})


@detector(
    "repeated_lines",
    options=lambda opts: (int(opts.get("times", 3)), int(opts.get("min_length", 4))),
)
def find_repeated_lines(draft: Draft, ctx: CheckContext, opts: tuple[int, int]) -> Iterator[Hit]:
    """The same line written again and again in one draft."""
    times, min_len = opts
    if times > 1 and draft.text.count("\n") < times - 1:  # fewer lines than repeats
        return
    lines = draft.text.split("\n")
    if times > 1 and min_len > 0:
        # no line but empty ones written twice: nothing to find, told in C (the loop
        # below is a Python step per line, for every draft; a Counter's own Python
        # cost as much)
        keys = list(map(str.strip, lines))
        unique = set(keys)
        if len(keys) - keys.count("") == len(unique) - ("" in unique):
            return
    counts: dict[str, list[int]] = {}
    pos = 0
    for line in lines:
        key = line.strip()
        if len(key) >= min_len:
            counts.setdefault(key, []).append(pos + line.find(key))
        pos += len(line) + 1
    for key, starts in counts.items():
        if len(starts) >= times:
            yield Hit(starts[0], starts[0] + len(key), {"times": len(starts)})


# --- 3(10) the account ---


@detector("official_account")
def find_unofficial_account(draft: Draft, ctx: CheckContext, opts: dict[str, Any]) -> Iterator[Hit]:
    """The draft names an account that is not one of the configured official accounts."""
    if ctx.account and ctx.official_accounts and ctx.account not in ctx.official_accounts:
        yield Hit(0, 0, {"excerpt": ctx.account, "account": ctx.account})


# --- 4(7) opinions on the town's administration ---


class OpinionOptions(NamedTuple):
    topics: frozenset[str]
    markers: frozenset[str]
    disclaimer: re.Pattern[str] | None


def _opinion_options(opts: dict[str, Any]) -> OpinionOptions:
    disclaimer = opts.get("disclaimer")
    return OpinionOptions(
        frozenset(_words(opts, "topics")),
        frozenset(_words(opts, "markers")),
        re.compile(str(disclaimer)) if disclaimer else None,
    )


@detector("opinion", options=_opinion_options)
def find_opinion(draft: Draft, ctx: CheckContext, opts: OpinionOptions) -> Iterator[Hit]:
    """A sentence about the administration that states an opinion, with no 私見 disclaimer."""
    topics, markers = opts.topics, opts.markers
    if not draft.has_lemma(markers) or not draft.has_lemma(topics):
        return
    if opts.disclaimer is not None and opts.disclaimer.search(draft.norm):
        return
    for s, e in _sentences(draft):
        forms = set()
        toks = draft.tokens_in(s, e)
        for i, t in enumerate(toks):
            if t.dictionary_form in markers and (
                _connective(t, toks[i + 1 : i + 2]) or _asked(t, toks[i + 1 : i + 3])
            ):
                continue  # と考え、アンケートを行います; 町の考え方; 疑問をただす: no opinion stated
            forms.add(t.normalized)
            forms.add(t.dictionary_form)
        if not forms.isdisjoint(topics) and not forms.isdisjoint(markers):
            text = draft.text[s:e].rstrip("\n")
            yield Hit(s, s + len(text))


def _connective(token: Token, after: list[Token]) -> bool:
    """A verb in its continuative form before a comma (と考え、/ と思い、): it gives the
    reason for what the sentence says is done, not an opinion the sentence states; or
    before 方 (考え方): a noun, the way of thinking."""
    return (
        token.pos[0] == "動詞"
        and token.pos[5].startswith("連用形")
        and bool(after)
        and after[0].surface in ("、", "，", ",", "方")
    )


# what is done with a question: asked (ただす), answered, cleared; not a doubt stated
_ANSWERED = frozenset({"ただす", "質す", "正す", "答える", "応える", "解消", "解く", "受け付ける"})


def _asked(token: Token, after: list[Token]) -> bool:
    """疑問 as the object of asking or answering (議員が町の考え方や疑問をただす, 住民の
    疑問に答える): the assembly's or the town's work described, not the writer's doubt."""
    return (
        token.dictionary_form == "疑問"
        and len(after) == 2
        and after[0].surface in ("を", "に")
        and after[1].dictionary_form in _ANSWERED
    )


def _sentences(draft: Draft) -> Iterator[tuple[int, int]]:
    b = draft.sentence_bounds
    for i, s in enumerate(b):
        e = b[i + 1] if i + 1 < len(b) else len(draft.text)
        if e > s:
            yield s, e


# --- platform limits ---


def x_weighted_length(text: str) -> tuple[int, int | None]:
    """X's weighted length (twitter-text v3, see xtext.py) and the offset of the first
    character past 280, or None. xtext is imported here: most posts stop at the bound
    (x_length_bound), and `gateway check` starts ~5 ms sooner without it."""
    from gateway.checker import xtext

    parsed = xtext.parse(text)
    over = parsed.over
    if over is not None and over >= len(text):  # NFC made the text shorter
        over = max(len(text) - 1, 0)
    return parsed.weighted_length, over


def x_length_bound(text: str) -> int:
    """An upper bound of x_weighted_length(text)[0], in C calls: ASCII weighs 1, any other
    character at most 2, and each link at most 23. Every link has a dot in a run of
    [A-Za-z0-9.-], and no run holds the start of two links (a start inside a run follows
    a letter, which twitter-text refuses, or - or ., after which it drops the link), so
    there are at most as many links as such runs. Most posts stop here."""
    # ASCII characters are the bytes under 0x80 of the UTF-8 text (every byte of a longer
    # sequence is 0x80 or over): two C passes, where encode("ascii", "ignore") calls its
    # error handler for every Japanese character
    ascii_count = len(text.encode("utf-8").translate(None, _HIGH_BYTES))
    bound = ascii_count + 2 * (len(text) - ascii_count)
    if "." in text:
        # the runs with a dot: one match each, from its first dot to its end
        bound += 23 * len(_DOTTED_RUN_TAIL_RE.findall(text))
    return bound


_HIGH_BYTES = bytes(range(0x80, 0x100))
_DOTTED_RUN_TAIL_RE = re.compile(r"\.[A-Za-z0-9.-]*")  # in a run of [A-Za-z0-9.-]


def _limits(opts: dict[str, Any]) -> dict[str, int]:
    """Per-platform limits of a rule's options: {x: 280, line: 500 …}."""
    return {str(k): int(v) for k, v in dict(opts.get("limits") or {}).items()}


@detector("platform_length", options=_limits)
def find_platform_length(draft: Draft, ctx: CheckContext, limits: dict[str, int]) -> Iterator[Hit]:
    """Longer than the account's platform accepts (X weighted 280, LINE, Instagram, Facebook)."""
    platform = ctx.platform
    if platform is None or platform not in limits:
        return
    limit = limits[platform]
    text = draft.text
    if platform == "x":
        if x_length_bound(text) <= limit:
            return
        length, over = x_weighted_length(text)
    else:
        length = len(text)
        over = limit if length > limit else None
    if length > limit and over is not None:
        yield Hit(
            over,
            min(over + 10, len(text)),
            {
                "length": length,
                "limit": limit,
                "unit": "（X の重み付き文字数）" if platform == "x" else "",
            },
        )


@detector("hashtag_count", options=_limits)
def find_too_many_hashtags(
    draft: Draft, ctx: CheckContext, limits: dict[str, int]
) -> Iterator[Hit]:
    """More hashtags than the platform allows (Instagram: 30)."""
    if ctx.platform not in limits:
        return
    tags = list(_HASHTAG_RE.finditer(draft.text))
    limit = limits[ctx.platform]
    if len(tags) > limit:
        t = tags[limit]
        yield Hit(t.start(), t.end(), {"count": len(tags), "limit": limit})


_HASHTAG_RE = re.compile(r"(?<![\w&])[#＃][^\s#＃、。]+")
