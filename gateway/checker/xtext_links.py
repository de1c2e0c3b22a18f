"""twitter-text's URL grammar, read by a scanner: the links X counts as 23 characters
each (xtext.py's `parse`, `extract_urls`), from the pieces xtext_parts.py reads. Its
own module: xtext.py had grown past 600 lines with two jobs, weighing a post and
finding its links.

Why our own code: `twitter-text-parser` 3.0.0 (PyPI) passes twitter-text's suite, but
its URL regex backtracks without bound on hostile text (`"a." * 5000` takes over 20 s, so
does a link followed by 10,000 kana), it takes 2.4 s to import and imports
pkg_resources. Here the same grammar is read by a scanner: host-name runs are split into
labels once, each possible start is decided from per-label tables, and paths and queries
are scanned forward, so the work is linear in the text. Top-level domains come from the
Public Suffix List (`publicsuffixlist`), which lists every delegated TLD.
"""


from __future__ import annotations

import re
from typing import Any, NamedTuple

from gateway.checker.xtext_parts import (
    _BAD_BEFORE,
    _DIGITS_AS_ZERO,
    _DOMAIN_CHAR_RE,
    _LINKED_RUN_RE,
    _MAX_TCO_SLUG,
    _MAX_URL_LENGTH,
    _PROTOCOL_RE,
    _TAIL_RE,
    _TCO_RE,
    _ascii_domains,
    _may_hold_tld,
    _path_end,
    _punycode_extra,
    _query_end,
    _Run,
    _tlds,
    _valid_url,
)
from gateway.checker.xtext_quick import _Cut, _fits, _Glued, _glued, _ordinary_end

# A dot and a letter, ASCII or not: every TLD begins with one (_tld_end; none begins with
# a digit, - or _), so a run without one holds no domain
_LETTER_AFTER_DOT_RE = re.compile(r"\.[^\x00-\x40\x5b-\x60\x7b-\x7f]")
_Row = tuple[str, int, int]  # a Url as a plain tuple: parse reads thousands of them
# A link as a plan keeps it: offsets from its run's start, its text read from the draft
# (runs that differ only in their digits share a plan: _links)
_Span = tuple[int, int]


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
        if _LETTER_AFTER_DOT_RE.search(text, r0, r1) is None:
            # no label after a dot begins with a letter (1. 2. … of a numbered list,
            # 10.0.0.1, R8.1.1, each run another): no TLD, nothing to decide (a plan
            # each cost ~4 µs)
            continue
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
        # Its digits are read as 0: digits are alike to every test a plan is made of (no
        # TLD holds one, punycode and nameprep keep them as they are), and a plan keeps
        # offsets, not text, so hosts that differ only in digits (h1.jp, h2.jp, …;
        # 例1.a.jp, 例2.a.jp, …) share one.
        key = text[start - 1 if start else 0 : r1 + 1].translate(_DIGITS_AS_ZERO)
        plan = plans.get(key)
        if plan is None:
            end = _ordinary_end(text, r0, r1, proto, start, tlds)
            if end == r1:
                plan = _ORDINARY
            elif end > r0:
                plan = _Cut(end - r0)
            else:
                plan = _glued(text, r0, r1, proto, start, tlds) or _plan(
                    text, r0, r1, tables, proto
                )
            plans[key] = plan
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
        if type(plan) is _Cut:
            # an ordinary host that the run goes on after (a.jp"…, a.jpをご覧…): its link
            # ends with its TLD, and nothing after it in the run starts another
            pos = r0 + plan.end
            if proto is not None:
                out.append((text[start:pos], start, pos))
            elif not (r0 and text[r0 - 1] in "-_./"):  # as _take decides
                out.append((text[r0:pos], r0, pos))
            continue
        if type(plan) is _Glued:
            # a word in another script glued to a domain, completed as an ordinary host's
            # link: from its protocol, or from the ASCII domain at its end (-1: none)
            pos, path = _tail_end(text, r1)
            begin, room = plan
            if begin >= 0 and (pos - start <= room or _fits(text, start, r0, r1, pos, proto)):
                if proto is not None:
                    out.append((text[start:pos], start, pos))
                else:
                    end = pos if path else r1
                    out.append((text[r0 + begin : end], r0 + begin, end))
            continue
        inside, final, last, fast = plan
        if inside:
            out += [(text[s + r0 : e + r0], s + r0, e + r0) for s, e in inside]
        if last is not None:
            pos = r0 + last
        if fast is not None:
            # _finish for the common final links, inline (thousands of links run this)
            one, start, d1, room, size, s = fast
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
                else:
                    s += r0
                    if path:  # the domain, then the path after the run
                        out.append((text[s : s + size] + text[d1:pos], s, pos))
                    else:
                        out.append((text[s : s + size], s, s + size))
        elif final is not None:
            pos = _finish(text, out, r0, final)
    return out


_ORDINARY: Any = object()  # a _links plan: an ordinary host's one link (_ordinary_end)


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

    inside: tuple[_Span, ...]
    final: _Final | None
    last: int | None
    # the final link as extract_urls completes it inline, when it is a protocol link
    # that is not t.co (one = False) or one ASCII domain without a protocol (one =
    # True): (one, start, d1, the longest it may be, that domain's length, its start)
    fast: tuple[bool, int, int, int, int, int] | None = None


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
        tuple((s - r0, e - r0) for _, s, e in found),
        None if final is None else _final(text, r0, final),
        None if last == 0 else last - r0,
    )


def _planned(inside: tuple[_Span, ...], final: _Final | None, last: int | None) -> _Plan:
    """A _Plan with its `fast` form of the final link when it has one."""
    fast = None
    if final is not None and not final.tco and (final.pieces is None or len(final.pieces) == 1):
        proto = final.protocol
        room = (
            -1 if final.extra is None else _MAX_URL_LENGTH - len(proto or "https://") - final.extra
        )
        if final.pieces is None:
            fast = (False, final.start, final.d1, room, 0, 0)
        else:
            ((s, e),) = final.pieces
            fast = (True, final.start, final.d1, room, e - s, s)
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
        or text[text.rfind(".", r0, r1) + 1 : r1].lower() not in _tlds()[0]
    ):
        return None
    if _SIMPLE_HOST_RE.fullmatch(text, r0, r1) is None:
        if _FOREIGN_HOST_RE.fullmatch(text, r0, r1) is None:
            return None
        return _foreign_plan(text, r0, r1, proto)
    n = r1 - r0
    if proto is not None:
        if proto and text[proto - 1] in _BAD_BEFORE:
            return None  # the protocol link is refused: decided with the tables
        return _planned((), _Final(proto - r0, 0, n, text[proto:r0], 0, None, n == 4), None)
    if r0 and text[r0 - 1] in _BAD_BEFORE:
        # no link starts at the run (a mail address's domain after its @), nor inside its
        # first label unless after a - in it (then: the tables); the next start is after
        # the first dot, where the rest of the run is a domain if it has a dot, but a
        # link only with a protocol (_final). A list of addresses at thousands of
        # domains built a table for each.
        second = text.find(".", r0, r1) + 1
        if text.find("-", r0, second) >= 0:
            return None
        if text.find(".", second, r1) < 0:
            return _Plan((), None, None)  # a TLD alone is no domain
        return _planned((), _Final(second - r0, second - r0, n, None, 0, (), False), None)
    pieces = () if r0 and text[r0 - 1] in "-_./" else ((0, n),)
    return _planned((), _Final(0, 0, n, None, 0, pieces, False), None)


# A host of one label in another script (or with characters other than letters, digits
# and -) and a TLD (_simple_plan looks the last label up): a Japanese word glued to a
# domain (詳しくはexample.jp, 例.コム). Group 1 is the label: domain characters at its
# ends, - also inside, no _ or dot.
_DOMAIN_CLASS = _DOMAIN_CHAR_RE.pattern
_FOREIGN_HOST_RE = re.compile(
    f"({_DOMAIN_CLASS}(?:(?:{_DOMAIN_CLASS}|-)*{_DOMAIN_CLASS})?)\\.[^.]+"
)


def _foreign_plan(text: str, r0: int, r1: int, proto: int | None) -> _Plan | None:
    """The _Plan of a _FOREIGN_HOST_RE host whose TLD is one (None: _decide decides it),
    as _decide and _final make it: its only label is a subdomain and domain-name label,
    so the domain from the run's start is the whole run (~35 µs in tables per host; a
    draft of such links to as many hosts built a table for each)."""
    n = r1 - r0
    domain = text[r0:r1]
    extra = _punycode_extra(domain)
    if proto is not None:
        if proto and text[proto - 1] in _BAD_BEFORE:
            return None  # the protocol link is refused: decided with the tables
        return _planned((), _Final(proto - r0, 0, n, text[proto:r0], extra, None, n == 4), None)
    if r0 and text[r0 - 1] in _BAD_BEFORE:
        return None
    if r0 and text[r0 - 1] in "-_./":
        pieces: tuple[_Span, ...] = ()
    else:
        pieces = _ascii_domains(domain)
    return _planned((), _Final(0, 0, n, None, extra, pieces, False), None)


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
    pieces: tuple[_Span, ...] | None
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
            pieces = tuple((d0 + a - r0, d0 + b - r0) for a, b in _ascii_domains(domain))
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
        s, e = pieces[0]  # one domain and a path: the link runs to the path's end
        out.append((text[s + r0 : e + r0] + text[d1:end], s + r0, end))
    elif pieces:
        out += [(text[s + r0 : e + r0], s + r0, e + r0) for s, e in pieces]
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
