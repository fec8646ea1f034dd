"""When the calendar changes (a closure day added or removed), open enquiries' deadlines are
counted again."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from people.models import User
from workflows.calendar import calendars_around, recount
from workflows.history import save_with_history
from workflows.timeline import record_event

from .. import clocks, conf
from ..models import (
    Enquiry,
)
from .base import Event, Status, lock_enquiry, long_date

# --- The calendar changed -------------------------------------------------------------------


def _recount_enquiry(enquiry: Enquiry, before, after) -> list[str]:
    """Count a locked open enquiry's working-day deadlines again after the calendar changed: the
    threshold decision, the first meeting and the month targets (moved to the next working
    day under the new calendar). Review meetings and actions have dates people chose: left
    alone. The changes in words (nothing when none moved)."""
    changes = []

    def moved(label: str, old: date | None, new: date | None) -> date | None:
        if old is not None and new is not None and new != old:
            changes.append(f"{label} due {long_date(new)} (was {long_date(old)})")
        return new if new is not None else old

    if enquiry.status == Status.AWAITING_DECISION:
        enquiry.decision_due = moved("threshold decision", enquiry.decision_due,
                                     recount(before, after, enquiry.received_on, enquiry.decision_due))
    if enquiry.status == Status.AWAITING_MEETING and enquiry.first_meeting_due and enquiry.decided_on:
        enquiry.first_meeting_due = moved("first meeting", enquiry.first_meeting_due,
                                          recount(before, after, enquiry.decided_on, enquiry.first_meeting_due))
    for index, months in enumerate(conf.target_months(), start=1):
        field = f"target_{index}_due"
        setattr(enquiry, field, moved(f"{conf.months_label(months)} target", getattr(enquiry, field),
                                      clocks.month_target(enquiry.received_on, months, after)))
    return changes


#: A month target moves only over the days that are not working days after its calendar date:
#: a run of them never lasts this long, so a closure day further than this before a target
#: cannot move it.
TARGET_REACH_DAYS = 31


@transaction.atomic
def enquiries_recount_after_calendar_change(*, day: date, closed: bool, description: str = "",
                                            actor: User | None = None) -> int:
    """A closure day was added (``closed``) or removed: move the working-day deadlines of open
    DO enquiries that run over it, each change on the enquiry's timeline with who changed the
    calendar. Returns how many enquiries moved."""
    before, after = calendars_around(day, closed)
    reach = day + timedelta(days=TARGET_REACH_DAYS)
    target = Q()
    for index in (1, 2, 3):
        target |= Q(**{f"target_{index}_due__gte": day, f"target_{index}_due__lte": reach})
    spanning = Enquiry.objects.filter(status__in=Enquiry.OPEN_STATUSES).filter(
        Q(status=Status.AWAITING_DECISION, decision_due__gte=day, received_on__lt=day)
        | Q(status=Status.AWAITING_MEETING, first_meeting_due__gte=day, decided_on__lt=day)
        | target).values_list("pk", flat=True)
    what = f"{long_date(day)} is {'now a closure day' if closed else 'a working day again'}" + (
        f" ({description})" if description else "")
    count = 0
    for pk in list(spanning):
        enquiry = lock_enquiry(Enquiry(pk=pk))
        changes = _recount_enquiry(enquiry, before, after)
        if not changes:
            continue
        note = f"{what}: " + "; ".join(changes) + "."
        save_with_history(enquiry, actor, "Deadlines recalculated")
        record_event(enquiry, actor, Event.DEADLINES_RECALCULATED, note=note, from_status=enquiry.status,
                to_status=enquiry.status)
        count += 1
    return count


