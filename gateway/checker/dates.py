"""Dates written in a draft, and the two rules on them: a weekday in brackets that is not
the date's (date_weekday), and a day that does not exist (date_impossible).

Dates are read from the NFKC text with one regex (Sudachi reads `(水)` as water). It is
tried only where a date can start (date_matches): within 12 characters before a 年, 月,
日, / or ., found by a scan that `re` does in C.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache, partial
from itertools import islice
from typing import Any, NamedTuple

from gateway.checker.context import CheckContext
from gateway.checker.draft import Draft
from gateway.checker.engine import Hit, detector
from gateway.checker.lazyre import deferred

# Each era: the year before its first year, and its first and last day. A date outside
# its era's days (平成31年5月1日, 令和元年4月30日, 昭和64年1月8日) does not exist.
_ERAS = {
    "令和": (2018, date(2019, 5, 1), date.max),
    "平成": (1988, date(1989, 1, 8), date(2019, 4, 30)),
    "昭和": (1925, date(1926, 12, 25), date(1989, 1, 7)),
}
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}  # R8.11.25, H31.4.30, S63年
_WEEKDAYS = "月火水木金土日"
_KANJI_DIGITS = "〇一二三四五六七八九"
_KN = "[〇一二三四五六七八九十]{1,3}"  # a kanji month, day or era year: 十一, 二十五, 三十一
# The characters a date starts with (an era, a digit, a kanji digit, or after 〜 / から a
# space), and those it is written with up to its first 年, 月, 日, / or . (令和 三十一 年 is 7)
_FIRST = r"令平昭RHS\d\s〇一二三四五六七八九十"
_RUN = r"令和平成昭元RHS\d\s〇一二三四五六七八九十"
_REACH = 12  # at most this many of _RUN from a date's start to its first 年月日/.
# The look-aheads reject a position at once: a date starts with one of _FIRST, and
# within _REACH characters of _RUN reaches 年, 月, 日, / or .. Both are bounded (an
# unbounded second look-ahead made a run of 40,000 spaces take 21 s), and every other
# quantifier is possessive or ends at a literal: each position tried costs O(1) plus the
# spaces it starts. date_matches tries only the positions the second one allows.
_DATE_LEAD = rf"(?=[{_FIRST}])(?=[{_RUN}]{{0,{_REACH}}}[年月日/.])"
_DATE_WORDS = (  # 令和8年11月25日, 2026年11月25日, 十一月二十五日
    r"(?:(?P<era>令和|平成|昭和|(?<![A-Za-z])[RHS])\s*+(?P<ey>元|\d{1,2}|" + _KN + r")\s*+年\s*+"
    r"|(?P<y>\d{4}|[〇一二三四五六七八九]{4})\s*+年\s*+)?"
    r"(?<![〇一二三四五六七八九十百])(?P<m>\d{1,2}|"
    + _KN
    + r")\s*+月\s*+(?P<d>\d{1,2}|"
    + _KN
    + r")\s*+日"
)
_DATE_SLASH = (  # 2026/11/25, 11/25
    r"(?<![\d/.])(?:(?P<y2>\d{4})\s*+[/.]\s*+)?(?P<m2>\d{1,2})\s*+/\s*+(?P<d2>\d{1,2})(?![\d/])"
)
_DATE_DOTS = (  # R8.11.25, 2026.11.25
    r"(?<![A-Za-z0-9.])(?:(?P<ea>[RH])(?P<eay>\d{1,2})|(?P<y4>\d{4}))\.(?P<m4>\d{1,2})\.(?P<d4>\d{1,2})(?![\d.])"
)
_DATE_AFTER = r"(?:(?<=[〜~\-・、,])|(?<=から))\s*+(?P<d3>\d{1,2})\s*+日"  # 〜22日
# The whole date regex, as tests and a dense text's plain scan know it: compiled on first
# use (2.5 ms of every `gateway check` start, for its group names alone)
_DATE_RE = deferred(
    _DATE_LEAD + "(?:" + "|".join((_DATE_WORDS, _DATE_SLASH, _DATE_DOTS, _DATE_AFTER)) + ")"
)
_DATE_GROUPS = ("era", "ey", "y", "m", "d", "y2", "m2", "d2", "ea", "eay", "y4", "m4", "d4", "d3")


# The group each kind of date closes last (a match's lastgroup, which tells its kind in
# C), and the groups _dates reads of that kind: m.group(*names) reads just those (all 14
# groups, by an itemgetter kept per regex, cost ~5k instructions a date)
_KIND_GROUPS = {
    "d": ("era", "ey", "y", "m", "d"),  # 令和8年11月25日, 11月25日
    "d2": ("y2", "m2", "d2"),  # 2026/11/25, 11/25
    "d4": ("ea", "eay", "y4", "m4", "d4"),  # R8.11.25, 2026.11.25
    "d3": ("d3",),  # 〜22日
}


@lru_cache(maxsize=16)
def _date_regex(words: bool, slash: bool, dots: bool, day: bool) -> re.Pattern[str] | None:
    """_DATE_RE with only the kinds of date whose marks the draft has (月 and 日, /, ., 日),
    the same matches (None: no kind). A run of digits and dots (10.10.10…, 192.168.…)
    tried every kind at every digit: only R8.11.25 can match there. The dotted kind goes
    last under a look-ahead of its own, which its match implies, as it implies the
    leading ones: it never matches where 〜22日 does, so the order of the two is moot."""
    kinds = [k for k, on in ((_DATE_WORDS, words), (_DATE_SLASH, slash), (_DATE_AFTER, day)) if on]
    alternatives = [_DATE_LEAD + "(?:" + "|".join(kinds) + ")"] if kinds else []
    if dots:
        alternatives.append(r"(?=[RH\d])(?:" + _DATE_DOTS + ")")
    return re.compile("|".join(alternatives)) if alternatives else None


# Read backwards (on the reversed text): a 年月日/. and the characters of _RUN before it,
# up to _REACH of them. None of 年月日/. is in _RUN, so by the second look-ahead every
# date starts among those. The pattern starts with a class of five letters, so `re`
# skips in C from one to the next.
_RUN_BEFORE_MARK = re.compile(rf"[年月日/.][{_RUN}]{{1,{_REACH}}}")


def date_matches(norm: str) -> list[re.Match[str]]:
    """The matches of _DATE_RE.finditer(norm): the regex of the kinds of date the text
    can hold (_date_regex), tried only where a date can start.

    The regex has no first character for `re` to skip to (it starts with look-aheads),
    so finditer ran it at every position of the draft (~450 instructions each). Here it
    is tried only where the second look-ahead of _DATE_LEAD can hold (_RUN_BEFORE_MARK;
    a dotted date implies it), left to right from the end of the last match: the same
    matches, as every other position fails it. A text dense with such places (1.1.1.…,
    1月1月…) is scanned plainly.
    """
    day = "日" in norm
    regex = _date_regex("月" in norm and day, "/" in norm, "." in norm, day)
    if regex is None:
        return []
    n = len(norm)
    most = n // _SPARSE + _FEW
    found = list(islice(_RUN_BEFORE_MARK.finditer(norm[::-1]), most + 1))
    if len(found) > most:  # dense (1.1.1.…): each costs a call, plain is cheaper
        return list(regex.finditer(norm))
    out: list[re.Match[str]] = []
    done = 0
    match = regex.match
    for s, e in map(_span, reversed(found)):  # [n - e, n - 1 - s): a run before its mark
        p = max(n - e, done)
        mark = n - 1 - s
        while p < mark:
            m = match(norm, p)
            if m is None:
                p += 1
            else:
                out.append(m)
                p = done = max(m.end(), p + 1)  # a date is never empty; no loop if it were
    return out


_span = re.Match.span
# At most one run per this many characters, or finditer is cheaper: a run costs about
# as much as this many positions of the plain scan (a call from Python, and a match).
_SPARSE = 20
_FEW = 4  # and a few in any text


def _number(written: str) -> int:
    """An Arabic or kanji number as written in a date: 25, 二十五, 十一, 二〇二六, 元 (1)."""
    if written.isdecimal():  # 25, and digits of other scripts (٣) that \d also takes
        return int(written)
    if written == "元":
        return 1
    if "十" not in written:  # positional: 二〇二六
        return int("".join(str(_KANJI_DIGITS.index(c)) for c in written))
    tens, _, ones = written.partition("十")
    return (_KANJI_DIGITS.index(tens) if tens else 1) * 10 + (
        _KANJI_DIGITS.index(ones) if ones else 0
    )


def _era_year(era: str, written: str) -> tuple[int, str]:
    """The Western year of an era year, and the era's name (R -> 令和)."""
    name = _ERA_LETTERS.get(era, era)
    return _ERAS[name][0] + _number(written), name


def _in_era(name: str, dt: date) -> bool:
    _, first, last = _ERAS[name]
    return first <= dt <= last


_WD_RE = re.compile(
    r"\s*+\(\s*+(?P<w>[月火水木金土日])\s*+(?:曜日?)?\s*+(?:[・･,、]\s*+(?P<h>祝|休|振替?)日?\s*+)?\)"
)


@lru_cache(maxsize=4096)
def _infer_year(m: int, d: int, ref: date) -> int | None:
    """The year that puts month/day nearest the reference date (a post near New Year)."""
    best = None
    for y in (ref.year, ref.year + 1, ref.year - 1):
        candidate = _date_or_none(y, m, d)
        if candidate is not None:
            dist = abs((candidate - ref).days)
            if best is None or dist < best[0]:
                best = (dist, y)
    return best[1] if best else None


class DateMention(NamedTuple):
    """A date written in the draft, with its weekday in brackets if one follows."""

    start: int  # offsets in the original text, the bracketed weekday included
    end: int
    month: int
    day: int
    date: date | None  # None: no such day (2月30日, 13月1日)
    written: str | None  # the weekday in brackets (月 … 日), None without one
    holiday_mark: bool  # the brackets say 祝
    year_given: bool  # the draft writes the year (else it is the one nearest the post date)


def _dates(draft: Draft, ctx: CheckContext) -> list[DateMention]:
    """Every date in the draft with what it says and what is true, computed once."""
    cached = draft.__dict__.get("_dates")
    if cached is not None:
        return cached
    out: list[DateMention] = []
    draft.__dict__["_dates"] = out
    norm = draft.norm
    if "月" not in norm and "/" not in norm and "." not in norm:
        return out
    ref = ctx.reference_date()
    last: tuple[int | None, int, bool] | None = None  # (year, month, year given) of the date before
    for m in date_matches(norm):
        kind = m.lastgroup
        wd = _WD_RE.match(norm, m.end())
        year: int | None = None
        era: str | None = None
        if kind == "d3":  # 〜22日(日): the year and month of the date before
            if last is None or wd is None:
                continue
            year, month, day = last[0], last[1], int(m["d3"])
            given = last[2]
        elif kind == "d2":
            y2, m2, d2 = m.group("y2", "m2", "d2")
            month, day = int(m2), int(d2)
            if y2:
                year = int(y2)
            elif wd is None:
                continue  # a bare 1/2 may be a fraction
        elif kind == "d4":  # R8.11.25, 2026.11.25
            ea, eay, y4, m4, d4 = m.group("ea", "eay", "y4", "m4", "d4")
            month, day = int(m4), int(d4)
            if wd is None and (month > 12 or day > 31):
                continue  # 2024.13.1 is a version number, not a date
            if ea:
                year, era = _era_year(ea, eay)
            else:
                year = int(y4)
        else:
            g_era, g_ey, g_y, g_m, g_d = m.group("era", "ey", "y", "m", "d")
            month, day = _number(g_m), _number(g_d)
            if g_era:
                year, era = _era_year(g_era, g_ey)
            elif g_y:
                year = _number(g_y)
        if kind != "d3":
            given = year is not None
        if year is None:
            year = _infer_year(month, day, ref) if 1 <= month <= 12 else None
        s, e = draft.orig_span(m.start(), wd.end() if wd else m.end())
        if norm[m.start()].isspace():  # only 〜 22日 starts with a space
            s += len(draft.text[s:e]) - len(draft.text[s:e].lstrip())
        dt = _date_or_none(year, month, day) if year is not None else None
        if dt is not None and era is not None and not _in_era(era, dt):
            dt = None  # 平成31年5月1日: the day exists, but not in that era
        written, holiday = wd.groups() if wd is not None and dt is not None else (None, None)
        out.append(_mention((s, e, month, day, dt, written, holiday == "祝", given)))
        if dt is not None:
            last = (dt.year, month, given)
    return out


_mention = partial(tuple.__new__, DateMention)  # built in C, like a plain tuple


def _date_or_none(year: int, month: int, day: int) -> date | None:
    """The date, or None when there is no such day (2月30日, 13月, the year 0000)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


@detector("date_weekday")
def find_weekday_mismatch(draft: Draft, ctx: CheckContext, opts: dict[str, Any]) -> Iterator[Hit]:
    """A weekday in brackets that is not the weekday of the date before it."""
    for mention in _dates(draft, ctx):
        dt = mention.date
        if mention.written is None or dt is None:
            continue
        actual = _WEEKDAYS[dt.weekday()]
        # without a year the weekday may be right for another year (a report of a past
        # event, next year's date): a warning for the reviewers, never an error
        soft = None if mention.year_given else "year"
        if mention.written != actual:
            detail = f"{_label(dt)}は{actual}曜日です（{mention.written}曜日と書かれています）。"
            if soft:
                detail += _other_years(dt, mention.written)
            yield Hit(mention.start, mention.end, {"detail": detail}, soft)
        elif mention.holiday_mark and not _is_holiday(dt):
            detail = f"{_label(dt)}は祝日ではありません。"
            yield Hit(mention.start, mention.end, {"detail": detail}, soft)


def _other_years(dt: date, written: str) -> str:
    """The nearest years (within five of the one assumed) whose date has the written weekday."""
    fits = []
    for delta in (-1, 1, -2, 2, -3, 3, -4, 4, -5, 5):
        other = _date_or_none(dt.year + delta, dt.month, dt.day)
        if other is not None and _WEEKDAYS[other.weekday()] == written:
            fits.append(other.year)
    return f"{fits[0]}年の日付なら合っています。" if fits else ""


def _label(dt: date) -> str:
    return f"{dt.year}年{dt.month}月{dt.day}日"


def _is_holiday(dt: date) -> bool:
    try:
        import jpholiday
    except ImportError:  # pragma: no cover - jpholiday is a dependency
        return True
    return bool(jpholiday.is_holiday(dt))


@detector("date_impossible")
def find_impossible_date(draft: Draft, ctx: CheckContext, opts: dict[str, Any]) -> Iterator[Hit]:
    """Dates that do not exist (2月30日, 4月31日, 13月, 2月29日 in a common year, 平成31年5月1日)."""
    for mention in _dates(draft, ctx):
        if mention.date is None:
            label = f"{mention.month}月{mention.day}日"
            # 2月29日 without a year exists in a leap year (a birthday, a past event)
            leap_day = mention.month == 2 and mention.day == 29 and not mention.year_given
            yield Hit(mention.start, mention.end, {"label": label}, "year" if leap_day else None)
