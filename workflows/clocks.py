"""Deadlines as people see them: a named due date (``Clock``) and its RAG status.

``today``, ``now`` and ``as_of`` live in ``workflows.timesource`` (which imports nothing of the
project); they are named here too, as most callers know them as ``workflows.clocks.today``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import models

from .calendar import get_calendar
from .timesource import as_of, now, today

__all__ = ["Clock", "Rag", "as_of", "now", "rag_for", "today"]


class Rag(models.TextChoices):
    ON_TRACK = "on-track", "On track"
    DUE_SOON = "due-soon", "Due soon"
    OVERDUE = "overdue", "Overdue"

    @property
    def tag_colour(self) -> str:
        """GOV.UK tag modifier for this status."""
        return {"on-track": "green", "due-soon": "yellow", "overdue": "red"}[self.value]


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

    @classmethod
    def of(cls, label: str, due: date | None, on: date | None = None) -> "Clock":
        return cls(label=label, due=due, rag=rag_for(due, on))
