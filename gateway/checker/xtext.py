"""X (Twitter) post length as X counts it: twitter-text's weighted length and URL rules.

Follows twitter-text (config v3: code points in the listed ranges weigh 1, others 2, a
link 23 whatever its length, an emoji sequence 2) and its URL grammar (a link needs a
known top-level domain; it ends where the path characters end, so in
`https://example.jp/event/をご覧ください` only `https://example.jp/event/` is the link).
Tested against twitter-text's own conformance suite (tests/unit/test_xtext.py).

Why our own code: `twitter-text-parser` 3.0.0 (PyPI) passes that suite, but its URL
regex backtracks without bound on hostile text (`"a." * 5000` takes over 20 s, so does a
link followed by 10,000 kana), it takes 2.4 s to import and imports pkg_resources. Here
the same grammar is read by a scanner: host-name runs are split into labels once, each
possible start is decided from per-label tables, and paths and queries are scanned
forward, so the work is linear in the text. Top-level domains come from the Public
Suffix List (`publicsuffixlist`), which lists every delegated TLD.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from importlib.resources import files
from operator import itemgetter
from typing import Any, NamedTuple


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

_SPACES = "\t\n\x0b\x0c\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_NOT_DOMAIN = f"{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}"
# A run of characters a host name can be made of: domain characters, _ - and dots, as
# one class (the alternation of two classes cost a branch per character of a long host).
_PUNCT_ENDS_HOST = r"!'#%&()*+,\\/:;<=>?@\[\]^{|}~$"  # _PUNCT without _ - .
_RUN_CLASS = f"[^{_PUNCT_ENDS_HOST}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_RUN_RE = re.compile(f"{_RUN_CLASS}+")
# The runs that hold a dot (only they can hold a domain), each matched from its start:
# the look-behind lets a match begin only where a run begins, and the possessive
# repetitions never give back, so each run is read once (linear) and the runs without
# a dot (words, Japanese between links) cost no Python step.
_NO_DOT_CLASS = f"[^.{_PUNCT_ENDS_HOST}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_DOTTED_RUN_RE = re.compile(f"(?<!{_RUN_CLASS}){_NO_DOT_CLASS}*+\\.{_RUN_CLASS}*+")
# the same with the protocol right before a run, when there is one (group 1; the run is
# group 2): a link's protocol is then known without looking back at it
_LINKED_RUN_RE = re.compile(
    f"((?i:https?)://)?((?<!{_RUN_CLASS}){_NO_DOT_CLASS}*+\\.{_RUN_CLASS}*+)"
)
_DOMAIN_CHAR_RE = re.compile(f"[^{_NOT_DOMAIN}]")
_BAD_BEFORE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@＠$#＃")
_BAD_BEFORE |= frozenset(_INVALID)
_PROTOCOL_RE = re.compile(r"https?://", re.I)
_LATIN = "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
_PATH_CLASS = f"[a-z\u0400-\u04ff0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN}]"
_PATH_END_CLASS = f"[+\\-a-z\u0400-\u04ff0-9=_#/{_LATIN}]"
_PATH_CHARS = re.compile(f"{_PATH_CLASS}+", re.I)
_PATH_END = re.compile(_PATH_END_CLASS, re.I)
# a run of path characters (as _PATH_CHARS) with group 1 ending after its last path-ending
# character (as _PATH_END), in one match: the run is read, then given back only down to
# that character (path-ending characters are path characters)
_PATH_SPAN_RE = re.compile(f"({_PATH_CLASS}*{_PATH_END_CLASS})?{_PATH_CLASS}*", re.I)
_QUERY_CHARS = re.compile(r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]+", re.I)
_QUERY_END = re.compile(r"[a-z0-9\-_&=#/]", re.I)
_ASCII_LABEL = re.compile(f"[-a-z0-9{_LATIN}]+", re.I)
_ASCII_ALNUM = re.compile(r"[0-9a-zA-Z]+")
_PUNYCODE = re.compile(r"xn--[-0-9a-z]+", re.I)
_TCO_RE = re.compile(
    r"https?://t\.co/([a-z0-9]+)(?:\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-z0-9\-_&=#/])?", re.I
)
_PORT_RE = re.compile(r"[0-9]+")
# What may follow a domain, as _take read it with a call each: a port (: and ASCII
# digits), a path (a / and the longest run of path characters that ends on a
# path-ending one, as _path_end finds it when no bracket follows the run: group 2 is
# the whole run, to see whether one does) and a query (? and the longest run of query
# characters that ends on a query-ending one, as _query_end). Each optional part that
# does not match is left out, so a shorter path is never tried for the query's sake.
_TAIL_RE = re.compile(
    f"(?::[0-9]+)?(?:(/)(?=({_PATH_CLASS}*+))(?:{_PATH_CLASS}*{_PATH_END_CLASS})?)?"
    r"(?:\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-z0-9\-_&=#/])?",
    re.I,
)
_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG = 40

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


@lru_cache(maxsize=1)
def _tlds() -> tuple[frozenset[str], int]:
    """Every top-level domain of the Public Suffix List (ICANN section), lower case, and
    the longest one's length."""
    data = (files("publicsuffixlist") / "public_suffix_list.dat").read_text(encoding="utf-8")
    icann = data.split("===BEGIN ICANN DOMAINS===")[1].split("===END ICANN DOMAINS===")[0]
    out = set()
    for line in icann.splitlines():
        rule = line.strip().lstrip("!*.")
        if rule and not rule.startswith("//"):
            out.add(rule.rsplit(".", 1)[-1].lower())
    return frozenset(out), max(map(len, out))


def _tld_end(text: str, start: int, end: int) -> int:
    """End of the top-level domain that starts the label text[start:end], or -1."""
    tlds, longest = _tlds()
    m = _ASCII_ALNUM.match(text, start, end)
    candidates = [m.end()] if m else range(start + 1, min(end, start + longest) + 1)
    for stop in reversed(candidates):
        if text[start:stop].lower() in tlds and not _continues(text, stop):
            return stop
    p = _PUNYCODE.match(text, start, end)
    return p.end() if p else -1


_TLD_HEAD_RE = re.compile(r"\.([0-9A-Za-z]++)(?![@+\-])")  # an ASCII label after a dot
_FOREIGN_HEAD_RE = re.compile(r"\.[^\x00-\x7f]")  # a label in another script
_PUNY_HEAD_RE = re.compile(r"\.xn--", re.I)


def _may_hold_tld(text: str, start: int, end: int) -> bool:
    """Whether some label of the run text[start:end] may begin with a TLD: a superset of
    _tld_end's test in C calls only (labels in other scripts always pass; the ASCII
    labels are found, lower-cased and looked up as one set operation), so that a run
    like `a.a.a.…` or `10.10.10.…`, which holds no link, costs no per-label Python step."""
    tlds, _ = _tlds()
    if _FOREIGN_HEAD_RE.search(text, start, end) is not None:
        return True
    if not tlds.isdisjoint(map(str.lower, _TLD_HEAD_RE.findall(text, start, end))):
        return True
    return _PUNY_HEAD_RE.search(text, start, end) is not None


def _continues(text: str, i: int) -> bool:
    """twitter-text's look-ahead after a TLD: the next character may not be [0-9a-zA-Z@+-]."""
    return i < len(text) and (text[i].isascii() and (text[i].isalnum() or text[i] in "@+-"))


class _Run:
    """One host-name run split into labels, with the tables every start is decided by."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        bounds = [start]
        i = text.find(".", start, end)
        while i >= 0:
            bounds.append(i + 1)
            i = text.find(".", i + 1, end)
        self.starts = bounds
        self.ends = [b - 1 for b in bounds[1:]] + [end]
        self.ends_from: dict[int, int] = {}  # domain_end's answers
        n = len(bounds)
        dc = _DOMAIN_CHAR_RE.match
        sub = [False] * n  # a valid subdomain label
        name = [False] * n  # a valid domain-name label (no _)
        self.tld = [-1] * n
        for k in range(n):
            s, e = bounds[k], self.ends[k]
            sub[k] = e > s and dc(text, s) is not None and dc(text, e - 1) is not None
            name[k] = sub[k] and text.find("_", s, e) < 0
            if k:
                self.tld[k] = _tld_end(text, s, e)
        self.sub = sub
        # reach[k]: first label >= k that is not a valid subdomain label
        self.reach = [n] * (n + 1)
        for k in range(n - 1, -1, -1):
            self.reach[k] = self.reach[k + 1] if sub[k] else k
        # last_good[k]: the last label <= k that can be the domain name before a TLD
        self.last_good = [-1] * n
        for k in range(n):
            good = name[k] and k + 1 < n and self.tld[k + 1] >= 0
            self.last_good[k] = k if good else (self.last_good[k - 1] if k else -1)
        # the end of the domain that starts the run and how much longer it is in punycode
        # (None: it has none): every link after a protocol starts its domain there
        head = self.domain_end(start)
        self.head = (head, _punycode_extra.__wrapped__(text[start:head]) if head >= 0 else None)

    def label_of(self, i: int) -> int:
        return bisect_right(self.starts, i) - 1

    def domain_end(self, u: int) -> int:
        """End of the longest domain (subdomains, name, TLD) starting at u, or -1;
        remembered per start (a table serves every run of its text: extract_urls)."""
        end = self.ends_from.get(u)
        if end is None:
            end = self.ends_from[u] = self._domain_end(u)
        return end

    def _domain_end(self, u: int) -> int:
        k = self.label_of(u)
        text, e = self.text, self.ends[k]
        first_sub = e > u and _DOMAIN_CHAR_RE.match(text, u) is not None and self.sub[k]
        first_name = first_sub and text.find("_", u, e) < 0
        if first_sub and k + 1 < len(self.starts):
            top = min(self.reach[k + 1] - 1, len(self.starts) - 2)
            if top >= k + 1 and (j := self.last_good[top]) >= k + 1:
                return self.tld[j + 1]
        if first_name and k + 1 < len(self.starts) and self.tld[k + 1] >= 0:
            return self.tld[k + 1]
        return -1


def _balanced(text: str, i: int) -> int:
    """End of a balanced (…) group at i (one nested level, as twitter-text), or -1."""
    j = _path_run_end(text, i + 1)
    if j < len(text) and text[j] == ")" and j > i + 1:
        return j + 1
    if j < len(text) and text[j] == "(":
        k = _path_run_end(text, j + 1)
        if k > j + 1 and k < len(text) and text[k] == ")":
            k = _path_run_end(text, k + 1)
            if k < len(text) and text[k] == ")":
                return k + 1
    return -1


def _path_run_end(text: str, i: int) -> int:
    m = _PATH_CHARS.match(text, i)
    return m.end() if m else i


def _path_end(text: str, i: int) -> int:
    """End of the path that starts after the / at text[i-1]: the longest run of path
    characters and balanced brackets that ends on a path-ending character."""
    last = i
    n = len(text)
    while i < n:
        m = _PATH_SPAN_RE.match(text, i)  # a run, and where its last path-ending char ends
        j = m.end()  # type: ignore[union-attr]  # it matches, if only the empty string
        if j > i:
            if (e := m.end(1)) >= 0:  # type: ignore[union-attr]
                last = e
            i = j
        if i < n and text[i] == "(":
            g = _balanced(text, i)
            if g < 0:
                break
            i = last = g
        elif j == i or i >= n or text[i] != "(":
            break
    return last


def _query_end(text: str, i: int) -> int:
    """End of a query that starts after the ? at text[i-1], or -1 without one."""
    m = _QUERY_CHARS.match(text, i)
    if not m:
        return -1
    for k in range(m.end() - 1, i - 1, -1):
        if _QUERY_END.match(text, k):
            return k + 1
    return -1


def _ascii_domains(domain: str) -> tuple[tuple[int, int], ...]:
    """twitter-text's ASCII-only domains inside a domain (for links without a protocol):
    ASCII labels ending in a TLD; offsets in `domain`. Remembered for names of a real
    domain's length: a draft of many www. links names few domains."""
    if len(domain) <= 253:
        return _ascii_domains_kept(domain)
    return tuple(_ascii_domains_of(domain))


@lru_cache(maxsize=1024)
def _ascii_domains_kept(domain: str) -> tuple[tuple[int, int], ...]:
    return tuple(_ascii_domains_of(domain))


def _ascii_domains_of(domain: str) -> list[tuple[int, int]]:
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
    k = 0
    pos = 0
    while k < n - 1:
        a, b = labels[k]
        a = max(a, pos)
        first = b  # the ASCII stretch that reaches the label's dot (labels are <= 63)
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


def _valid_url(url: str, protocol: str, domain: str) -> bool:
    # remembered for names of a real domain's length (a draft of many links names few
    # domains, and the codec costs microseconds); a longer one is not kept in memory
    extra = _punycode_extra(domain) if len(domain) <= 253 else _punycode_extra.__wrapped__(domain)
    return extra is not None and len(protocol) + len(url) + extra <= _MAX_URL_LENGTH


@lru_cache(maxsize=1024)
def _punycode_extra(domain: str) -> int | None:
    """How many characters longer the domain is in punycode; None: it has none."""
    try:
        puny = domain.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None
    return len(puny) - len(domain) if puny else None


def extract_urls(text: str) -> list[Url]:
    """Links as twitter-text extracts them (with and without a protocol), in order."""
    return list(map(_url, _links(text)))


_Row = tuple[str, int, int]  # a Url as a plain tuple: parse reads thousands of them


def _links(text: str) -> list[_Row]:
    """extract_urls, as plain tuples (url, start, end)."""
    if "." not in text:
        return []
    out: list[_Row] = []
    pos = 0  # where the next match may begin (its preceding character included)
    tables: dict[tuple[str, str], _Run | bool] = {}  # _table's, per run text
    # _plan's, per run with the characters around it (bare) or with its protocol
    bare: dict[str, _Plan] = {}
    protocol: dict[str, _Plan] = {}
    tlds = _tlds()[0]
    for run in _LINKED_RUN_RE.finditer(text):
        r0, r1 = run.span(2)
        if r1 <= pos:
            continue  # passed already
        proto = run.start(1)
        if proto < 0:
            proto = None  # none matched before the run (it may belong to an earlier run)
            if r0 >= 7 and text.startswith("://", r0 - 3):
                # https:// or http:// (never both: one has t where the other has h)
                if r0 >= 8 and _PROTOCOL_RE.fullmatch(text, r0 - 8, r0):
                    proto = r0 - 8
                elif _PROTOCOL_RE.fullmatch(text, r0 - 7, r0):
                    proto = r0 - 7
        if pos and pos >= (r0 if proto is None else proto):
            # the last link ended inside this run or its protocol: decided from there
            table = _table_of(tables, run.group(2), text[r1 : r1 + 1])
            if table is False:
                continue  # no label after a dot can be a TLD: no domain
            takes, final, pos = _decide(text, r0, r1, table, proto, pos)
            for take in takes:
                _take(text, out, *take)
            if final is not None:
                pos = _take(text, out, *final)
            continue
        # Else the run decides alone, as after no link at all (_plan): the same host
        # between the same characters gives the same links, so a draft of thousands of
        # links decides each host once and pays only the text after its last domain.
        # The key is one slice: the character before the run or its protocol (none at
        # the start), the protocol, the run and the character after it (none at the
        # end); a run never follows or precedes a run character, so the slice says
        # where each part ends.
        start = r0 if proto is None else proto
        plans = bare if proto is None else protocol
        key = text[start - 1 if start else 0 : r1 + 1]
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = (
                _ORDINARY
                if _ordinary(text, r0, r1, proto, start, tlds)
                else _plan(text, r0, r1, tables, proto)
            )
        if plan is _ORDINARY:
            # its one link completed here, without a plan (a draft of links to
            # thousands of hosts made a plan per host: _simple_plan, _planned, tuples)
            tail = _TAIL_RE.match(text, r1)  # it always matches
            pos = tail.end()  # type: ignore[union-attr]
            path = tail.start(1) >= 0  # type: ignore[union-attr]
            if path and text.startswith("(", tail.end(2)):  # type: ignore[union-attr]
                pos = _tail_end(text, r1)[0]  # brackets in the path
            # as _valid_url decides it (an ASCII domain: no punycode extra)
            if pos - start <= _MAX_URL_LENGTH - (8 if proto is None else r0 - proto):
                if proto is not None:
                    out.append((text[start:pos], start, pos))
                elif not (r0 and text[r0 - 1] in "-_./"):  # as _take decides
                    end = pos if path else r1
                    out.append((text[r0:end], r0, end))
            continue
        inside, final, last, fast = plan
        if inside:
            out += [(u, s + r0, e + r0) for u, s, e in inside]
        if last is not None:
            pos = r0 + last
        if fast is not None:
            # _finish for the common final links, inline (thousands of links run this)
            one, start, d1, room, u, s = fast
            d1 += r0
            tail = _TAIL_RE.match(text, d1)  # it always matches
            pos = tail.end()  # type: ignore[union-attr]
            path = tail.start(1) >= 0  # type: ignore[union-attr]
            if path and text.startswith("(", tail.end(2)):  # type: ignore[union-attr]
                pos = _tail_end(text, d1)[0]  # brackets in the path
            start += r0
            if pos - start <= room:  # as _valid_url decides it
                if not one:
                    out.append((text[start:pos], start, pos))
                elif path:
                    out.append((u + text[d1:pos], s + r0, pos))
                else:
                    out.append((u, s + r0, s + r0 + len(u)))
        elif final is not None:
            pos = _finish(text, out, r0, final)
    return out


_ORDINARY: Any = object()  # a _links plan: an ordinary host's one link (_ordinary)


def _ordinary(
    text: str, r0: int, r1: int, proto: int | None, start: int, tlds: frozenset[str]
) -> bool:
    """Whether the run text[r0:r1] is an ordinary host (as _simple_plan decides it) that
    is not t.co after a protocol (_take decides that one), with no refused character
    before it or its protocol (at `start`): its one link is then the host (or the
    protocol and host) with the port, path and query after it. It depends on the run,
    its protocol and the characters around them only: _links's plan key."""
    return (
        r1 - r0 <= 253
        and (simple := _SIMPLE_HOST_RE.fullmatch(text, r0, r1)) is not None
        and simple.group(1).lower() in tlds
        and not text.startswith(("@", "+"), r1)
        and not (start and text[start - 1] in _BAD_BEFORE)
        and (proto is None or r1 - r0 != 4 or text[r0:r1].lower() != "t.co")
    )


def _table_of(tables: dict[tuple[str, str], _Run | bool], host: str, after: str) -> _Run | bool:
    table = tables.get((host, after))
    if table is None:
        table = tables[host, after] = _table(host, after)
    return table


class _Plan(NamedTuple):
    """What a run (with its protocol and the characters around it) decides alone, with
    offsets from its start: the links inside it, the link whose domain ends with the run
    (its port, path and query are read from the text after it) and where the last link
    inside it ended (None: none)."""

    inside: tuple[_Row, ...]
    final: _Final | None
    last: int | None
    # the final link as extract_urls completes it inline, when it is a protocol link
    # that is not t.co (one = False) or one ASCII domain without a protocol (one =
    # True): (one, start, d1, the longest it may be, that domain, its start)
    fast: tuple[bool, int, int, int, str, int] | None = None


def _plan(
    text: str,
    r0: int,
    r1: int,
    tables: dict[tuple[str, str], _Run | bool],
    proto: int | None,
) -> _Plan:
    """The run's _Plan, decided here at its first place. A domain that ends before the
    run does gets no port, path or query (the character after it is a host character,
    never : / or ?), so its link reads nothing after the run; the run's own characters,
    its protocol and the characters before it and the run are the plan's key."""
    simple = _simple_plan(text, r0, r1, proto)
    if simple is not None:
        return simple
    table = _table_of(tables, text[r0:r1], text[r1 : r1 + 1])
    if table is False:
        return _Plan((), None, None)  # no label after a dot can be a TLD: no domain
    takes, final, last = _decide(text, r0, r1, table, proto, 0)
    found: list[_Row] = []
    for take in takes:
        _take(text, found, *take)
    return _planned(
        tuple((u, s - r0, e - r0) for u, s, e in found),
        None if final is None else _final(text, r0, final),
        None if last == 0 else last - r0,
    )


def _planned(inside: tuple[_Row, ...], final: _Final | None, last: int | None) -> _Plan:
    """A _Plan with its `fast` form of the final link when it has one."""
    fast = None
    if final is not None and not final.tco and (final.pieces is None or len(final.pieces) == 1):
        proto = final.protocol
        room = (
            -1 if final.extra is None else _MAX_URL_LENGTH - len(proto or "https://") - final.extra
        )
        if final.pieces is None:
            fast = (False, final.start, final.d1, room, "", 0)
        else:
            ((u, s, _),) = final.pieces
            fast = (True, final.start, final.d1, room, u, s)
    return _Plan(inside, final, last, fast)


# An ordinary host: ASCII labels of letters, digits and inner hyphens, the last one
# letters only (a TLD is looked for there), none longer than 63
# (group 1: the last label)
_SIMPLE_HOST_RE = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{1,63})"
)


def _simple_plan(text: str, r0: int, r1: int, proto: int | None) -> _Plan | None:
    """The _Plan of an ordinary host whose last label is a TLD, without the label tables
    (None: not such a host; _decide decides it). Every label is then a subdomain and
    domain-name label, so the longest domain from the run's start is the whole run; in
    punycode it is as long; as a link without a protocol it is its own one ASCII domain
    (_ascii_domains). A draft of links to thousands of hosts built a table for each
    (~40 µs); tests/unit/test_xtext.py holds both ways equal."""
    if (
        r1 - r0 > 253
        or text.startswith(("@", "+"), r1)  # the TLD would go on (_continues)
        or _SIMPLE_HOST_RE.fullmatch(text, r0, r1) is None
        or text[text.rfind(".", r0, r1) + 1 : r1].lower() not in _tlds()[0]
    ):
        return None
    n = r1 - r0
    if proto is not None:
        if proto and text[proto - 1] in _BAD_BEFORE:
            return None  # the protocol link is refused: decided with the tables
        return _planned((), _Final(proto - r0, 0, n, text[proto:r0], 0, None, n == 4), None)
    if r0 and text[r0 - 1] in _BAD_BEFORE:
        return None
    pieces = () if r0 and text[r0 - 1] in "-_./" else ((text[r0:r1], 0, n),)
    return _planned((), _Final(0, 0, n, None, 0, pieces, False), None)


def _decide(
    text: str, r0: int, r1: int, table: _Run, proto: int | None, pos: int
) -> tuple[list[tuple[Any, ...]], tuple[Any, ...] | None, int]:
    """The links of one run (text[r0:r1]) after the last link ended at `pos` (0: none), as
    _take's arguments: those whose domain ends inside the run, the one whose domain ends
    with it (or None) and where the last of the first ended (else `pos`). twitter-text's
    regex, read as a scanner: a protocol link first, then every start a domain may have."""
    takes: list[tuple[Any, ...]] = []
    if (
        proto is not None
        and (proto >= pos + 1 or proto == pos == 0)
        and (proto == 0 or text[proto - 1] not in _BAD_BEFORE)
    ):
        end, extra = table.head
        if end >= 0:
            take = (proto, r0, r0 + end, text[proto:r0], extra)
            if r0 + end >= r1:
                return takes, take, pos
            takes.append(take)
            pos = r0 + end
    u = max(r0, pos + 1 if pos else 0)
    while u < r1:
        if _DOMAIN_CHAR_RE.match(text, u) and (u == 0 or text[u - 1] not in _BAD_BEFORE):
            end = table.domain_end(u - r0)
            if end >= 0:
                take = (u, u, r0 + end, None, _UNKNOWN)
                if r0 + end >= r1:
                    return takes, take, pos
                takes.append(take)
                pos = r0 + end  # _take ends such a link with its domain
                u = pos + 1
                continue
            u = r0 + _next_start(table, u - r0)
        else:
            u += 1
    return takes, None, pos


def _table(host: str, after: str) -> _Run | bool:
    """The label table of a host-name run (offsets in the run), or False when no label
    of it can begin with a TLD. It depends on the run's text and the character after it
    (a TLD may not go on with @ + -), so extract_urls makes one per run text: a draft of
    thousands of links names few hosts, and a table costs microseconds."""
    n = len(host)
    if not _may_hold_tld(host, 0, n):
        return False
    return _Run(host + after, 0, n)


def _next_start(table: _Run, u: int) -> int:
    """After a failed start at u, the next start whose outcome can differ: after the last
    _ of the label (which can make it a domain name), else the next label."""
    k = table.label_of(u)
    under = table.text.rfind("_", u, table.ends[k])
    if under >= 0:
        return under + 1
    return table.ends[k] + 1


def _before_ok(text: str, u: int) -> bool:
    return u == 0 or text[u - 1] not in _BAD_BEFORE


_UNKNOWN: Any = object()


def _tail_end(text: str, d1: int) -> tuple[int, bool]:
    """Where a link whose domain ends at d1 ends (its port, path and query), and whether
    it has a path."""
    tail = _TAIL_RE.match(text, d1)  # one match, as a rule (it always matches)
    slash = tail.start(1)  # type: ignore[union-attr]
    if slash < 0:
        return tail.end(), False  # type: ignore[union-attr]
    if not text.startswith("(", tail.end(2)):  # type: ignore[union-attr]
        return tail.end(), True  # type: ignore[union-attr]
    end = _path_end(text, slash + 1)  # brackets in the path: balanced groups
    if text.startswith("?", end) and (q := _query_end(text, end + 1)) >= 0:
        end = q
    return end, True


class _Final(NamedTuple):
    """A _Plan's link whose domain ends with its run, with what _take would decide about
    it from the run alone (offsets from the run's start)."""

    start: int
    d0: int
    d1: int
    protocol: str | None
    extra: int | None
    # a link without a protocol: its ASCII domains (_take's `found`; none: no link);
    # None for a protocol link
    pieces: tuple[_Row, ...] | None
    tco: bool  # a protocol link whose domain may be t.co: _take decides it


def _final(text: str, r0: int, take: tuple[Any, ...]) -> _Final:
    start, d0, d1, protocol, extra = take
    domain = text[d0:d1]
    if extra is _UNKNOWN:
        extra = (
            _punycode_extra(domain) if len(domain) <= 253 else _punycode_extra.__wrapped__(domain)
        )
    pieces = None
    if protocol is None:
        pieces = ()
        if not (start > 0 and text[start - 1] in "-_./"):  # as _take decides
            pieces = tuple(
                (domain[a:b], d0 + a - r0, d0 + b - r0) for a, b in _ascii_domains(domain)
            )
    tco = protocol is not None and d1 - d0 == 4
    return _Final(start - r0, d0 - r0, d1 - r0, protocol, extra, pieces, tco)


def _finish(text: str, out: list[_Row], r0: int, final: _Final) -> int:
    """_take for a plan's final link in the run at r0: only its tail is read (as
    _tail_end reads it, inline: thousands of links call this)."""
    start, d0, d1, protocol, extra, pieces, tco = final
    start += r0
    d1 += r0
    if tco:
        return _take(text, out, start, d0 + r0, d1, protocol, extra)
    tail = _TAIL_RE.match(text, d1)  # it always matches
    end = tail.end()  # type: ignore[union-attr]
    slash = tail.start(1)  # type: ignore[union-attr]
    if slash >= 0 and text.startswith("(", tail.end(2)):  # type: ignore[union-attr]
        end = _tail_end(text, d1)[0]  # brackets in the path
    if extra is None or len(protocol or "https://") + end - start + extra > _MAX_URL_LENGTH:
        return end  # as _valid_url decides it
    if pieces is None:
        out.append((text[start:end], start, end))
    elif len(pieces) == 1 and slash >= 0:
        u, s, _ = pieces[0]  # one domain and a path: the link runs to the path's end
        out.append((u + text[d1:end], s + r0, end))
    elif pieces:
        out += [(u, s + r0, e + r0) for u, s, e in pieces]
        if slash >= 0:
            u, s, _ = out[-1]
            out[-1] = (u + text[d1:end], s, end)
    return end


def _take(
    text: str,
    out: list[_Row],
    start: int,
    d0: int,
    d1: int,
    protocol: str | None,
    extra: int | None = _UNKNOWN,
) -> int:
    """Complete a link whose domain is text[d0:d1] (port, path, query), check it as
    twitter-text does and append it; return where the match ended. `extra`: the
    domain's punycode extra length when the caller knows it (_Run.head_domain)."""
    end, has_path = _tail_end(text, d1)
    url, domain = text[start:end], text[d0:d1]
    if extra is _UNKNOWN:
        if not _valid_url(url, protocol or "https://", domain):
            return end
    elif extra is None or len(protocol or "https://") + len(url) + extra > _MAX_URL_LENGTH:
        return end  # as _valid_url decides it
    if protocol is not None:
        # a t.co link's domain is t.co: the regex is not tried on any other
        if d1 - d0 == 4 and (tco := _TCO_RE.match(url)):
            if len(tco.group(1)) > _MAX_TCO_SLUG:
                return end
            url = tco.group(0)
        out.append((url, start, start + len(url)))
        return end
    if start > 0 and text[start - 1] in "-_./":
        return end
    found = [(domain[a:b], d0 + a, d0 + b) for a, b in _ascii_domains(domain)]
    if not found:
        return end
    if has_path:
        last, at, _ = found[-1]
        found[-1] = (url.replace(domain, last, 1), at, end)
    out.extend(found)
    return end


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
