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

import gc
import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .calendar import get_calendar
from .timesource import as_of
from .timesource import today as clock_today

logger = logging.getLogger(__name__)

DUE_SOON = "due-soon"
DUE_TODAY = "due-today"
OVERDUE = "overdue"
PHASES = (DUE_SOON, DUE_TODAY, OVERDUE)


@dataclass(frozen=True)
class DeadlineKind:
    """A kind of deadline the sweep watches.

    ``remind(rows, phase)`` tells the right people about a whole batch of rows due in ``phase``
    (through the notifications app), in a fixed number of statements whatever the batch's
    size, and returns ``{row pk: usernames told}``. It runs in the transaction that logs the
    batch, so a failure leaves nothing logged and the next sweep tries again.
    """

    name: str
    model: type[models.Model]
    due_field: str
    running: Q
    phases: tuple[str, ...]
    remind: Callable[[list[models.Model], str], dict[int, list[str]]]
    select_related: tuple[str, ...] = field(default_factory=tuple)
    prefetch_related: tuple[str, ...] = field(default_factory=tuple)
    #: Foreign keys (``"drp__iro"``: through ``select_related`` ones) to the few rows that many
    #: due rows share, such as people and stages: looked up once per batch and shared, rather
    #: than joined and built again for every due row.
    shared_related: tuple[str, ...] = field(default_factory=tuple)
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
        .prefetch_related(*kind.prefetch_related)
        .order_by(kind.due_field, "pk")
    )


def attach_shared(rows: list[models.Model], paths: tuple[str, ...]) -> None:
    """Set each ``path``'s related object on ``rows``: one ``in_bulk`` per related model for
    the whole batch (a few people and stages), each object shared by every row naming it."""
    wanted: dict[type[models.Model], set] = {}
    links = []
    for path in paths:
        *through, name = path.split("__")
        holders = rows
        for step in through:
            holders = [related for row in holders if (related := getattr(row, step)) is not None]
        if not holders:
            continue
        foreign_key = holders[0]._meta.get_field(name)
        links.append((foreign_key, holders))
        wanted.setdefault(foreign_key.related_model, set()).update(
            getattr(row, foreign_key.attname) for row in holders)
    found = {model: model._base_manager.in_bulk(ids - {None}) for model, ids in wanted.items()}
    for foreign_key, holders in links:
        objects = found[foreign_key.related_model]
        for row in holders:
            foreign_key.set_cached_value(row, objects.get(getattr(row, foreign_key.attname)))


#: Rows logged per INSERT statement where there are no arrays (well under every database's
#: limit on parameters).
CLAIM_CHUNK = 500


def claim(kind: str, phase: str, keys: list[tuple[int, date]]) -> set[tuple[int, date]]:
    """Log reminders (kind, object, phase, due) with ``INSERT ... ON CONFLICT DO NOTHING
    RETURNING``: the keys returned are this sweep's to send. A key another sweep logged first
    is not returned (on PostgreSQL the second insert waits for the first's commit, then skips),
    so each reminder is sent once, whoever sweeps. On PostgreSQL one statement for every key
    (objects and due dates sent as two arrays); elsewhere one per ``CLAIM_CHUNK`` keys."""
    from .models import ReminderLog

    table = connection.ops.quote_name(ReminderLog._meta.db_table)
    now = timezone.now()
    claimed: set[tuple[int, date]] = set()
    returning = "ON CONFLICT (kind, object_id, phase, due) DO NOTHING RETURNING object_id, due"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (kind, object_id, phase, due, sent_at) "
                f"SELECT %s, u.object_id, %s, u.due, %s FROM unnest(%s::bigint[], %s::date[]) AS u(object_id, due) "
                f"{returning}", [kind, phase, now, [key[0] for key in keys], [key[1] for key in keys]])
            return {(int(object_id), due) for object_id, due in cursor.fetchall()}
        for start in range(0, len(keys), CLAIM_CHUNK):
            chunk = keys[start:start + CLAIM_CHUNK]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            params = [value for object_id, due in chunk for value in (kind, object_id, phase, due, now)]
            cursor.execute(
                f"INSERT INTO {table} (kind, object_id, phase, due, sent_at) VALUES {values} {returning}", params)
            for object_id, due in cursor.fetchall():
                if isinstance(due, str):  # SQLite returns the date as text
                    due = date.fromisoformat(due)
                claimed.add((int(object_id), due))
    return claimed


def run_sweep(on: date | None = None, kinds: Iterable[str] | None = None) -> list[SentReminder]:
    """Send every reminder that is due and not yet sent; return what was sent.

    Per kind of deadline and phase, a fixed number of statements whatever the number of rows:
    one query for the due rows the log does not hold, one look-up per model of the people and
    stages they share (``shared_related``), one insert claiming them in the log, and
    the kind's ``remind`` for the whole batch (recipients looked up together, notifications in
    one insert, emails queued in batches after commit)."""
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
            with collector_paused():
                sent += _sweep_batch(kind, phase, on, horizon)
    return sent


def _sweep_batch(kind: DeadlineKind, phase: str, on: date, horizon: date) -> list[SentReminder]:
    """One kind's due rows in one phase: claimed in the log and reminded in one transaction."""
    rows = list(due_rows(kind, phase, on, horizon))
    if not rows:
        return []
    attach_shared(rows, kind.shared_related)
    with transaction.atomic(), as_of(on):  # the messages count working days from ``on``
        mine = claim(kind.name, phase, [(row.pk, getattr(row, kind.due_field)) for row in rows])
        batch = [row for row in rows if (row.pk, getattr(row, kind.due_field)) in mine]
        told = kind.remind(batch, phase) if batch else {}
    sent = []
    for row in batch:
        reminder = SentReminder(kind.name, row.pk, phase, getattr(row, kind.due_field),
                                tuple(told.get(row.pk, ())))
        logger.info("reminder sent: %s", reminder)
        sent.append(reminder)
    return sent


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector off for a block that builds many objects and keeps them.

    A sweep's batch holds tens of thousands of objects until it is sent (rows, messages,
    notifications), and each full collection the interpreter starts meanwhile walks every object
    in the process: at 10,000 reminders three or four of them were a third of the sweep's Python
    time. Reference counting still frees memory as usual; any cycles made meanwhile are collected
    after the block. The collector is left on afterwards unless it was off before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
