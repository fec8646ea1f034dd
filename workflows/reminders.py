"""The reminder sweep: one loop over every registered kind of deadline.

An app registers a ``DeadlineKind`` (what table holds the due date, which rows are still
running, who is told at each phase); the sweep asks the database only for rows whose due
date has reached a phase and that have no reminder logged for that phase and due date yet.
The log's unique key (kind, object, phase, due date) makes reminders exactly-once: a sweep
run twice, or by two workers at once, sends each once; a missed sweep catches up because
phases are ranges, not days; a deadline that moves gets a new due date (and for DRP stages a
new stage record), so no reminder is sent for the old one.

Reminders go out on working days only: a sweep on a weekend, a bank holiday or a closure day
sends nothing, and the next working day's sweep sends what fell due (so an overdue reminder
comes on the first working day after the deadline, never on Christmas Day).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q

from .calendar import get_calendar
from .clocks import today as clock_today

logger = logging.getLogger(__name__)

DUE_SOON = "due-soon"
DUE_TODAY = "due-today"
OVERDUE = "overdue"
PHASES = (DUE_SOON, DUE_TODAY, OVERDUE)


@dataclass(frozen=True)
class DeadlineKind:
    """A kind of deadline the sweep watches.

    ``remind(obj, phase, due)`` tells the right people (through the notifications app) and
    returns the usernames told; it runs in the transaction that logs the reminder.
    """

    name: str
    model: type[models.Model]
    due_field: str
    running: Q
    phases: tuple[str, ...]
    remind: Callable[[models.Model, str, date], list[str]]
    select_related: tuple[str, ...] = field(default_factory=tuple)
    #: "Due soon" starts this many working days before the deadline (default: the
    #: FOOTPRINT_DUE_SOON_WORKING_DAYS setting); shorter for short clocks.
    soon_working_days: int | None = None


_registry: dict[str, DeadlineKind] = {}


def register(kind: DeadlineKind) -> DeadlineKind:
    """Add a kind of deadline to the sweep (call from an app's ``ready()``)."""
    _registry[kind.name] = kind
    return kind


def registered() -> list[DeadlineKind]:
    return list(_registry.values())


@dataclass(frozen=True)
class SentReminder:
    kind: str
    object_id: int
    phase: str
    due: date
    recipients: tuple[str, ...]

    def __str__(self):
        return f"{self.kind} #{self.object_id} {self.phase} (due {self.due:%Y-%m-%d}) -> {', '.join(self.recipients) or 'no one'}"


def _phase_filters(due_field: str, on: date, horizon: date) -> dict[str, Q]:
    return {
        OVERDUE: Q(**{f"{due_field}__lt": on}),
        DUE_TODAY: Q(**{due_field: on}),
        DUE_SOON: Q(**{f"{due_field}__gt": on, f"{due_field}__lte": horizon}),
    }


def due_rows(kind: DeadlineKind, phase: str, on: date, horizon: date) -> models.QuerySet:
    """Rows of ``kind`` in ``phase`` today with no reminder logged for it yet (one indexed query)."""
    from .models import ReminderLog

    already = ReminderLog.objects.filter(
        kind=kind.name, object_id=OuterRef("pk"), phase=phase, due=OuterRef(kind.due_field)
    )
    return (
        kind.model._default_manager.filter(kind.running)
        .filter(_phase_filters(kind.due_field, on, horizon)[phase])
        .filter(~Exists(already))
        .select_related(*kind.select_related)
        .order_by(kind.due_field, "pk")
    )


def run_sweep(on: date | None = None, kinds: Iterable[str] | None = None) -> list[SentReminder]:
    """Send every reminder that is due and not yet sent; return what was sent."""
    from .models import ReminderLog

    on = on or clock_today()
    calendar = get_calendar()
    sent: list[SentReminder] = []
    if not calendar.is_working_day(on):
        return sent
    for kind in registered():
        if kinds is not None and kind.name not in kinds:
            continue
        soon = settings.CLOCK_DUE_SOON_WORKING_DAYS if kind.soon_working_days is None \
            else kind.soon_working_days
        horizon = calendar.add_working_days(on, soon)
        for phase in kind.phases:
            for obj in list(due_rows(kind, phase, on, horizon)):
                due = getattr(obj, kind.due_field)
                try:
                    with transaction.atomic():
                        ReminderLog.objects.create(kind=kind.name, object_id=obj.pk, phase=phase, due=due)
                        recipients = kind.remind(obj, phase, due)
                except IntegrityError:
                    continue  # another worker logged (and sent) it first
                reminder = SentReminder(kind.name, obj.pk, phase, due, tuple(recipients))
                logger.info("reminder sent: %s", reminder)
                sent.append(reminder)
    return sent
