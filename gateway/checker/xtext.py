"""X (Twitter) post length as X counts it: twitter-text's weighted length and URL rules.

Follows twitter-text (config v3: code points in the listed ranges weigh 1, others 2, a
link 23 whatever its length, an emoji sequence 2) and its URL grammar (a link needs a
known top-level domain; it ends where the path characters end, so in
`https://example.jp/event/をご覧ください` only `https://example.jp/event/` is the link),
which xtext_links.py reads (why our own code: see there). Tested against twitter-text's
own conformance suite (tests/unit/test_xtext.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import partial
from operator import itemgetter
from typing import NamedTuple

from gateway.checker.xtext_links import _links
from gateway.checker.xtext_parts import _INVALID


@dataclass(frozen=True)
class Config:
    """twitter-text's configuration (config/v3.json); `V2` is v3 without emoji parsing."""

    max_weighted_length: int = 280
    scale: int = 100
    default_weight: int = 200
    emoji_parsing: bool = True
    url_length: int = 23
    ranges: tuple[tuple[int, int, int], ...] = (
        (0, 4351, 100),
        (8192, 8205, 100),
        (8208, 8223, 100),
        (8242, 8247, 100),
    )


V3 = Config()
V2 = replace(V3, emoji_parsing=False)

_PICTO = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf"
    "\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf"
    "\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001f1e5\U0001f200-\U0001faff"
)
_ELEMENT = f"[{_PICTO}](?:\ufe0f|[\U0001f3fb-\U0001f3ff])?\ufe0f?"
# An emoji as UTS #51 builds them: flags, keycaps, tag sequences (England), and
# pictographs with their presentation selector and skin tone, joined by ZWJ.
# The four alternatives in this order, their first characters taken as one class before
# them (each then looks back at it): a pattern that begins with a class lets `re` skip in
# C to the characters an emoji can begin with, where four branches were tried at every
# character. A keycap needs U+20E3: a text without one is searched by the same regex
# without digits, # and * (links with digits in their hosts stopped at every digit).
_KEYCAP_FIRST = "0-9#*"


def _emoji_regexes(keycaps: bool) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """What an emoji can begin with (one class), and the emoji regex."""
    firsts = f"[\U0001f1e6-\U0001f1ff{_KEYCAP_FIRST if keycaps else ''}{_PICTO}]"
    keycap = f"|(?<=[{_KEYCAP_FIRST}])\ufe0f?\u20e3" if keycaps else ""
    emoji = re.compile(
        f"{firsts}(?:(?<=[\U0001f1e6-\U0001f1ff])[\U0001f1e6-\U0001f1ff]{keycap}"
        "|(?<=\U0001f3f4)[\U000e0020-\U000e007e]+\U000e007f"
        f"|(?<=[{_PICTO}])(?:\ufe0f|[\U0001f3fb-\U0001f3ff])?\ufe0f?(?:\u200d{_ELEMENT})*)"
    )
    return re.compile(firsts), emoji


_EMOJI_FIRST_RE, _EMOJI_RE = _emoji_regexes(keycaps=True)
_EMOJI_FIRST_NO_KEYCAP_RE, _EMOJI_NO_KEYCAP_RE = _emoji_regexes(keycaps=False)


class Url(NamedTuple):
    url: str
    start: int  # code point offsets in the (NFC) text
    end: int


_first, _second, _third = itemgetter(0), itemgetter(1), itemgetter(2)
_url = partial(tuple.__new__, Url)  # a Url from a row, without the class's Python __new__


class Parsed(NamedTuple):
    weighted_length: int
    valid: bool
    permillage: int
    valid_range_end: int  # UTF-16 offset of the last character within the limit
    over: int | None  # code point offset (NFC text) of the first character past the limit


def extract_urls(text: str) -> list[Url]:
    """Links as twitter-text extracts them (with and without a protocol), in order."""
    return list(map(_url, _links(text)))


def _weights(config: Config) -> tuple[tuple[re.Pattern[str], int], ...]:
    by_weight: dict[int, list[str]] = {}
    for lo, hi, w in config.ranges:
        by_weight.setdefault(w, []).append(f"\\U{lo:08x}-\\U{hi:08x}")
    return tuple((re.compile(f"[{''.join(r)}]+"), w) for w, r in by_weight.items())


_WEIGHT_RUNS = {V3: _weights(V3), V2: _weights(V2)}


def _segment_weight(text: str, config: Config) -> int:
    runs = _WEIGHT_RUNS.get(config) or _weights(config)
    total = 0
    counted = 0
    for pattern, weight in runs:
        n = sum(map(len, pattern.findall(text)))
        total += n * weight
        counted += n
    return total + (len(text) - counted) * config.default_weight


def _char_weight(ch: str, config: Config) -> int:
    cp = ord(ch)
    for lo, hi, w in config.ranges:
        if lo <= cp <= hi:
            return w
    return config.default_weight


def _utf16(text: str) -> int:
    """Length in UTF-16 code units, as twitter-text's ranges are given."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse(text: str, config: Config = V3) -> Parsed:
    """twitter-text's parseTweet: weighted length, validity and where the limit is crossed."""
    norm = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    entities: list[tuple[int, int, int]] = [
        (s, e, config.url_length * config.scale) for _, s, e in _links(norm)
    ]
    emoji = False
    first_re, emoji_re = (
        (_EMOJI_FIRST_RE, _EMOJI_RE)
        if "\u20e3" in norm
        else (_EMOJI_FIRST_NO_KEYCAP_RE, _EMOJI_NO_KEYCAP_RE)
    )
    if config.emoji_parsing and (first := first_re.search(norm)) is not None:
        # from the first character an emoji can begin with (none: no pass at all)
        found = [
            (m.start(), m.end(), config.default_weight)
            for m in emoji_re.finditer(norm, first.start())
        ]
        if found:
            emoji = True
            entities += found
            entities.sort()
    limit = config.max_weighted_length * config.scale
    total = 0
    pos = 0
    over: int | None = None
    items = [*entities, (len(norm), len(norm), 0)]
    k = 0
    while over is None and k < len(items):
        s, e, w = items[k]
        k += 1
        if s < pos:
            continue  # an emoji inside a link
        seg = norm[pos:s]
        seg_weight = _segment_weight(seg, config)
        if total + seg_weight > limit:
            running = total
            for i, ch in enumerate(seg):
                running += _char_weight(ch, config)
                if running > limit:
                    over = pos + i
                    break
        total += seg_weight
        if e > s:
            total += w
            if over is None and total > limit:
                over = s
        pos = e
    # Past the limit only the total is wanted: the text between the entities left is
    # weighed in one pass (weights add up over a concatenation), their weights summed.
    # A draft of thousands of links weighed each gap with its own regex calls.
    rest = items[k:]
    if rest and not emoji:  # links alone never overlap: every one counts
        starts = list(map(_first, rest))
        ends = list(map(_second, rest))
        gaps = "".join([norm[a:b] for a, b in zip([pos, *ends[:-1]], starts, strict=True)])
        total += sum(map(_third, rest)) + _segment_weight(gaps, config)
    elif rest:
        gap_list: list[str] = []
        for s, e, w in rest:
            if s < pos:
                continue  # an emoji inside a link
            gap_list.append(norm[pos:s])
            if e > s:
                total += w
            pos = e
        total += _segment_weight("".join(gap_list), config)
    invalid = (
        next((i for i, ch in enumerate(norm) if ch in _INVALID), None)
        if any(c in norm for c in _INVALID)
        else None
    )
    stop = min(x for x in (over, invalid, len(norm)) if x is not None)
    length = total // config.scale
    valid_end = _utf16(norm[:stop]) - 1 + _utf16(text) - _utf16(norm)
    return Parsed(
        length,
        invalid is None and 0 < length <= config.max_weighted_length,
        length * 1000 // config.max_weighted_length,
        valid_end,
        over,
    )
