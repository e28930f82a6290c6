"""Vietnamese working days: the one place that counts deadlines (NĐ 47 Art. 35.3, Art. 48).

Public holidays come from the maintained ``holidays`` library (Vietnam's calendar, including
the lunar Tết days and substituted days off). Provinces also announce extra days off and
make-up working Saturdays; both are configuration.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

import holidays

WEEKEND = (5, 6)  # Saturday, Sunday


def _dates(values: Iterable[str]) -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(value) for value in values if value)


@functools.lru_cache(maxsize=32)
def _public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("VN", years=year))


class WorkingCalendar:
    """Working days in Vietnam, with the province's extra days off and working days."""

    def __init__(self, extra_days_off: Iterable[str] = (), extra_working_days: Iterable[str] = ()):
        self.extra_days_off = _dates(extra_days_off)
        self.extra_working_days = _dates(extra_working_days)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off or day in _public_holidays(day.year):
            return False
        return day.weekday() not in WEEKEND

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The moment ``days`` full working days after ``start`` end.

        A request filed on a working day counts from the next working day: filed on Friday
        with 2 working days to answer, the deadline is the end of Tuesday.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        day = start.date()
        remaining = days
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        end_of_day = dt.datetime.combine(day, dt.time(23, 59, 59))
        return end_of_day.replace(tzinfo=start.tzinfo)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count


def calendar_from_config() -> WorkingCalendar:
    import ckan.plugins.toolkit as tk

    return WorkingCalendar(
        tk.config.get("ckanext.daknong.extra_days_off"),
        tk.config.get("ckanext.daknong.extra_working_days"),
    )
