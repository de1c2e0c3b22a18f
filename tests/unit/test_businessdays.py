"""Working time on business days: weekends, holidays, the year-end closing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from gateway.businessdays import JST, WorkCalendar, parse_hours

CAL = WorkCalendar()
H = timedelta(hours=1)
DAY = timedelta(hours=8, minutes=45)


def jst(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=JST)


@pytest.mark.parametrize(
    ("day", "open_", "why"),
    [
        (date(2026, 11, 24), True, None),  # Tuesday
        (date(2026, 11, 21), False, "土曜日"),
        (date(2026, 11, 22), False, "日曜日"),
        (date(2026, 11, 23), False, "勤労感謝の日"),  # Monday holiday
        (date(2026, 5, 6), False, "憲法記念日 振替休日"),  # substitute holiday
        (date(2026, 9, 22), False, "国民の休日"),  # the day between two holidays
        (date(2026, 12, 28), True, None),
        (date(2026, 12, 29), False, "年末年始の休み"),
        (date(2026, 12, 31), False, "年末年始の休み"),
        (date(2027, 1, 1), False, "年末年始の休み"),  # also 元日: the closing wins
        (date(2027, 1, 3), False, "年末年始の休み"),
        (date(2027, 1, 4), True, None),
    ],
)
def test_which_days_are_open(day, open_, why):
    assert CAL.is_business_day(day) is open_
    assert CAL.closure(day) == why


def test_extra_closed_days():
    cal = WorkCalendar(closed=frozenset({date(2026, 11, 24)}))
    assert cal.closure(date(2026, 11, 24)) == "休業日"
    assert cal.next_business_day(date(2026, 11, 20)) == date(2026, 11, 25)


def test_day_length_and_parsing():
    assert CAL.day_length == DAY
    assert parse_hours("08:30-17:15") == (time(8, 30), time(17, 15))
    assert parse_hours("9:00〜17:00") == (time(9), time(17))
    for bad in ("17:15-08:30", "0830-1715", "08:30", "8:3-9:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_working_time_inside_one_day_and_outside_hours():
    assert CAL.working_time(jst(2026, 11, 24, 9), jst(2026, 11, 24, 12)) == 3 * H
    # before opening and after closing count nothing
    assert CAL.working_time(jst(2026, 11, 24, 6), jst(2026, 11, 24, 8, 30)) == timedelta()
    assert CAL.working_time(jst(2026, 11, 24, 17, 15), jst(2026, 11, 24, 23)) == timedelta()
    assert CAL.working_time(jst(2026, 11, 24, 0), jst(2026, 11, 25, 0)) == DAY
    assert CAL.working_time(jst(2026, 11, 25), jst(2026, 11, 24)) == timedelta()


def test_friday_evening_to_monday_morning_is_no_time():
    fri = jst(2026, 11, 27, 18)
    assert CAL.working_time(fri, jst(2026, 11, 30, 8, 30)) == timedelta()
    assert CAL.working_time(fri, jst(2026, 11, 30, 9, 30)) == H


def test_friday_before_a_holiday_weekend():
    # 2026-09-18 (Fri); 19-20 weekend; 21 敬老の日, 22 国民の休日, 23 秋分の日; open again 24 (Thu).
    fri = jst(2026, 9, 18, 16, 15)
    assert CAL.next_business_day(date(2026, 9, 18)) == date(2026, 9, 24)
    assert CAL.working_time(fri, jst(2026, 9, 23, 23)) == H
    # 24 working hours from Friday 16:15: 1 h on Friday, 8h45 on Thu 24th and on Fri 25th,
    # then 5h30 on Monday 28th: due at 14:00.
    due = CAL.add_working_time(fri, 24 * H)
    assert due == jst(2026, 9, 28, 14, 0)
    assert CAL.working_time(fri, due) == 24 * H


def test_year_end_closing():
    # Monday 2026-12-28 15:00: 2h15 left in the year; the office reopens 2027-01-04.
    start = jst(2026, 12, 28, 15)
    assert CAL.working_time(start, jst(2027, 1, 4, 8, 30)) == timedelta(hours=2, minutes=15)
    assert CAL.add_working_time(start, 3 * H) == jst(2027, 1, 4, 9, 15)
    assert CAL.add_business_days(date(2026, 12, 28), 1) == date(2027, 1, 4)


def test_add_working_time_lands_at_closing_not_next_morning():
    assert CAL.add_working_time(jst(2026, 11, 24, 8, 30), DAY) == jst(2026, 11, 24, 17, 15)
    # starting on a closed day starts counting at the next opening
    assert CAL.add_working_time(jst(2026, 11, 23, 10), H) == jst(2026, 11, 24, 9, 30)
    assert CAL.add_working_time(jst(2026, 11, 24, 10), timedelta()) == jst(2026, 11, 24, 10)


def test_seven_business_days_from_a_saturday():
    # Expiry counts 7 days of working time: from a Saturday, Mon 30th to Tue 8th Dec.
    sat = jst(2026, 11, 28, 11)
    assert CAL.add_working_time(sat, 7 * DAY) == jst(2026, 12, 8, 17, 15)


def test_naive_datetimes_are_read_as_japan_time():
    naive = datetime(2026, 11, 24, 9)
    assert CAL.working_time(naive, jst(2026, 11, 24, 10)) == H
    assert CAL.is_working(naive) and not CAL.is_working(datetime(2026, 11, 24, 17, 15))


def test_other_time_zones_are_converted():
    utc_midnight = datetime(2026, 11, 24, 0, 0, tzinfo=JST).astimezone(tz=None)
    assert CAL.working_time(utc_midnight, jst(2026, 11, 24, 9, 30)) == H
