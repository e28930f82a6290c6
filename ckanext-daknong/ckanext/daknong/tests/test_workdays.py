"""Vietnamese working days for deadlines (NĐ 47 Art. 35.3: 2 working days to decide)."""

from __future__ import annotations

import datetime as dt

import pytest

from ckanext.daknong.workdays import WorkingCalendar

TZ = dt.timezone(dt.timedelta(hours=7))


def test_weekend_is_skipped():
    friday = dt.datetime(2026, 11, 27, 10, 0, tzinfo=TZ)

    due = WorkingCalendar().add_working_days(friday, 2)

    assert due == dt.datetime(2026, 12, 1, 23, 59, 59, tzinfo=TZ)  # Tuesday


def test_tet_holidays_are_skipped():
    """Lunar New Year 2026 runs 16–20 February; a request filed on 13 Feb waits for it."""
    friday_before_tet = dt.datetime(2026, 2, 13, 9, 0, tzinfo=TZ)

    due = WorkingCalendar().add_working_days(friday_before_tet, 2)

    assert due.date() == dt.date(2026, 2, 24)


def test_national_day_is_skipped():
    assert not WorkingCalendar().is_working_day(dt.date(2026, 9, 2))
    assert WorkingCalendar().is_working_day(dt.date(2026, 9, 3))


def test_extra_days_off_and_make_up_working_days_come_from_configuration():
    calendar = WorkingCalendar(extra_days_off=["2026-12-01"], extra_working_days=["2026-11-28"])

    assert not calendar.is_working_day(dt.date(2026, 12, 1))
    assert calendar.is_working_day(dt.date(2026, 11, 28))  # a Saturday
    friday = dt.datetime(2026, 11, 27, 10, 0, tzinfo=TZ)
    assert calendar.add_working_days(friday, 2).date() == dt.date(2026, 11, 30)


def test_working_days_between_counts_after_start_up_to_end():
    calendar = WorkingCalendar()

    assert calendar.working_days_between(dt.date(2026, 11, 27), dt.date(2026, 12, 1)) == 2
    assert calendar.working_days_between(dt.date(2026, 11, 27), dt.date(2026, 11, 27)) == 0


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        WorkingCalendar().add_working_days(dt.datetime(2026, 1, 5, tzinfo=TZ), -1)
