"""Who holds a DRP, and taking one up again: the IRO Manager reassigns an open DRP to another
IRO; a resolved or withdrawn one is reopened with a reason. Moves like any other (the
service recipe in docs/architecture.md)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from people import roles
from people.models import User
from workflows.clocks import today
from workflows.history import save_with_history
from workflows.timeline import record_event
from workflows.transitions import perform
from workflows.validation import blank_text_errors, require_text

from . import agreed_actions, clocks, notifications
from .flows import DisputeResolutionFlow
from .models import (
    DisputeResolution,
    TimelineEvent,
)

Action = TimelineEvent.Action
#: The agreed-action moves (``drp.agreed_actions``) are DRP services too.
drp_agree_action, drp_record_action = agreed_actions.drp_agree_action, agreed_actions.drp_record_action
may_agree_actions, may_record_action = agreed_actions.may_agree_actions, agreed_actions.may_record_action
closed_refusal, KEEP_OPEN, CLOSE_NOT_DONE = (agreed_actions.closed_refusal, agreed_actions.KEEP_OPEN,
                                            agreed_actions.CLOSE_NOT_DONE)


from .stages import lock_drp, open_stage_record, start_stage


@transaction.atomic
def drp_reassign(*, drp: DisputeResolution, actor: User, iro: User | None, reason: str) -> DisputeResolution:
    """The IRO Manager gives an open DRP to another IRO or Conference Chair, who is told; from
    now on they review the responses and get the reminders."""
    drp = lock_drp(drp)
    perform(DisputeResolutionFlow(drp), "reassign", actor)
    errors = blank_text_errors(reason=reason)
    if iro is None or not iro.is_active or not iro.has_role(roles.IRO, roles.CHAIR):
        errors["iro"] = "Choose an IRO or Conference Chair to give the DRP to."
    elif iro.pk == drp.iro_id:
        errors["iro"] = f"{iro} already holds {drp.reference}: choose another IRO."
    if errors:
        raise ValidationError(errors)
    previous = drp.iro
    drp.iro = iro
    save_with_history(drp, actor, reason.strip())
    record_event(drp, actor, Action.REASSIGNED, note=f"From {previous} to {iro}.\n\n{reason.strip()}",
                 from_stage=drp.stage.key, to_stage=drp.stage.key)
    notifications.drp_reassigned(drp, actor, previous)
    return drp


@transaction.atomic
def drp_reopen(*, drp: DisputeResolution, actor: User, reason: str) -> DisputeResolution:
    """Take a resolved or withdrawn DRP up again, at the stage it closed at, addressed afresh.

    Clocks (docs/rules.md): the stage's own timescale runs from the day it is reopened; the
    overall limit counts again from that day too (from the first formal stage reached after
    it, when the limit runs from the first formal stage and the DRP reopens informally). The
    earlier outcome stays on the timeline and in the history; the DRP has none while open."""
    drp = lock_drp(drp)
    was = drp.get_status_display().lower()
    perform(DisputeResolutionFlow(drp), "reopen", actor)
    require_text(reason=reason)
    on = today()
    stage = drp.closed_at_stage or drp.stage
    drp.closed_on = None
    drp.closed_at_stage = None
    drp.outcome, drp.impact = "", ""
    drp.child_informed = drp.advocacy_offered = None
    drp.formal_started_on = on if stage.is_formal else None
    restart_overall = stage.is_formal or clocks.timescale_from() == clocks.RAISED
    drp.overall_due_date = clocks.overall_due(on) if restart_overall else None
    start_stage(drp, stage, on, list(drp.children.select_related("social_worker")))
    save_with_history(drp, actor, reason.strip())
    drp.impact_codes.clear()
    open_stage_record(drp, actor, reason.strip())
    record_event(drp, actor, Action.REOPENED, note=f"Reopened (was {was}).\n\n{reason.strip()}",
                 to_stage=stage.key)
    notifications.drp_reopened(drp, actor)
    return drp
