"""The 10-working-day answer period: the official holiday calendar
(chinesecalendar) inside its years, Monday–Friday outside them."""

from __future__ import annotations

import datetime as dt

import pytest
from ckanext.lyg.workflow import workdays

D = dt.date.fromisoformat


@pytest.mark.parametrize("day, working", [
    ("2026-10-01", False),   # National Day
    ("2026-10-05", False),   # a Monday inside the holiday
    ("2026-09-20", True),    # Sunday made a working day (调休上班)
    ("2026-10-10", True),    # Saturday made a working day
    ("2026-10-11", False),   # an ordinary Sunday
    ("2026-02-17", False),   # Spring Festival
    ("2026-03-04", True),    # an ordinary Wednesday
    ("2031-03-01", False),   # outside the calendar's years: a Saturday
    ("2031-03-03", True),    # outside the calendar's years: a Monday
])
def test_working_days(day, working):
    assert workdays.is_workday(D(day)) is working


def test_due_date_skips_holidays_and_counts_adjusted_weekend_days():
    # from Monday 28 September 2026: 29, 30 Sep, then the holiday, then from 8 Oct on
    due = workdays.add_working_days(D("2026-09-28"), 10)
    assert due == D("2026-10-16")
    assert workdays.working_days_between(D("2026-09-28"), due) == 10
    # a request filed on a holiday counts from the next working day
    assert workdays.add_working_days(D("2026-10-03"), 1) == D("2026-10-08")


def test_due_date_outside_the_calendar_is_monday_to_friday():
    assert workdays.calendar_years()[1] < 2030
    assert workdays.add_working_days(D("2030-01-04"), 1) == D("2030-01-07")  # Friday → Monday
    assert workdays.add_working_days(D("2030-01-01"), 10) == D("2030-01-15")


def test_zero_and_negative():
    assert workdays.add_working_days(D("2026-05-06"), 0) == D("2026-05-06")
    with pytest.raises(ValueError):
        workdays.add_working_days(D("2026-05-06"), -1)


def test_configured_number_of_days(world, ckan_config, monkeypatch):
    from .test_requests import share_request

    monkeypatch.setitem(ckan_config, "ckanext.lyg.portal", "internal")
    monkeypatch.setitem(ckan_config, "ckanext.lyg.workflow.due_working_days", 3)
    req = share_request(world)
    assert req["due_date"] == workdays.add_working_days(dt.date.today(), 3).isoformat()
