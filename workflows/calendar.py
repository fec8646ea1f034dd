"""The working-day calendar: the one place deadlines are counted.

A working day is Monday to Friday, not a bank holiday in England (Good Friday,
Christmas Day, substitute days and one-off holidays included, from the
``holidays`` package) and not a local closure day configured in the admin.
N working days from D is the N-th working day strictly after D; D itself is
day 0 whatever day it is.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_right
from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.dispatch import Signal

# Closure days change rarely; each process re-reads them at most this often,
# and at once after an edit in this process (see signals.py).
CLOSURE_CACHE_SECONDS = 60

_lock = threading.Lock()
_cached: tuple[float, "WorkingDayCalendar"] | None = None


@lru_cache(maxsize=64)
def _england_bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


class WorkingDayCalendar:
    """Counts working days given a set of local closure days."""

    def __init__(self, closure_days: frozenset[date] | set[date] = frozenset()):
        self.closure_days = frozenset(closure_days)
        self._weekdays_off: dict[int, tuple[date, ...]] = {}

    def is_bank_holiday(self, day: date) -> bool:
        return day in _england_bank_holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and not self.is_bank_holiday(day)
            and day not in self.closure_days
        )

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day strictly after ``start`` (``start`` is day 0)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        counted = 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days after ``start`` ``end`` falls.

        Negative when ``end`` is before ``start``; ``add_working_days(d, n)`` is the first
        day ``x`` with ``working_days_between(d, x) == n``. Counted, not walked: a list of
        long-overdue cases asks this for each row, over months.
        """
        if end < start:
            return -self.working_days_between(end, start)
        return _weekdays_after(start, end) - sum(
            bisect_right(off, end) - bisect_right(off, start)
            for off in map(self._weekdays_off_in, range(start.year, end.year + 1)))

    def _weekdays_off_in(self, year: int) -> tuple[date, ...]:
        """The Mondays to Fridays of ``year`` that are bank holidays or closure days, sorted."""
        found = self._weekdays_off.get(year)
        if found is None:
            days = _england_bank_holidays(year) | {day for day in self.closure_days if day.year == year}
            found = self._weekdays_off[year] = tuple(sorted(day for day in days if day.weekday() < 5))
        return found


def _weekdays_after(start: date, end: date) -> int:
    """Mondays to Fridays in (start, end], for ``start <= end``."""
    weeks, rest = divmod((end - start).days, 7)
    first = start.weekday()
    return weeks * 5 + sum(1 for step in range(1, rest + 1) if (first + step) % 7 < 5)


#: Sent when a day stops or starts being a working day (a closure day added, moved or removed),
#: inside the transaction that changed it, with ``day``, ``closed`` (True: no longer a working
#: day), ``description`` and ``actor`` (who changed it, or None). Each app recalculates its open
#: deadlines whose count runs over that day, so a due date never silently ignores the change.
calendar_changed = Signal()


def get_calendar() -> WorkingDayCalendar:
    """The calendar with this authority's closure days (cached briefly per process)."""
    global _cached
    now = time.monotonic()
    with _lock:
        if _cached is not None and now - _cached[0] < CLOSURE_CACHE_SECONDS:
            return _cached[1]
    from .models import ClosureDay

    calendar = WorkingDayCalendar(frozenset(ClosureDay.objects.values_list("date", flat=True)))
    with _lock:
        _cached = (now, calendar)
    return calendar


def clear_calendar_cache() -> None:
    global _cached
    with _lock:
        _cached = None


def add_working_days(start: date, days: int) -> date:
    """N working days from ``start``: the function every deadline uses."""
    return get_calendar().add_working_days(start, days)


def working_days_between(start: date, end: date) -> int:
    return get_calendar().working_days_between(start, end)


def calendars_around(day: date, closed: bool) -> tuple[WorkingDayCalendar, WorkingDayCalendar]:
    """(before, after) a change to ``day``: the calendar as deadlines were counted, and as they
    must be counted now. Call after the change is saved (in its transaction)."""
    clear_calendar_cache()
    after = get_calendar()
    closures = set(after.closure_days)
    before = closures - {day} if closed else closures | {day}
    return WorkingDayCalendar(frozenset(before)), after


def recount(before: WorkingDayCalendar, after: WorkingDayCalendar, start: date, due: date) -> date:
    """The deadline ``due``, counted from ``start`` under ``before``, counted again under
    ``after``: the same number of working days from the same start."""
    return after.add_working_days(start, before.working_days_between(start, due))
