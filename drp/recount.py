"""When the calendar changes (a closure day added or removed), open DRPs' deadlines are counted
again and the change said on each timeline."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q

from people.models import User
from workflows.calendar import calendars_around, recount
from workflows.history import save_with_history
from workflows.timeline import record_event

from . import agreed_actions, clocks
from .models import (
    DisputeResolution,
    StageRecord,
    TimelineEvent,
)

Action = TimelineEvent.Action
#: The agreed-action moves (``drp.agreed_actions``) are DRP services too.
drp_agree_action, drp_record_action = agreed_actions.drp_agree_action, agreed_actions.drp_record_action
may_agree_actions, may_record_action = agreed_actions.may_agree_actions, agreed_actions.may_record_action
closed_refusal, KEEP_OPEN, CLOSE_NOT_DONE = (agreed_actions.closed_refusal, agreed_actions.KEEP_OPEN,
                                            agreed_actions.CLOSE_NOT_DONE)


from .stages import lock_drp


def _recount_drp(drp: DisputeResolution, before, after) -> list[str]:
    """Count each running clock of a locked DRP again after the calendar changed; the changes
    in words (nothing when none moved)."""
    changes = []

    def moved(label: str, start: date | None, due: date | None) -> date | None:
        if start is None or due is None:
            return due
        new = recount(before, after, start, due)
        if new != due:
            changes.append(f"{label} due {new:%-d %B %Y} (was {due:%-d %B %Y})")
        return new

    drp.overall_due_date = moved("overall limit", clocks.overall_start(
        raised_on=drp.raised_on, formal_started_on=drp.formal_started_on), drp.overall_due_date)
    if drp.status == DisputeResolution.Status.AWAITING_RESPONSE:
        due = moved(f"{drp.stage.name} response", drp.stage_started_on, drp.stage_due_date)
        if drp.stage.is_formal and drp.overall_due_date and due > drp.overall_due_date:
            due = drp.overall_due_date
        drp.stage_due_date = due
        StageRecord.objects.filter(drp=drp, ended_on__isnull=True, responded_on__isnull=True).update(due_date=due)
    if drp.status == DisputeResolution.Status.AWAITING_REVIEW and drp.review_due_date:
        responded = (drp.stage_records.filter(responded_on__isnull=False)
                     .order_by("-responded_on", "-id").values_list("responded_on", flat=True).first())
        drp.review_due_date = moved("IRO review", responded, drp.review_due_date)
    return changes


@transaction.atomic
def drps_recount_after_calendar_change(*, day: date, closed: bool, description: str = "",
                                       actor: User | None = None) -> int:
    """A closure day was added (``closed``) or removed: move the deadlines of open DRPs whose
    working days run over it, and say so on each one's timeline. Returns how many moved."""
    before, after = calendars_around(day, closed)
    open_drps = DisputeResolution.objects.filter(status__in=DisputeResolution.OPEN_STATUSES)
    spanning = open_drps.filter(
        Q(stage_due_date__gte=day, stage_started_on__lt=day)
        | Q(overall_due_date__gte=day) | Q(review_due_date__gte=day)).values_list("pk", flat=True)
    what = f"{day:%-d %B %Y} is {'now a closure day' if closed else 'a working day again'}" + (
        f" ({description})" if description else "")
    count = 0
    for pk in list(spanning):
        drp = lock_drp(DisputeResolution(pk=pk))
        changes = _recount_drp(drp, before, after)
        if not changes:
            continue
        note = f"{what}: " + "; ".join(changes) + "."
        save_with_history(drp, actor, "Deadlines recalculated")
        record_event(drp, actor, Action.DEADLINES_RECALCULATED, note=note, from_stage=drp.stage.key,
                to_stage=drp.stage.key)
        count += 1
    return count
