"""Runs of a draft that Sudachi reads as many morphemes which no rule reads one by one.

Each run is read as a one-character placeholder and becomes one token of the whole run
(tokenizer._put_runs), so that Sudachi reads only the post's words: on a 140-character
event post, its link, contact number and dates were a third of Sudachi's time.

- A link as a town's post writes it: a scheme and the ASCII characters of a URL, not
  ending in the punctuation of the sentence around it. Sudachi cut
  https://www.town.tatsuno.lg.jp/ into 13 morphemes (https : / / www . town …); rules
  skip matches inside links, and the near-duplicate words leave them out.
- A phone number written with hyphens (0266-41-1111, ０２６６－４１－１１１１), the contact
  line of nearly every event post: 13 of Sudachi's 65 µs went on its five morphemes
  (numbers are its slowest words). The phone rules read the text, not the tokens.
- A date with its weekday in brackets (9月8日（月）, 10日(水)), up to the closing bracket,
  which stays in the text: a rule's look behind a date still sees that bracket, and its
  look ahead at a date still sees a number. The date rules read the text.

A run never starts next to a character its placeholder could join (a letter, a digit,
a figure's point); where Sudachi joins one anyway, the tokenizer reads the text as it is.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

# The three kinds as plain patterns (what tests compare the scan with); only the scan of
# _KINDS is compiled, on a draft's first need (these three took 1.5 ms of every start).
_LINK = r"(?<![0-9A-Za-z])[Hh][Tt][Tt][Pp][Ss]?://[!#-'*-;=?-Z_a-z~]*(?<![.,;:!?'])"
_PHONE = (
    r"(?<![0-9A-Za-z０-９Ａ-Ｚａ-ｚ\-－])(?<![0-9０-９][.,．，])"  # not in a word or a figure
    r"[0０][0-9０-９]{1,4}[-－][0-9０-９]{1,4}[-－][0-9０-９]{3,4}"
    r"(?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ\-－])(?![.,．，][0-9０-９])"
)
_NOT_BEFORE_NUMBER = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ〇一二三四五六七八九十百千万.,．，"
_DATE = (
    rf"(?<![{_NOT_BEFORE_NUMBER}])"
    r"(?:[0-9０-９]{1,2}月)?[0-9０-９]{1,2}日[（(][月火水木金土日](?=[)）])"
)
# Each kind as it is scanned for: its first letter, then a look behind it, so that `re`
# skips in C from one such letter to the next (a look-behind first made it try every
# position of the draft: 9 µs a post).
_KINDS = (
    (
        "link",
        "[Hh]",
        r"(?<![0-9A-Za-z][Hh])" + _LINK.split("[Hh]", 1)[1],
    ),
    (
        "phone",
        "[0０]",
        r"(?<![0-9A-Za-z０-９Ａ-Ｚａ-ｚ\-－][0０])(?<![0-9０-９][.,．，][0０])"
        + _PHONE.split("[0０]", 1)[1],
    ),
    (
        "date",
        "[0-9０-９]",
        rf"(?<![{_NOT_BEFORE_NUMBER}][0-9０-９])"
        r"(?:[0-9０-９]?月[0-9０-９]{1,2}|[0-9０-９]?)日[（(][月火水木金土日](?=[)）])",
    ),
)


@cache
def _scan(present: tuple[bool, ...]) -> re.Pattern[str]:
    """One regex for the kinds present (a flag per kind of _KINDS): their first letters
    as one class (the one place `re` skips from), then each kind, under a look-back at
    its own first letter, in the order of _KINDS (at one place, the kind listed first
    wins, as in one alternation)."""
    parts = [kind for kind, on in zip(_KINDS, present, strict=True) if on]
    letters = "".join(first[1:-1] for _, first, _ in parts)
    branches = "|".join(f"(?P<{k}>(?<={first}){rest})" for k, first, rest in parts)
    return re.compile(f"[{letters}](?:{branches})")


LINK_POS = ("名詞", "普通名詞", "一般", "*", "*", "*")  # as Sudachi tags an unknown Latin word
NUMBER_POS = ("名詞", "数詞", "*", "*", "*", "*")  # as Sudachi tags a number


class StandIn(NamedTuple):
    placeholder: str  # what Sudachi reads instead: a word of its own between other characters
    pos: tuple[str, ...]  # the run's part of speech


# a letter for a link, a digit for a phone number or a date (a date's first morpheme)
STAND_INS = {"link": StandIn("h", LINK_POS), "phone": StandIn("0", NUMBER_POS),
             "date": StandIn("0", NUMBER_POS)}  # fmt: skip


def opaque_runs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the links, phone numbers and dates in `text`, left to right:
    what one scan for any of them finds (at one place, the kind listed first). The kinds
    whose marks are not in the text are left out of the scan."""
    present = (  # per kind of _KINDS, a mark it cannot be without (written out: 3 µs less)
        "://" in text,
        "-" in text or "－" in text,
        "日（" in text or "日(" in text,
    )
    if not any(present):
        return []
    return [(m.start(), m.end(), m.lastgroup) for m in _scan(present).finditer(text)]


def read_with_stand_ins(text: str, runs: list[tuple[int, int, str]]) -> str:
    """`text` with each run replaced by its placeholder: what Sudachi reads."""
    parts = []
    done = 0
    for s, e, kind in runs:
        parts += (text[done:s], STAND_INS[kind].placeholder)
        done = e
    parts.append(text[done:])
    return "".join(parts)
