"""Working days (工作日) for the 10-working-day answer period.

Inside the years the ``chinesecalendar`` package knows (it ships the State
Council's holiday notices: 2004 up to the latest published year), a day is a
working day when that calendar says so — public holidays are off, the
adjusted weekend working days (调休上班) are on. Outside those years (the
next year's notice is published each November/December) the rule falls back
to Monday–Friday. The submission day itself is not counted: a request made on
any day is due at the end of the 10th working day after it.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

__all__ = ["is_workday", "add_working_days", "working_days_between", "calendar_years"]


def calendar_years() -> tuple[int, int]:
    """The first and last year the holiday calendar covers."""
    years = [d.year for d in chinese_calendar.holidays] + [d.year for d in chinese_calendar.workdays]
    return min(years), max(years)


_FIRST, _LAST = calendar_years()


def is_workday(day: dt.date) -> bool:
    """A working day: the official calendar in its years, Monday–Friday outside."""
    if _FIRST <= day.year <= _LAST:
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
    if days < 0:
        raise ValueError("days must be ≥ 0")
    day = start
    left = days
    while left:
        day += dt.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end ≤ start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_workday(day)
    return count
