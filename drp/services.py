"""Every change to a DRP: one transaction that locks the row, checks the permission,
moves the state machine, records history with a reason, and appends one timeline event."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from children.models import CaseType, Child
from people.models import User
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.history import save_with_history
from workflows.models import ReferenceSequence
from workflows.timeline import record_event
from workflows.transitions import perform
from workflows.validation import blank_text_errors, require_text

from . import access, agreed_actions, clocks, notifications
from .flows import DisputeResolutionFlow
from .models import (
    AgencyContact,
    AgreedAction,
    DisputeResolution,
    ImpactCode,
    Stage,
    Theme,
    TimelineEvent,
)
from .selectors import covers_for
from .stages import (
    close_stage_record,
    expect_stage,
    lock_drp,
    open_stage_record,
    start_stage,
)

Action = TimelineEvent.Action
#: The agreed-action moves (``drp.agreed_actions``) are DRP services too.
drp_agree_action, drp_record_action = agreed_actions.drp_agree_action, agreed_actions.drp_record_action
may_agree_actions, may_record_action = agreed_actions.may_agree_actions, agreed_actions.may_record_action
closed_refusal, KEEP_OPEN, CLOSE_NOT_DONE = (agreed_actions.closed_refusal, agreed_actions.KEEP_OPEN,
                                            agreed_actions.CLOSE_NOT_DONE)


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
    team=None,
    agency_contact: AgencyContact | None = None,
    asked: str = "",
) -> DisputeResolution:
    """An IRO or Conference Chair raises a DRP, by default at the informal stage.

    The DRP's CP/CLA type must be the children's own (a child protection plan, or looked
    after). When a sibling group's children are allocated to different teams the IRO names
    the lead team, which the stages are addressed through; every child's team sees the DRP."""
    if not access.can_raise_drp(actor):
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
    if children and case_type in CaseType.values:
        mismatched = [child for child in children if child.case_type != case_type]
        if mismatched and "case_type" not in errors:
            label = CaseType(case_type).label.lower()
            errors["case_type"] = (
                f"{', '.join(f'{c.name} ({c.reference})' for c in mismatched)} "
                f"{'is' if len(mismatched) == 1 else 'are'} not recorded as "
                f"{'having a' if case_type == CaseType.CP else 'a'} {label}: choose the type the "
                "children's records show, or raise a separate DRP for each type.")
    raised_on = raised_on or today()
    if raised_on > today():
        errors["raised_on"] = "The date raised must be today or in the past."
    child_teams = list(dict.fromkeys(child.team_id for child in children or [] if child.team_id))
    if team is not None and team.pk not in child_teams:
        errors["team"] = "The lead team must be the team of one of the children."
    elif team is None and len(child_teams) > 1:
        errors["team"] = ("The children are allocated to different teams: choose the lead team "
                          "the DRP is addressed through.")
    errors |= agreed_actions.agency_errors(children or [], agency_contact, asked)
    if errors:
        raise ValidationError(errors)
    stage = stage or Stage.objects.order_by("order").first()
    if stage is None:
        raise ValidationError({"stage": "The DRP ladder has no stages; set them up in the admin."})

    team_id = team.pk if team is not None else (child_teams[0] if child_teams else None)
    drp = DisputeResolution(
        reference=f"DRP-{ReferenceSequence.next('drp'):05d}",
        case_type=case_type,
        concern=concern.strip(),
        team_id=team_id,
        raised_by=actor,
        raised_on=raised_on,
        status=DisputeResolution.Status.AWAITING_RESPONSE,
    )
    start_stage(drp, stage, raised_on, children, agency_contact)
    save_with_history(drp, actor, "Raised")
    drp.children.set(children)
    drp.teams.set(child_teams)
    drp.themes.set(themes)
    record = open_stage_record(drp, actor, "Raised", asked=(asked or "").strip())
    record_event(drp, actor, Action.RAISED, note=drp.concern + agreed_actions.asked_note(record), to_stage=stage.key)
    notifications.drp_raised(drp, actor)
    notifications.stage_to_agency(drp, record)
    return drp


#: An agreed-by date further ahead than this is a typing mistake, not a plan.
AGREED_BY_MAX_DAYS = 2 * 366


@transaction.atomic
def drp_respond(*, drp: DisputeResolution, actor: User, response: str,
                agreed_by: date | None = None, actions: list[dict] | None = None,
                from_stage: str | None = None) -> DisputeResolution:
    """The addressee answers the challenge at the current stage: what will be done and,
    optionally, the date it is agreed to be done by, and the agreed actions (each: ``what``,
    ``due_on``, and ``owner`` or ``owner_contact``), each with its own clock. The IRO's
    review clock starts."""
    drp = lock_drp(drp)
    perform(DisputeResolutionFlow(drp), "respond", actor)
    expect_stage(drp, from_stage)
    require_text(response=response)
    on = today()
    if agreed_by is not None and not on <= agreed_by <= on + timedelta(days=AGREED_BY_MAX_DAYS):
        raise ValidationError({"agreed_by": "The agreed-by date must be today or later, and "
                                            "within two years."})
    for index, action in enumerate(actions or []):
        errors = agreed_actions.action_errors(drp, on=on, **action)
        if errors:
            raise ValidationError({f"actions[{index}].{field}": message for field, message in errors.items()})
    # A colleague covering for the addressee answers for them ("X for Y" on the timeline).
    covering = drp.addressee if (drp.addressee_id and drp.addressee_id != actor.pk
                                 and covers_for(actor, drp.addressee_id)) else None
    close_stage_record(drp, actor, "Responded", response=response.strip(),
                        responded_on=on, responded_by=actor, agreed_by=agreed_by)
    drp.review_due_date = clocks.review_due(on)
    save_with_history(drp, actor, "Responded")
    note = response.strip() + (f"\n\nAgreed by {agreed_by:%-d %B %Y}." if agreed_by else "")
    if drp.addressee_contact_id:
        note = f"Response from {drp.addressee_contact}, recorded by {actor}:\n\n{note}"
    record_event(drp, actor, Action.RESPONDED, note=note, from_stage=drp.stage.key,
                 to_stage=drp.stage.key, on_behalf_of=covering)
    for action in actions or []:
        agreed_actions.agree_action(drp, actor, on=on, **action)
    notifications.drp_responded(drp, actor)
    return drp


@transaction.atomic
def drp_escalate(
    *, drp: DisputeResolution, actor: User, reason: str, stage: Stage | None = None,
    agency_contact: AgencyContact | None = None, asked: str = "",
    from_stage: str | None = None,
) -> DisputeResolution:
    """Take the DRP to the next stage of the ladder, or jump to a named later stage; the stage
    may be addressed to a partner agency's contact (emailed what is asked and by when)."""
    drp = lock_drp(drp)
    ladder = list(Stage.objects.all())
    flow = DisputeResolutionFlow(drp, ladder=ladder)
    current = drp.stage
    perform(flow, "escalate", actor)
    expect_stage(drp, from_stage)
    require_text(reason=reason)
    if stage is not None and stage.order <= current.order:
        raise TransitionRefused(
            f"{drp.reference} is at {current.name}: it can only be escalated to a later stage."
        )
    target = stage or flow.later_stages()[0]
    children = list(drp.children.select_related("social_worker"))
    errors = agreed_actions.agency_errors(children, agency_contact, asked)
    if errors:
        raise ValidationError(errors)
    on = today()
    close_stage_record(drp, actor, "Escalated", ended_on=on)
    start_stage(drp, target, on, children, agency_contact)
    save_with_history(drp, actor, reason)
    record = open_stage_record(drp, actor, reason, asked=(asked or "").strip())
    record_event(drp, actor, Action.ESCALATED, note=reason.strip() + agreed_actions.asked_note(record), from_stage=current.key,
            to_stage=target.key)
    notifications.drp_escalated(drp, actor)
    notifications.stage_to_agency(drp, record)
    return drp


def _close(drp: DisputeResolution, actor: User, transition: str, reason: str,
           action: str, required: dict[str, str], also=None, before_input=None,
           from_stage: str | None = None,
           **fields) -> DisputeResolution:
    """Resolve or withdraw: the stage the DRP closes at is the stage it is at now. Once state
    and permission have passed (and ``before_input(drp)``, a further refusal of the move as
    things stand), blank ``required`` text and the errors ``also()`` finds are refused
    together, each naming its field."""
    drp = lock_drp(drp)
    perform(DisputeResolutionFlow(drp), transition, actor)
    expect_stage(drp, from_stage)
    if before_input is not None:
        before_input(drp)
    errors = blank_text_errors(**required) | (also() if also is not None else {})
    if errors:
        raise ValidationError(errors)
    on = today()
    for name, value in fields.items():
        setattr(drp, name, value)
    drp.closed_on = on
    drp.closed_at_stage = drp.stage
    drp.review_due_date = None
    close_stage_record(drp, actor, action.label, ended_on=on)
    save_with_history(drp, actor, reason)
    record_event(drp, actor, action, note=reason, from_stage=drp.stage.key)
    return drp


def _yes_no(value: bool | None) -> str:
    return "yes" if value else "no"


@transaction.atomic
def drp_resolve(*, drp: DisputeResolution, actor: User, outcome: str, impact: str,
                impact_codes: list[ImpactCode], child_informed: bool | None,
                advocacy_offered: bool | None, open_actions: str | None = None,
                from_stage: str | None = None) -> DisputeResolution:
    """The IRO is satisfied: record the outcome and what it changed for the child (the whole
    procedure exists for that): the impact, coded from the local list and in words, and whether
    the child was told and offered an advocate. Open agreed actions are not left behind
    silently: unless ``open_actions`` says they stay open or are not done, the resolution is
    refused (409) naming them."""
    outcome, impact = (outcome or "").strip(), (impact or "").strip()
    codes = list(dict.fromkeys(impact_codes or []))
    note = (f"{outcome}\n\nImpact for the child ({', '.join(code.name for code in codes)}): {impact}"
            f"\nChild told of the outcome: {_yes_no(child_informed)}; offered an advocate: "
            f"{_yes_no(advocacy_offered)}.")

    def unanswered() -> dict[str, str]:
        errors = {}
        if not codes:
            errors["impact_codes"] = "Choose at least one impact for the child."
        if child_informed is None:
            errors["child_informed"] = "Say whether the child was told of the outcome."
        if advocacy_offered is None:
            errors["advocacy_offered"] = "Say whether the child was offered an advocate."
        return errors

    still_open: list[AgreedAction] = []

    def decided_about_open_actions(locked):
        still_open.extend(locked.agreed_actions.filter(status=AgreedAction.Status.OPEN)
                          .select_related("owner", "owner_contact__agency"))
        if still_open and open_actions not in agreed_actions.OPEN_ACTION_CHOICES:
            raise TransitionRefused(agreed_actions.open_actions_refusal(locked, still_open))

    drp = _close(drp, actor, "resolve", note, Action.RESOLVED,
                 required={"outcome": outcome, "impact": impact}, also=unanswered,
                 before_input=decided_about_open_actions, from_stage=from_stage, outcome=outcome,
                 impact=impact, child_informed=child_informed, advocacy_offered=advocacy_offered)
    drp.impact_codes.set(codes)
    if open_actions == agreed_actions.CLOSE_NOT_DONE:
        for action in still_open:
            agreed_actions.finish_action(action, actor, done=False, on=drp.closed_on,
                           note="Recorded as not done when the DRP was resolved.")
    notifications.drp_resolved(drp, actor)
    return drp


@transaction.atomic
def drp_withdraw(*, drp: DisputeResolution, actor: User, reason: str,
                 from_stage: str | None = None) -> DisputeResolution:
    """The IRO withdraws the challenge; the person it is addressed to is told."""
    addressee = drp.addressee
    drp = _close(drp, actor, "withdraw", (reason or "").strip(), Action.WITHDRAWN,
                 required={"reason": reason}, from_stage=from_stage)
    # A withdrawn challenge asks nothing more of anyone: its open actions end, not done.
    for action in drp.agreed_actions.filter(status=AgreedAction.Status.OPEN).select_related("owner_contact"):
        agreed_actions.finish_action(action, actor, done=False, on=drp.closed_on, note="The DRP was withdrawn.")
    notifications.drp_withdrawn(drp, actor, addressee)
    return drp


@transaction.atomic
def drp_refer_to_cafcass(*, drp: DisputeResolution, actor: User, reason: str,
                         from_stage: str | None = None) -> DisputeResolution:
    """Looked-after children only; the DRP stays open unless the IRO resolves it."""
    drp = lock_drp(drp)
    perform(DisputeResolutionFlow(drp), "refer_to_cafcass", actor)
    expect_stage(drp, from_stage)
    require_text(reason=reason)
    drp.referred_to_cafcass = True
    drp.referred_to_cafcass_on = today()
    save_with_history(drp, actor, reason.strip())
    record_event(drp, actor, Action.REFERRED_TO_CAFCASS, note=reason.strip(), from_stage=drp.stage.key)
    return drp
