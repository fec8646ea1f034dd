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

__all__ = ["Clock", "Rag", "as_of", "due_words", "now", "rag_for", "today"]


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


def _working_days(count: int) -> str:
    return f"{count} working day{'' if count == 1 else 's'}"


def due_words(due: date, on: date | None = None) -> str:
    """How far a deadline is, as every page and reminder says it: "Overdue by 3 working days",
    "Due today" or "Due in 2 working days" (on a weekend after a Friday deadline, no working
    day has passed yet: "Overdue since 27 November")."""
    on = on or today()
    if on == due:
        return "Due today"
    calendar = get_calendar()
    if on > due:
        late = calendar.working_days_between(due, on)
        return f"Overdue by {_working_days(late)}" if late else f"Overdue since {due.day} {due:%B}"
    left = calendar.working_days_between(on, due)
    return f"Due in {_working_days(left)}" if left else f"Due on {due.day} {due:%B}"


@dataclass(frozen=True)
class Clock:
    """A named deadline as shown to a person: label, due date and its RAG."""

    label: str
    due: date | None
    rag: Rag | None
    #: Working days past the due date ("Overdue by 3 working days"); 0 when not overdue.
    overdue_by: int = 0
    #: What the tag says: ``due_words`` ("Overdue by 3 working days", "Due today", "Due in 2
    #: working days"); empty with no due date.
    words: str = ""

    @classmethod
    def of(cls, label: str, due: date | None, on: date | None = None) -> "Clock":
        on = on or today()
        rag = rag_for(due, on)
        if due is None:
            return cls(label=label, due=None, rag=rag)
        overdue_by = get_calendar().working_days_between(due, on) if rag == Rag.OVERDUE else 0
        return cls(label=label, due=due, rag=rag, overdue_by=max(overdue_by, 0), words=due_words(due, on))
