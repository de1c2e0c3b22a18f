"""The pieces of a link as twitter-text's URL grammar reads them: the characters of a
host-name run, top-level domains (from the Public Suffix List), a run's label tables,
ASCII domains, punycode, paths and queries. Split from xtext_links.py (the scanner that
puts them together), which had grown past 600 lines.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from importlib.resources import files
from itertools import accumulate, compress
from operator import and_, not_

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
_PUNY_HEAD_RE = re.compile(r"\.xn--", re.I)


@lru_cache(maxsize=1)
def _foreign_head_re() -> re.Pattern[str]:
    """A label in another script after a dot, group 1: its first characters, as many as
    the longest TLD has (as many as _tld_end tries)."""
    return re.compile(f"\\.([^\\x00-\\x7f][^.]{{0,{_tlds()[1] - 1}}})")


def _may_hold_tld(text: str, start: int, end: int) -> bool:
    """Whether some label of the run text[start:end] may begin with a TLD: a superset of
    _tld_end's test in C calls only (the ASCII labels are found, lower-cased and looked up
    as one set operation; a label in another script is looked up as _tld_end does, once
    per distinct label start), so that a run like `a.a.a.…`, `10.10.10.…` or `〇.〇.〇.…`,
    which holds no link, costs no per-label Python step (a run of labels in another
    script cost the label tables and a walk of every start: ~65 ms per 100 KB)."""
    tlds, _ = _tlds()
    foreign = _foreign_head_re().findall(text, start, end)
    if foreign and any(map(_begins_with_tld, set(foreign))):
        return True
    if not tlds.isdisjoint(map(str.lower, _TLD_HEAD_RE.findall(text, start, end))):
        return True
    return _PUNY_HEAD_RE.search(text, start, end) is not None


def _begins_with_tld(head: str) -> bool:
    """Whether the start of a label in another script, lower-cased, is a TLD (the test of
    _tld_end, which lower-cases each candidate from the label's start)."""
    tlds, _ = _tlds()
    return any(head[:i].lower() in tlds for i in range(1, len(head) + 1))


_DIGITS_AS_ZERO = str.maketrans("123456789", "000000000")


def _inner_tld(label: str) -> int:
    """_tld_end of a label that a dot (or nothing) follows, from the label's start (-1:
    none). Remembered per label of a label's length (63) with its digits read as 0 (no
    TLD holds a digit, and a candidate's end does not depend on which digit it is): a
    run of thousands of labels (゙x.com゙x.com…, each another number) tried up to 24
    candidates per label."""
    return _facts(label)[2]


def _facts(label: str) -> tuple[bool, bool, int]:
    """_label_facts, remembered for a label of a label's length (63) with its digits read
    as 0; a longer one is not kept (a memo of long labels would hold drafts' text)."""
    if len(label) > 63:
        return _label_facts.__wrapped__(label)
    return _label_facts(label.translate(_DIGITS_AS_ZERO))


@lru_cache(maxsize=4096)
def _label_facts(label: str) -> tuple[bool, bool, int]:
    """What _Run asks of a label that a dot follows (its digits read as 0): whether it is
    a valid subdomain label (domain characters at its ends), a valid domain-name label
    (and no _), and the end of the TLD it begins with (-1: none)."""
    sub = bool(label) and _DOMAIN_CHAR_RE.match(label) is not None
    sub = sub and _DOMAIN_CHAR_RE.match(label, len(label) - 1) is not None
    return sub, sub and "_" not in label, _tld_end(label + ".", 0, len(label))


def _continues(text: str, i: int) -> bool:
    """twitter-text's look-ahead after a TLD: the next character may not be [0-9a-zA-Z@+-]."""
    return i < len(text) and (text[i].isascii() and (text[i].isalnum() or text[i] in "@+-"))


class _Run:
    """One host-name run split into labels, with the tables every start is decided by."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        parts = text[start:end].split(".")
        n = len(parts)
        bounds = list(accumulate([len(p) + 1 for p in parts[:-1]], initial=start))
        self.starts = bounds
        self.ends = [b - 1 for b in bounds[1:]] + [end]
        self.ends_from: dict[int, int] = {}  # domain_end's answers
        # each label's facts, remembered per label (_label_facts: a run of thousands of
        # labels asked two regexes and up to 24 TLD candidates of each)
        facts = [_facts(p) for p in parts]
        sub = [f[0] for f in facts]  # a valid subdomain label
        name = [f[1] for f in facts]  # a valid domain-name label (no _)
        self.tld = [-1 if t < 0 else b + t for (_, _, t), b in zip(facts, bounds, strict=True)]
        self.tld[0] = -1  # the first label is never a TLD
        # the last label: the character after the run follows it, not a dot
        self.tld[-1] = _tld_end(text, bounds[-1], end) if n > 1 else -1
        self.sub = sub
        # the labels that are not valid subdomain labels, and those that can be the
        # domain name before a TLD, in order (listed in C, looked up by bisection:
        # reach, last_good; a table per label cost a Python step each)
        self._bad = list(compress(range(n), map(not_, sub)))
        self._good = list(compress(range(n - 1), map(and_, name, [t >= 0 for t in self.tld[1:]])))
        # the end of the domain that starts the run and how much longer it is in punycode
        # (None: it has none): every link after a protocol starts its domain there
        head = self.domain_end(start)
        self.head = (head, _punycode_extra.__wrapped__(text[start:head]) if head >= 0 else None)

    def label_of(self, i: int) -> int:
        return bisect_right(self.starts, i) - 1

    def reach(self, k: int) -> int:
        """The first label from k on that is not a valid subdomain label (n: none)."""
        i = bisect_left(self._bad, k)
        return self._bad[i] if i < len(self._bad) else len(self.starts)

    def last_good(self, k: int) -> int:
        """The last label up to k that can be the domain name before a TLD (-1: none)."""
        i = bisect_right(self._good, k)
        return self._good[i - 1] if i else -1

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
            top = min(self.reach(k + 1) - 1, len(self.starts) - 2)
            if top >= k + 1 and (j := self.last_good(top)) >= k + 1:
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
    """_ascii_domains, worked out: for each label, the ASCII stretch that reaches its dot
    and the last label that begins with a TLD before the next label that is not ASCII
    throughout. Both are read from passes over the labels made once (a scan forward
    from every label was quadratic: `a.a.a.….例.com` of 64 KB took 10 s)."""
    parts = domain.split(".")
    n = len(parts)
    starts = list(accumulate([len(p) + 1 for p in parts[:-1]], initial=0))
    ascii_full = [_ASCII_LABEL.fullmatch(p) is not None for p in parts]
    tld = [-1] * n
    for k in range(1, n):  # a dot or the domain's end follows each label
        t = _inner_tld(parts[k])
        tld[k] = starts[k] + t if t >= 0 else -1
    # stop[j]: the first label from j on that is not ASCII throughout (n: none)
    stop = [n] * (n + 1)
    for j in range(n - 1, -1, -1):
        stop[j] = stop[j + 1] if ascii_full[j] else j
    # last_tld[j]: the last label up to j that begins with a TLD (-1: none)
    last_tld = [-1] * n
    previous = -1
    for j in range(n):
        if tld[j] >= 0:
            previous = j
        last_tld[j] = previous
    out: list[tuple[int, int]] = []
    k = pos = 0
    while k < n - 1:
        b = starts[k] + len(parts[k])
        tail = _ASCII_LABEL.match(parts[k][::-1])  # the ASCII stretch that reaches the dot
        first = max(b - (tail.end() if tail else 0), starts[k], pos)
        best = last_tld[min(stop[k + 1], n - 1)]
        if first >= b or best <= k:
            k += 1
            continue
        out.append((first, tld[best]))
        pos = tld[best]
        k = best if tld[best] < starts[best] + len(parts[best]) else best + 1
    return out


def _valid_url(url: str, protocol: str, domain: str) -> bool:
    # remembered for names of a real domain's length (a draft of many links names few
    # domains, and the codec costs microseconds); a longer one is not kept in memory
    extra = _punycode_extra(domain) if len(domain) <= 253 else _punycode_extra.__wrapped__(domain)
    return extra is not None and len(protocol) + len(url) + extra <= _MAX_URL_LENGTH


@lru_cache(maxsize=1024)
def _punycode_extra(domain: str) -> int | None:
    """How many characters longer the domain is in punycode (as the idna codec writes it);
    None: it has none. _MAX_URL_LENGTH when the punycode grows past twitter-text's limit
    on a link before its end: every caller then finds the link too long, as it would with
    the exact figure, and the rest is not encoded.

    A name in another script is encoded a label at a time, as the codec does it (split at
    its four dots, a trailing dot kept), each label once (_label_length): the codec on a
    whole run, ゙x.com゙x.com… of 100 KB, took 130 ms, twice per run."""
    if domain.isascii():  # the codec's own fast path: a split in C
        try:
            return 0 if domain.encode("idna") else None
        except (UnicodeError, ValueError):
            return None
    labels = _IDNA_DOTS.split(domain)
    total = -1  # no dot before the first label
    if not labels[-1]:
        total += 1  # a trailing dot is kept, not a label
        del labels[-1]
    for label in labels:
        n = _label_length(label)
        if n is None:
            return None
        total += n + 1
        if total > _MAX_URL_LENGTH:
            return _MAX_URL_LENGTH
    return total - len(domain)


_IDNA_DOTS = re.compile("[.\u3002\uff0e\uff61]")  # encodings.idna.dots
# What nameprep deletes before anything else (RFC 3454 table B.1, stringprep.b1_set)
_B1_GONE = dict.fromkeys(
    [0xAD, 0x34F, 0x1806, 0x180B, 0x180C, 0x180D, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF,
     *range(0xFE00, 0xFE10)]
)  # fmt: skip
# The most characters one character's NFKD has (U+FDFA: 18, in Unicode 3.2 and now): a
# label's nameprep (B.1 deleted, B.2 maps a character to one or more, then NFKC) has at
# least 1/18 of its characters left, and the codec refuses more than 63
_NFKD_MOST = 18
_LONGEST_LABEL = 63 * _NFKD_MOST


# Characters nameprep only lower-cases or narrows, alone and next to each other: ASCII,
# full-width ASCII (NFKC makes it ASCII), hiragana, katakana and ー, CJK ideographs (none
# is otherwise mapped or prohibited, none is right-to-left, none combines with another in
# NFKC: tested). A Japanese word glued to a domain (詳しくはexample.jp), or an address
# with a full-width ＠, is such a label: its nameprep cost ~15 µs in Python, per label.
_NAMEPREP_SIMPLE_RE = re.compile(
    "[\\x00-\\x7f\uff01-\uff5e\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff]+"
)
_WIDE_TO_ASCII = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


def _simple_nameprep(label: str) -> str:
    """nameprep of a _NAMEPREP_SIMPLE_RE label: full-width ASCII narrowed, lower-cased."""
    return label.translate(_WIDE_TO_ASCII).lower()


@lru_cache(maxsize=4096)
def _label_length(label: str) -> int | None:
    """The length of one label as the idna codec encodes it (encodings.idna.ToASCII),
    None where the codec refuses it. What nameprep deletes (B.1) is deleted first in C:
    nameprep deletes it before its other steps, character by character, so its result
    does not change, and a label of thousands of soft hyphens costs no Python step each.
    A label that is ASCII without them is only lower-cased by nameprep (which prohibits
    no ASCII character: the codec does not use the STD3 rules); one too long to come out
    of nameprep in 63 characters is refused without reading it."""
    if label.isascii():
        return len(label) if 0 < len(label) < 64 else None
    bare = label.translate(_B1_GONE)
    if bare.isascii():
        return len(bare) if 0 < len(bare) < 64 else None
    if len(bare) > _LONGEST_LABEL:
        return None
    if _NAMEPREP_SIMPLE_RE.fullmatch(bare):
        # ToASCII after nameprep: ASCII as it is, else the ACE prefix refused, punycode
        # and the prefix, within the codec's limit
        prepped = _simple_nameprep(bare)
        if prepped.isascii():
            return len(prepped) if len(prepped) < 64 else None
        if prepped.startswith("xn--"):
            return None
        n = 4 + len(prepped.encode("punycode"))
        return n if n < 64 else None
    try:
        return len(bare.encode("idna"))
    except (UnicodeError, ValueError):
        return None
