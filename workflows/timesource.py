"""The time source: today, now, and ``as_of`` (run as if today were another day).

Every date a rule counts from comes from here, so tests and imports can set the day. It
imports nothing from the project (Django's timezone only), so any module, models included,
may use it without a cycle (``workflows.models`` once imported ``clocks``, which imports the
calendar, which imports the models).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from django.utils import timezone

_as_of: ContextVar[date | None] = ContextVar("footprint_as_of", default=None)


def today() -> date:
    """Today in Europe/London, whatever the server's clock zone (or the ``as_of`` day)."""
    return _as_of.get() or timezone.localdate()


def now() -> datetime:
    """The current time, moved to the ``as_of`` day when one is set."""
    current = timezone.localtime()
    day = _as_of.get()
    if day is None:
        return current
    return current.replace(year=day.year, month=day.month, day=day.day)


@contextmanager
def as_of(day: date):
    """Run services as if today were ``day``: for loading history (demo data, imports)."""
    token = _as_of.set(day)
    try:
        yield
    finally:
        _as_of.reset(token)
