"""Stage clocks and their RAG status, shared by every workflow."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from .calendar import get_calendar


class Rag(models.TextChoices):
    ON_TRACK = "on-track", "On track"
    DUE_SOON = "due-soon", "Due soon"
    OVERDUE = "overdue", "Overdue"

    @property
    def tag_colour(self) -> str:
        """GOV.UK tag modifier for this status."""
        return {"on-track": "green", "due-soon": "yellow", "overdue": "red"}[self.value]


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


def rag_for(due: date | None, on: date | None = None) -> Rag | None:
    """Red when past due, amber when due within the configured working days, else green."""
    if due is None:
        return None
    on = on or today()
    if on > due:
        return Rag.OVERDUE
    remaining = get_calendar().working_days_between(on, due)
    if remaining <= settings.CLOCK_DUE_SOON_WORKING_DAYS:
        return Rag.DUE_SOON
    return Rag.ON_TRACK


@dataclass(frozen=True)
class Clock:
    """A named deadline as shown to a person: label, due date and its RAG."""

    label: str
    due: date | None
    rag: Rag | None
    #: Working days past the due date ("Overdue by 3 working days"); 0 when not overdue.
    overdue_by: int = 0

    @classmethod
    def of(cls, label: str, due: date | None, on: date | None = None) -> "Clock":
        rag = rag_for(due, on)
        overdue_by = get_calendar().working_days_between(due, on or today()) if rag == Rag.OVERDUE else 0
        return cls(label=label, due=due, rag=rag, overdue_by=max(overdue_by, 0))
