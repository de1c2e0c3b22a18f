"""The links of a host-name run that are decided without label tables or a plan of
its own: an ordinary host (ASCII labels and a TLD), also when its run goes on after the
TLD, and a Japanese word glued to a domain, whose punycode is bounded, not encoded.
Split from xtext_links.py (the scanner that uses them), which had grown past 600 lines.
Each was a label table or the idna codec per host: a draft of links to thousands of
hosts paid that for each.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from gateway.checker.xtext_parts import _BAD_BEFORE, _MAX_URL_LENGTH, _label_length, _valid_url


def _ordinary_end(
    text: str, r0: int, r1: int, proto: int | None, start: int, tlds: frozenset[str]
) -> int:
    """Where the ordinary host (as _simple_plan decides it) that starts the run
    text[r0:r1] ends, when it is not t.co after a protocol (_take decides that one) and
    no refused character is before it or its protocol (at `start`); -1: there is none.
    At r1, its one link is the host (or the protocol and host) with the port, path and
    query after it. Before r1, the run goes on after its TLD with a character that
    does not continue one (a.jp"…, a.jpをご覧…) and no dot: its one link ends with the
    TLD (no port, path or query starts with a run character) and no other link starts
    in the rest (it holds no label after a dot); a draft of links followed by a quote
    mark to as many hosts built label tables for each. It depends on the run, its
    protocol and the characters around them only: _links's plan key."""
    if start and text[start - 1] in _BAD_BEFORE:
        return -1
    # read no further than a host may be (254: one more, to see where it ends)
    simple = _SIMPLE_HOST_CUT_RE.match(text, r0, min(r1, r0 + 254))
    if simple is None or simple.group(1).lower() not in tlds:
        return -1
    end = simple.end()
    if (
        end - r0 > 253
        or (end == r1 and text.startswith(("@", "+"), r1))
        or (end < r1 and text.find(".", end, r1) >= 0)
        or (proto is not None and end - r0 == 4 and text[r0:end].lower() == "t.co")
    ):
        return -1
    return end


# _SIMPLE_HOST_RE, ended where the TLD cannot go on (_continues) and no label follows
_SIMPLE_HOST_CUT_RE = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{1,63})(?![A-Za-z0-9@+\-.])"
)


class _Cut(NamedTuple):
    """A _links plan: an ordinary host that its run goes on after (_ordinary_end)."""

    end: int  # where its domain (and link) ends, from the run's start


class _Glued(NamedTuple):
    """A _links plan: a first label in another script, ordinary labels, a TLD (_glued)."""

    begin: int  # where its link starts, from the run's start (-1: it has none)
    room: int  # the longest the link surely may be (its punycode's extra at most)


# _glued's host: a label of letters, digits and - (not at its ends), kana, ideographs and
# full-width ASCII other than ．(an idna dot), with one of the last three; ordinary ASCII
# labels after dots (group 3, each dot before one); a dot; a label (group 4). Group 1
# ends after the first label's last letter of the last three, group 2 is the ASCII
# letters and digits after it (where the domain twitter-text finds without a protocol
# starts). Each character is read a bounded number of times: the ASCII class never
# crosses a letter of the other three, where the first group gives back, and each
# label is given back once when the last is not a label.
_WIDE = "\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff\uff01-\uff0d\uff0f-\uff5e"
_GLUED_HOST_RE = re.compile(
    f"(?![-xXｘＸ])([-A-Za-z0-9{_WIDE}]*[{_WIDE}])((?:[-A-Za-z0-9]*[A-Za-z0-9])?)"
    r"((?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)\.([^.]+)"
)
_PUNYCODE_DIGITS_MOST = 8  # per letter of another script below U+10000: see _glued


def _glued(
    text: str, r0: int, r1: int, proto: int | None, start: int, tlds: frozenset[str]
) -> _Glued | None:
    """The plan of a Japanese word glued to a domain (詳しくは例.jp, 例1.コム, a full-width
    ＠ address, 詳細はwww.example.jp), without its punycode (None: _plan decides it).
    _foreign_plan made it with the idna codec's punycode (~6 µs, pure Python) and a walk
    of its labels, per host, and one of several labels took the label tables: a draft of as
    many such hosts took 125-300 ms per 100 KB. Every label is a subdomain and name
    label and the last a TLD, so the domain is the whole run; without a protocol its one
    ASCII domain starts with the first label's ASCII end, else with the second label.

    Here the label's punycode is only bounded: ACE prefix, its ASCII letters, a
    delimiter, and at most 8 digits per other letter (RFC 3492: a delta is below
    0x10000 * 64 + 64 for a label of 63 below U+10000, and each digit but the last
    divides what is left by at least 10). Under 64 the label is valid (none of these
    letters is refused by nameprep: tests/unit/test_xtext.py), and the link is valid
    while it is no longer than `room`; a longer one is decided exactly (_fits)."""
    if r1 - r0 > 253 or text.startswith(("@", "+"), r1):
        return None
    if (m := _GLUED_HOST_RE.fullmatch(text, r0, r1)) is None:
        return None
    tld = m.group(4)
    if tld.lower() not in tlds or (tld_length := _label_length(tld)) is None:
        return None
    if start and text[start - 1] in _BAD_BEFORE:
        return None  # refused before it: decided with the tables
    label = m.group(1) + m.group(2)
    wide = len(label) - len(label.encode("ascii", "ignore"))
    most = 4 + len(label) - wide + 1 + _PUNYCODE_DIGITS_MOST * wide
    if most > 63:
        return None  # it may be too long: decided exactly
    room = _MAX_URL_LENGTH - (8 if proto is None else r0 - proto)
    room -= most - len(label) + tld_length - len(tld)  # the other labels are ASCII
    if proto is not None:
        return _Glued(0, room)
    if r0 and text[r0 - 1] in "-_./":
        return _Glued(-1, room)  # no link may start there
    if m.group(2):
        return _Glued(m.end(1) - r0, room)
    if m.group(3):
        return _Glued(m.start(3) + 1 - r0, room)  # from the second label
    return _Glued(-1, room)  # no ASCII domain


def _fits(text: str, start: int, r0: int, r1: int, end: int, proto: int | None) -> bool:
    """Whether the link text[start:end] with the domain text[r0:r1] is valid, with its
    exact punycode (_valid_url)."""
    protocol = "https://" if proto is None else text[proto:r0]
    return _valid_url(text[start:end], protocol, text[r0:r1])
