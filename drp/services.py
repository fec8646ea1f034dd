"""Every change to a DRP: one transaction that locks the row, checks the permission,
moves the state machine, records history with a reason, and appends one timeline event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from children.models import CaseType, Child
from people import roles
from people.models import User
from people.selectors import holder_of_role_for_team
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.history import save_with_history
from workflows.locks import lock
from workflows.models import ReferenceSequence
from workflows.transitions import perform
from workflows.validation import require_text

from . import clocks, notifications
from .flows import DisputeResolutionFlow
from .models import DisputeResolution, Stage, StageRecord, Theme, TimelineEvent

Action = TimelineEvent.Action


def find_addressee(stage: Stage, team_id: int | None, children: Iterable[Child]) -> User | None:
    """The person a stage is addressed to, from the child's allocation: the allocated social
    worker for a social-worker stage, else the nearest manager holding the addressed role."""
    addressed = {role.slug for role in stage.addressed_to.all()}
    for role in roles.SOCIAL_CARE:
        if role not in addressed:
            continue
        if role == roles.SOCIAL_WORKER:
            for child in children:
                if child.social_worker_id:
                    return child.social_worker
            continue
        holder = holder_of_role_for_team(role, team_id)
        if holder is not None:
            return holder
    return None


def _lock(drp: DisputeResolution) -> DisputeResolution:
    return lock(DisputeResolution.objects.select_related("stage"), drp.pk)


#: How each move reads in a refusal ("DRP-0001 is resolved, so it cannot be escalated.").
MOVE_VERBS = {"respond": "responded to", "escalate": "escalated", "resolve": "resolved",
              "withdraw": "withdrawn", "refer_to_cafcass": "referred to Cafcass"}


def refusal(drp: DisputeResolution, verb: str) -> str:
    return f"{drp.reference} is {drp.get_status_display().lower()}, so it cannot be {verb}."


def _record(drp, actor, action, note="", from_stage="", to_stage="") -> TimelineEvent:
    return TimelineEvent.objects.create(
        drp=drp, actor=actor, action=action, note=note, from_stage=from_stage, to_stage=to_stage
    )


def _current_stage_record(drp: DisputeResolution) -> StageRecord | None:
    return drp.stage_records.filter(ended_on__isnull=True).order_by("-started_on", "-id").first()


def _start_stage(drp: DisputeResolution, stage: Stage, started_on: date, children: list[Child]) -> None:
    """Point the DRP at ``stage`` with fresh clocks and the addressee found for it."""
    drp.stage = stage
    drp.stage_started_on = started_on
    drp.stage_due_date = clocks.stage_due(stage, started_on)
    drp.addressee = find_addressee(stage, drp.team_id, children)
    if stage.is_formal and drp.formal_started_on is None:
        drp.formal_started_on = started_on
        drp.overall_due_date = clocks.overall_due(started_on)


def _open_stage_record(drp: DisputeResolution, actor: User, reason: str) -> None:
    """Open the record of the stage the DRP has just entered."""
    record = StageRecord(
        drp=drp, stage=drp.stage, addressee=drp.addressee,
        started_on=drp.stage_started_on, due_date=drp.stage_due_date,
    )
    save_with_history(record, actor, reason)


def _close_stage_record(drp: DisputeResolution, actor: User, reason: str, **changes) -> None:
    record = _current_stage_record(drp)
    if record is None:
        return
    for field, value in changes.items():
        setattr(record, field, value)
    save_with_history(record, actor, reason)


@transaction.atomic
def drp_raise(
    *,
    actor: User,
    children: list[Child],
    case_type: str,
    themes: list[Theme],
    concern: str,
    stage: Stage | None = None,
    raised_on: date | None = None,
) -> DisputeResolution:
    """An IRO or Conference Chair raises a DRP, by default at the informal stage."""
    if not actor.has_role(*roles.CHALLENGERS):
        raise PermissionDenied("Only IROs, Conference Chairs and IRO Managers can raise a DRP.")
    errors = {}
    if not children:
        errors["children"] = "Choose at least one child."
    if case_type not in CaseType.values:
        errors["case_type"] = "Choose child protection (CP) or looked after (CLA)."
    if not themes:
        errors["themes"] = "Choose at least one theme."
    if not (concern or "").strip():
        errors["concern"] = "Describe the concern."
    raised_on = raised_on or today()
    if raised_on > today():
        errors["raised_on"] = "The date raised must be today or in the past."
    if errors:
        raise ValidationError(errors)
    stage = stage or Stage.objects.order_by("order").first()
    if stage is None:
        raise ValidationError({"stage": "The DRP ladder has no stages; set them up in the admin."})

    team_id = next((child.team_id for child in children if child.team_id), None)
    drp = DisputeResolution(
        reference=f"DRP-{ReferenceSequence.next('drp'):05d}",
        case_type=case_type,
        concern=concern.strip(),
        team_id=team_id,
        raised_by=actor,
        raised_on=raised_on,
        status=DisputeResolution.Status.AWAITING_RESPONSE,
    )
    _start_stage(drp, stage, raised_on, children)
    save_with_history(drp, actor, "Raised")
    drp.children.set(children)
    drp.themes.set(themes)
    _open_stage_record(drp, actor, "Raised")
    _record(drp, actor, Action.RAISED, note=drp.concern, to_stage=stage.key)
    notifications.drp_raised(drp, actor)
    return drp


@transaction.atomic
def drp_respond(*, drp: DisputeResolution, actor: User, response: str) -> DisputeResolution:
    """The addressee answers the challenge at the current stage."""
    drp = _lock(drp)
    perform(DisputeResolutionFlow(drp), "respond", actor, refusal=refusal(drp, "responded to"))
    require_text(response=response)
    _close_stage_record(drp, actor, "Responded", response=response.strip(),
                        responded_on=today(), responded_by=actor)
    save_with_history(drp, actor, "Responded")
    _record(drp, actor, Action.RESPONDED, note=response.strip(), from_stage=drp.stage.key,
            to_stage=drp.stage.key)
    notifications.drp_responded(drp, actor)
    return drp


@transaction.atomic
def drp_escalate(
    *, drp: DisputeResolution, actor: User, reason: str, stage: Stage | None = None
) -> DisputeResolution:
    """Take the DRP to the next stage of the ladder, or jump to a named later stage."""
    drp = _lock(drp)
    ladder = list(Stage.objects.all())
    flow = DisputeResolutionFlow(drp, ladder=ladder)
    from_stage = drp.stage
    perform(flow, "escalate", actor, refusal=refusal(drp, "escalated"))
    require_text(reason=reason)
    if stage is not None and stage.order <= from_stage.order:
        raise TransitionRefused(
            f"{drp.reference} is at {from_stage.name}: it can only be escalated to a later stage."
        )
    target = stage or flow.later_stages()[0]
    on = today()
    _close_stage_record(drp, actor, "Escalated", ended_on=on)
    _start_stage(drp, target, on, list(drp.children.select_related("social_worker")))
    save_with_history(drp, actor, reason)
    _open_stage_record(drp, actor, reason)
    _record(drp, actor, Action.ESCALATED, note=reason.strip(), from_stage=from_stage.key,
            to_stage=target.key)
    notifications.drp_escalated(drp, actor)
    return drp


def _close(drp: DisputeResolution, actor: User, transition: str, verb: str, reason: str,
           action: str, required: dict[str, str], **fields) -> DisputeResolution:
    """Resolve or withdraw: the stage the DRP closes at is the stage it is at now."""
    drp = _lock(drp)
    perform(DisputeResolutionFlow(drp), transition, actor, refusal=refusal(drp, verb))
    require_text(**required)
    on = today()
    for name, value in fields.items():
        setattr(drp, name, value)
    drp.closed_on = on
    drp.closed_at_stage = drp.stage
    _close_stage_record(drp, actor, action.label, ended_on=on)
    save_with_history(drp, actor, reason)
    _record(drp, actor, action, note=reason, from_stage=drp.stage.key)
    return drp


@transaction.atomic
def drp_resolve(*, drp: DisputeResolution, actor: User, outcome: str, impact: str = "") -> DisputeResolution:
    """The IRO is satisfied: record the outcome and the impact for the child."""
    outcome, impact = (outcome or "").strip(), (impact or "").strip()
    note = outcome + (f"\n\nImpact for the child: {impact}" if impact else "")
    drp = _close(drp, actor, "resolve", "resolved", note, Action.RESOLVED,
                 required={"outcome": outcome}, outcome=outcome, impact=impact)
    notifications.drp_resolved(drp, actor)
    return drp


@transaction.atomic
def drp_withdraw(*, drp: DisputeResolution, actor: User, reason: str) -> DisputeResolution:
    return _close(drp, actor, "withdraw", "withdrawn", (reason or "").strip(), Action.WITHDRAWN,
                  required={"reason": reason})


@transaction.atomic
def drp_refer_to_cafcass(*, drp: DisputeResolution, actor: User, reason: str) -> DisputeResolution:
    """Looked-after children only; the DRP stays open unless the IRO resolves it."""
    drp = _lock(drp)
    perform(DisputeResolutionFlow(drp), "refer_to_cafcass", actor,
            refusal=refusal(drp, "referred to Cafcass"))
    require_text(reason=reason)
    drp.referred_to_cafcass = True
    drp.referred_to_cafcass_on = today()
    save_with_history(drp, actor, reason.strip())
    _record(drp, actor, Action.REFERRED_TO_CAFCASS, note=reason.strip(), from_stage=drp.stage.key)
    return drp
