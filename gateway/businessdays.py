"""Office time: working hours on business days, in Asia/Tokyo.

Reminders and expiry count only the time the office is open, so a draft sent on a
Friday evening is not "24 hours late" on Monday morning. A day is closed when it is a
Saturday or Sunday, a Japanese public holiday (jpholiday, including substitute and
"national" holidays), or in the year-end closing (12/29 - 1/3), or in `closed`
(extra closures an office may add). Pure: no clock, no I/O; jpholiday is a table.

This is the only module of the workflow's side that imports jpholiday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

JST = ZoneInfo("Asia/Tokyo")
DEFAULT_HOURS = "08:30-17:15"
_MAX_DAYS = 366 * 20  # a guard against looping forever on a calendar with no open day


def parse_clock(value: str) -> time:
    """`8:30` / `08:30` -> time(8, 30); ValueError otherwise."""
    hh, sep, mm = value.strip().partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        raise ValueError(f"not HH:MM: {value!r}")
    return time(int(hh), int(mm))


def parse_hours(value: str) -> tuple[time, time]:
    """`08:30-17:15` -> (08:30, 17:15); ValueError unless start < end."""
    start, sep, end = value.replace("〜", "-").replace("～", "-").partition("-")
    if not sep:
        raise ValueError(f"not HH:MM-HH:MM: {value!r}")
    a, b = parse_clock(start), parse_clock(end)
    if a >= b:
        raise ValueError(f"start must be before end: {value!r}")
    return a, b


def is_year_end_closing(day: date) -> bool:
    """12/29 - 1/3: the closing of government offices (行政機関の休日に関する法律)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


@dataclass(frozen=True)
class WorkCalendar:
    """When the office works. Datetimes may be in any zone; naive ones are read as JST."""

    start: time = time(8, 30)
    end: time = time(17, 15)
    tz: ZoneInfo = JST
    closed: frozenset[date] = frozenset()

    # -- days ------------------------------------------------------------------------

    def closure(self, day: date) -> str | None:
        """Why the office is closed on `day` (Japanese, for messages), or None if open."""
        if day in self.closed:
            return "休業日"
        if is_year_end_closing(day):
            return "年末年始の休み"
        if day.weekday() == 5:
            return "土曜日"
        if day.weekday() == 6:
            return "日曜日"
        name = jpholiday.is_holiday_name(day)
        return str(name) if name else None

    def is_business_day(self, day: date) -> bool:
        return self.closure(day) is None

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after `day`."""
        for _ in range(_MAX_DAYS):
            day += timedelta(days=1)
            if self.is_business_day(day):
                return day
        raise ValueError("no business day found")

    def add_business_days(self, day: date, n: int) -> date:
        """The n-th business day after `day` (n=0: `day` itself)."""
        for _ in range(n):
            day = self.next_business_day(day)
        return day

    # -- hours -----------------------------------------------------------------------

    @property
    def day_length(self) -> timedelta:
        """One working day: 8 h 45 min for 08:30-17:15 (the office is open, lunch included)."""
        return _at(date(2000, 1, 3), self.end, self.tz) - _at(date(2000, 1, 3), self.start, self.tz)

    def local(self, moment: datetime) -> datetime:
        return (
            moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment.astimezone(self.tz)
        )

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of `day`, or None when the office is closed."""
        if not self.is_business_day(day):
            return None
        return _at(day, self.start, self.tz), _at(day, self.end, self.tz)

    def working_time(self, since: datetime, until: datetime) -> timedelta:
        """How much working time lies between two moments (zero if until <= since)."""
        a, b = self.local(since), self.local(until)
        total = timedelta()
        if b <= a:
            return total
        day = a.date()
        while day <= b.date():
            win = self.window(day)
            if win is not None:
                lo, hi = max(a, win[0]), min(b, win[1])
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def add_working_time(self, since: datetime, amount: timedelta) -> datetime:
        """The earliest moment at which `amount` of working time has passed since `since`."""
        a = self.local(since)
        if amount <= timedelta():
            return a
        remaining = amount
        day = a.date()
        for _ in range(_MAX_DAYS):
            win = self.window(day)
            if win is not None:
                lo = max(a, win[0])
                if win[1] > lo:
                    if remaining <= win[1] - lo:
                        return lo + remaining
                    remaining -= win[1] - lo
            day += timedelta(days=1)
        raise ValueError("no working time found")

    def is_working(self, moment: datetime) -> bool:
        m = self.local(moment)
        win = self.window(m.date())
        return win is not None and win[0] <= m < win[1]


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)
