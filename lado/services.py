"""Every change to a Designated Officer case: one transaction that locks the row, runs the move
through the state machine (``perform``: status 409, permission 403, conditions 409), checks the
input (400 naming the field), records history with the actor and a reason, and appends one
timeline event. Destruction is the exception: it removes the case, its history and timeline,
and leaves one destruction-log entry with no personal data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from children.models import Child
from people import roles
from people.models import Role, User
from workflows.calendar import add_working_days
from workflows.clocks import now as clock_now
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.history import history_erased_separately, save_with_history
from workflows.models import ReferenceSequence
from workflows.transitions import perform
from workflows.validation import require_text

from . import conf
from .dates import add_months, add_years
from .flows import EnquiryFlow
from .models import (
    AccessReview,
    Action,
    Category,
    DestructionLog,
    EmploymentBasis,
    Enquiry,
    Meeting,
    ReferralSource,
    RetentionRule,
    RetentionRuleChange,
    RoleChange,
    Sector,
    SettingType,
    TimelineEvent,
)
from .selectors import do_role_holders

Event = TimelineEvent.Action
Status = Enquiry.Status

#: What can be corrected or completed after an enquiry is logged.
DETAIL_FIELDS = (
    "received_at", "how", "referrer_name", "referrer_organisation", "referral_source", "sector",
    "setting", "subject_name", "subject_date_of_birth", "subject_role", "subject_employer",
    "employment_basis", "children", "children_description", "category", "summary", "officer",
)
TEXT_FIELDS = ("referrer_name", "referrer_organisation", "subject_name", "subject_role",
               "subject_employer", "children_description", "summary")


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def require_do_team(user) -> None:
    """Default deny: only Designated Officers and the DO Manager, never by superuser status."""
    if not (user and user.is_authenticated and user.has_role(*roles.DO_TEAM)):
        raise PermissionDenied("Designated Officer records are only for the DO team.")


def require_do_manager(user) -> None:
    if not (user and user.is_authenticated and user.has_role(roles.DO_MANAGER)):
        raise PermissionDenied("Only the DO Manager can do this.")


def _lock(enquiry: Enquiry) -> Enquiry:
    return Enquiry.objects.select_for_update().get(pk=enquiry.pk)


def refusal_message(enquiry: Enquiry, consequence: str) -> str:
    return f"{enquiry.reference} is {enquiry.get_status_display().lower()}, so {consequence}."


def _record(enquiry: Enquiry, actor: User | None, action: str, note: str = "", from_stage: str = "",
            to_stage: str = "") -> TimelineEvent:
    return TimelineEvent.objects.create(enquiry=enquiry, actor=actor, action=action, note=note,
                                        from_stage=from_stage, to_stage=to_stage)


# --- Clocks -------------------------------------------------------------------------------


def received_date(received_at: datetime) -> date:
    return timezone.localdate(received_at)


def set_clocks(enquiry: Enquiry) -> None:
    """Decision due N working days after receipt; targets N calendar months after it."""
    enquiry.received_on = received_date(enquiry.received_at)
    enquiry.decision_due = add_working_days(enquiry.received_on, conf.decision_working_days())
    first, second, third = conf.target_months()
    enquiry.target_1_due = add_months(enquiry.received_on, first)
    enquiry.target_2_due = add_months(enquiry.received_on, second)
    enquiry.target_3_due = add_months(enquiry.received_on, third)


def retention_review_date(enquiry: Enquiry, rule: RetentionRule | None = None) -> date | None:
    """When a closed case is next reviewed for destruction, by the rule for how it closed:
    N years after closing, or the subject's retirement age if the rule says so and it is later."""
    closure = enquiry.closure
    if not closure or enquiry.closed_on is None:
        return None
    if rule is None:
        rule = RetentionRule.objects.filter(closure=closure).first()
    if rule is None:
        return None
    review = add_years(enquiry.closed_on, rule.years)
    if rule.until_retirement and enquiry.subject_date_of_birth:
        review = max(review, add_years(enquiry.subject_date_of_birth, rule.retirement_age))
    return review


def _close(enquiry: Enquiry, closed_on: date) -> None:
    enquiry.closed_on = closed_on
    enquiry.retention_review_on = retention_review_date(enquiry)


# --- Logging and correcting an enquiry ------------------------------------------------------


def _validate_details(enquiry: Enquiry) -> dict[str, str]:
    errors = {}
    if not (enquiry.summary or "").strip():
        errors["summary"] = "Summarise the concern."
    if enquiry.received_at is None:
        errors["received_at"] = "Enter when the enquiry was received."
    elif received_date(enquiry.received_at) > today():
        errors["received_at"] = "The time received must be now or in the past."
    if enquiry.how not in Enquiry.How.values:
        errors["how"] = "Choose phone, email or referral form."
    dob = enquiry.subject_date_of_birth
    if dob is not None and dob > today():
        errors["subject_date_of_birth"] = "The subject's date of birth must be in the past."
    if enquiry.officer_id is not None and not enquiry.officer.has_role(*roles.DO_TEAM):
        errors["officer"] = "The officer must be a Designated Officer or the DO Manager."
    for name in TEXT_FIELDS:
        value = getattr(enquiry, name) or ""
        limit = Enquiry._meta.get_field(name).max_length
        if limit and len(value) > limit:
            errors[name] = f"Use {limit} characters or fewer."
    return errors


def _aware(value):
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


@transaction.atomic
def enquiry_log(
    *,
    actor: User,
    summary: str,
    received_at: datetime | None = None,
    how: str = Enquiry.How.PHONE,
    referrer_name: str = "",
    referrer_organisation: str = "",
    referral_source: ReferralSource | None = None,
    sector: Sector | None = None,
    setting: SettingType | None = None,
    subject_name: str = "",
    subject_date_of_birth: date | None = None,
    subject_role: str = "",
    subject_employer: str = "",
    employment_basis: EmploymentBasis | None = None,
    children: Iterable[Child] = (),
    children_description: str = "",
    category: Category | None = None,
    officer: User | None = None,
) -> Enquiry:
    """Log an enquiry as it comes in: only the summary is needed (received defaults to now);
    the rest can be completed later, before the threshold decision."""
    require_do_team(actor)
    enquiry = Enquiry(
        received_at=_aware(received_at) or clock_now(),
        how=how or Enquiry.How.PHONE,
        referrer_name=(referrer_name or "").strip(),
        referrer_organisation=(referrer_organisation or "").strip(),
        referral_source=referral_source, sector=sector, setting=setting,
        subject_name=(subject_name or "").strip(),
        subject_date_of_birth=subject_date_of_birth,
        subject_role=(subject_role or "").strip(),
        subject_employer=(subject_employer or "").strip(),
        employment_basis=employment_basis,
        children_description=(children_description or "").strip(),
        category=category,
        summary=(summary or "").strip(),
        officer=officer or actor,
        logged_by=actor,
        status=Status.AWAITING_DECISION,
    )
    errors = _validate_details(enquiry)
    if errors:
        raise ValidationError(errors)
    set_clocks(enquiry)
    enquiry.reference = f"DO-{ReferenceSequence.next('lado'):05d}"
    save_with_history(enquiry, actor, "Logged")
    enquiry.children.set(list(children))
    _record(enquiry, actor, Event.LOGGED, note=enquiry.summary, to_stage=enquiry.status)
    return enquiry


@transaction.atomic
def enquiry_update(*, enquiry: Enquiry, actor: User, **changes) -> Enquiry:
    """Correct or complete an open enquiry's details (subject, children, vocabularies ...)."""
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"Not a detail of an enquiry: {', '.join(sorted(unknown))}")
    enquiry = _lock(enquiry)
    perform(EnquiryFlow(enquiry), "update_details", actor,
            refusal=refusal_message(enquiry, "its details can no longer be changed"))
    children = changes.pop("children", None)
    changed = []
    for name, value in changes.items():
        if name in TEXT_FIELDS or name == "how":
            value = (value or "").strip()
        if name == "received_at":
            value = _aware(value)
        if getattr(enquiry, name) != value:
            setattr(enquiry, name, value)
            changed.append(name)
    if children is not None:
        children = list(children)
        if {c.pk for c in children} != set(enquiry.children.values_list("pk", flat=True)):
            changed.append("children")
    errors = _validate_details(enquiry)
    if errors:
        raise ValidationError(errors)
    if not changed:
        return enquiry
    if "received_at" in changed:
        set_clocks(enquiry)
    labels = [Enquiry._meta.get_field(name).verbose_name for name in changed]
    note = "Changed: " + ", ".join(labels) + "."
    save_with_history(enquiry, actor, note)
    if children is not None:
        enquiry.children.set(children)
    _record(enquiry, actor, Event.UPDATED, note=note, from_stage=enquiry.status, to_stage=enquiry.status)
    return enquiry


# --- Threshold decision ---------------------------------------------------------------------


@transaction.atomic
def enquiry_decide(
    *, enquiry: Enquiry, actor: User, threshold_met: bool, criteria: Iterable[str], rationale: str,
    advice: str = "",
) -> Enquiry:
    """The harm test. Met (at least one criterion applies): an allegation management meeting
    follows. Not met (none applies): advice and guidance is recorded and the enquiry closes."""
    enquiry = _lock(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "meet_threshold" if threshold_met else "give_advice", actor,
            refusal=refusal_message(enquiry, "its threshold decision has already been made"))
    criteria = list(dict.fromkeys(criteria or []))
    rationale, advice = (rationale or "").strip(), (advice or "").strip()
    errors = {}
    unknown = [c for c in criteria if c not in Enquiry.Criterion.values]
    if unknown:
        errors["criteria"] = f"Unknown criteria: {', '.join(map(str, unknown))}."
    elif threshold_met and not criteria:
        errors["criteria"] = ("The threshold is met only when at least one harm test criterion applies: "
                              "choose which.")
    elif not threshold_met and criteria:
        errors["criteria"] = ("The threshold is not met when no harm test criterion applies: clear the "
                              "criteria, or record the threshold as met.")
    if not rationale:
        errors["rationale"] = "Give the rationale for the decision."
    for name, label in (("category", "category"), ("sector", "organisation's sector"),
                        ("setting", "setting")):
        if getattr(enquiry, f"{name}_id") is None:
            errors[name] = f"Record the {label} before the threshold decision."
    if threshold_met and not enquiry.subject_name:
        errors["subject_name"] = "Name the subject before deciding that the threshold is met."
    if errors:
        raise ValidationError(errors)

    on = today()
    enquiry.threshold_met = bool(threshold_met)
    for value, field in Enquiry.CRITERIA_FIELDS.items():
        setattr(enquiry, field, value in criteria)
    enquiry.rationale = rationale
    enquiry.advice = advice
    enquiry.decided_on = on
    enquiry.decided_by = actor
    if threshold_met:
        reason = "Threshold met"
        labels = enquiry.criteria_display()
        note = f"Criteria: {'; '.join(labels)}.\n\n{rationale}"
        action = Event.THRESHOLD_MET
    else:
        _close(enquiry, on)
        reason = "Threshold not met: advice given"
        note = rationale + (f"\n\nAdvice given: {advice}" if advice else "")
        action = Event.ADVICE_GIVEN
    save_with_history(enquiry, actor, reason)
    _record(enquiry, actor, action, note=note, from_stage=from_status, to_stage=enquiry.status)
    return enquiry


# --- Meetings and actions -------------------------------------------------------------------


def _refresh_next_review(enquiry: Enquiry) -> None:
    latest = enquiry.meetings.order_by("-held_on", "-id").first()
    enquiry.next_review_on = latest.next_review_on if latest else None


@transaction.atomic
def enquiry_record_meeting(
    *, enquiry: Enquiry, actor: User, kind: str, held_on: date, attendees: str, decisions: str,
    minutes: str = "", next_review_on: date | None = None,
) -> Meeting:
    """An allegation management meeting was held; the first one starts the case in progress."""
    enquiry = _lock(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "hold_meeting", actor,
            refusal=refusal_message(enquiry, "no meeting can be recorded for it"))
    attendees, decisions, minutes = (attendees or "").strip(), (decisions or "").strip(), (minutes or "").strip()
    errors = {}
    if kind not in Meeting.Kind.values:
        errors["kind"] = "Choose initial, review or outcome meeting."
    if held_on is None:
        errors["held_on"] = "Enter the date the meeting was held."
    elif held_on > today():
        errors["held_on"] = "The meeting date must be today or in the past."
    elif held_on < enquiry.received_on:
        errors["held_on"] = "The meeting cannot be before the enquiry was received."
    if not attendees:
        errors["attendees"] = "List who attended (name and agency)."
    if not decisions:
        errors["decisions"] = "Record the decisions made."
    if next_review_on is not None and held_on is not None and next_review_on <= held_on:
        errors["next_review_on"] = "The next review must be after the meeting."
    if errors:
        raise ValidationError(errors)
    meeting = Meeting(enquiry=enquiry, kind=kind, held_on=held_on, attendees=attendees, minutes=minutes,
                      decisions=decisions, next_review_on=next_review_on, recorded_by=actor)
    label = meeting.get_kind_display()
    save_with_history(meeting, actor, f"{label} recorded")
    _refresh_next_review(enquiry)
    save_with_history(enquiry, actor, f"{label} held")
    note = f"{label} held on {long_date(held_on)}.\n\nDecisions: {decisions}"
    if next_review_on:
        note += f"\n\nNext review: {long_date(next_review_on)}."
    _record(enquiry, actor, Event.MEETING_HELD, note=note, from_stage=from_status, to_stage=enquiry.status)
    return meeting


def _validate_action(action: Action) -> dict[str, str]:
    errors = {}
    if action.kind not in Action.Kind.values:
        errors["kind"] = "Choose the kind of action."
    if not action.owner_name:
        errors["owner_name"] = "Name who owns the action."
    if action.kind == Action.Kind.REGULATOR_REFERRAL:
        if action.regulator not in Action.Regulator.values:
            errors["regulator"] = "Choose the regulator referred to."
    elif action.regulator:
        errors["regulator"] = "A regulator is only recorded for a regulator referral."
    if action.employer_outcome and action.kind != Action.Kind.EMPLOYER_OUTCOME:
        errors["employer_outcome"] = "An employer outcome is only recorded for an employer outcome action."
    elif action.employer_outcome and action.employer_outcome not in Action.EmployerOutcome.values:
        errors["employer_outcome"] = "Choose the employer's outcome."
    if action.done_on is not None and action.done_on > today():
        errors["done_on"] = "The date done must be today or in the past."
    return errors


@transaction.atomic
def enquiry_add_action(
    *, enquiry: Enquiry, actor: User, kind: str, owner_name: str, owner_agency: str = "",
    due_on: date | None = None, done_on: date | None = None, regulator: str = "",
    employer_outcome: str = "", notes: str = "",
) -> Action:
    enquiry = _lock(enquiry)
    perform(EnquiryFlow(enquiry), "add_action", actor,
            refusal=refusal_message(enquiry, "no action can be recorded for it"))
    action = Action(enquiry=enquiry, kind=kind, owner_name=(owner_name or "").strip(),
                    owner_agency=(owner_agency or "").strip(), due_on=due_on, done_on=done_on,
                    regulator=regulator or "", employer_outcome=employer_outcome or "",
                    notes=(notes or "").strip(), recorded_by=actor)
    errors = _validate_action(action)
    if errors:
        raise ValidationError(errors)
    save_with_history(action, actor, "Recorded")
    note = f"{action.description}, owned by {action.owner}"
    if due_on:
        note += f", due {long_date(due_on)}"
    if done_on:
        note += f", done {long_date(done_on)}"
    _record(enquiry, actor, Event.ACTION_ADDED, note=note + ".", from_stage=enquiry.status,
            to_stage=enquiry.status)
    return action


ACTION_FIELDS = ("owner_name", "owner_agency", "due_on", "done_on", "regulator", "employer_outcome", "notes")


@transaction.atomic
def enquiry_update_action(*, action: Action, actor: User, **changes) -> Action:
    """Change an action's due date or owner, or record it done (with the employer's outcome)."""
    unknown = set(changes) - set(ACTION_FIELDS)
    if unknown:
        raise TypeError(f"Not a field of an action: {', '.join(sorted(unknown))}")
    enquiry = _lock(action.enquiry)
    action = Action.objects.select_for_update().get(pk=action.pk, enquiry=enquiry)
    perform(EnquiryFlow(enquiry), "update_action", actor,
            refusal=refusal_message(enquiry, "its actions can no longer be changed"))
    changed = []
    for name, value in changes.items():
        if name in ("owner_name", "owner_agency", "notes", "regulator", "employer_outcome"):
            value = (value or "").strip()
        if getattr(action, name) != value:
            setattr(action, name, value)
            changed.append(name)
    errors = _validate_action(action)
    if errors:
        raise ValidationError(errors)
    if not changed:
        return action
    parts = []
    if "done_on" in changed:
        parts.append(f"done {long_date(action.done_on)}" if action.done_on else "marked not done")
    if "due_on" in changed:
        parts.append(f"now due {long_date(action.due_on)}" if action.due_on else "no due date")
    if "employer_outcome" in changed and action.employer_outcome:
        parts.append(f"outcome {action.get_employer_outcome_display().lower()}")
    other = [Action._meta.get_field(n).verbose_name for n in changed
             if n not in ("done_on", "due_on", "employer_outcome")]
    if other:
        parts.append("changed " + ", ".join(other))
    note = f"{action.description}: {'; '.join(parts)}."
    save_with_history(action, actor, note)
    _record(enquiry, actor, Event.ACTION_UPDATED, note=note, from_stage=enquiry.status,
            to_stage=enquiry.status)
    return action


# --- Closing --------------------------------------------------------------------------------


@transaction.atomic
def enquiry_conclude(
    *, enquiry: Enquiry, actor: User, outcome: str, concluded_on: date | None = None, note: str = "",
) -> Enquiry:
    """Record the outcome (Keeping Children Safe in Education Part 4 definitions)."""
    enquiry = _lock(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "conclude", actor, refusal=refusal_message(enquiry, "it cannot be concluded"))
    concluded_on = concluded_on or today()
    errors = {}
    if outcome not in Enquiry.Outcome.values:
        errors["outcome"] = "Choose the outcome."
    if concluded_on > today():
        errors["concluded_on"] = "The date concluded must be today or in the past."
    elif concluded_on < enquiry.received_on:
        errors["concluded_on"] = "The date concluded cannot be before the enquiry was received."
    if errors:
        raise ValidationError(errors)
    enquiry.outcome = outcome
    _close(enquiry, concluded_on)
    label = enquiry.get_outcome_display()
    save_with_history(enquiry, actor, f"Concluded: {label}")
    text = f"Outcome: {label}." + (f"\n\n{note.strip()}" if (note or "").strip() else "")
    _record(enquiry, actor, Event.CONCLUDED, note=text, from_stage=from_status, to_stage=enquiry.status)
    return enquiry


@transaction.atomic
def enquiry_cancel(*, enquiry: Enquiry, actor: User, reason: str) -> Enquiry:
    """Withdrawn before an outcome (a local closure code beside the national outcomes)."""
    enquiry = _lock(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "cancel", actor, refusal=refusal_message(enquiry, "it cannot be cancelled"))
    require_text(reason=reason)
    enquiry.cancel_reason = reason.strip()
    _close(enquiry, today())
    save_with_history(enquiry, actor, f"Cancelled: {enquiry.cancel_reason}")
    _record(enquiry, actor, Event.CANCELLED, note=enquiry.cancel_reason, from_stage=from_status,
            to_stage=enquiry.status)
    return enquiry


# --- Retention ------------------------------------------------------------------------------


@transaction.atomic
def enquiry_set_legal_hold(*, enquiry: Enquiry, actor: User, reason: str) -> Enquiry:
    enquiry = _lock(enquiry)
    perform(EnquiryFlow(enquiry), "set_legal_hold", actor, refusal=refusal_message(enquiry, "it cannot be held"))
    require_text(reason=reason)
    enquiry.legal_hold = True
    enquiry.legal_hold_reason = reason.strip()
    save_with_history(enquiry, actor, "Legal hold placed")
    _record(enquiry, actor, Event.LEGAL_HOLD_SET, note=enquiry.legal_hold_reason,
            from_stage=enquiry.status, to_stage=enquiry.status)
    return enquiry


@transaction.atomic
def enquiry_release_legal_hold(*, enquiry: Enquiry, actor: User, reason: str) -> Enquiry:
    enquiry = _lock(enquiry)
    perform(EnquiryFlow(enquiry), "release_legal_hold", actor,
            refusal=refusal_message(enquiry, "its legal hold cannot be released"))
    require_text(reason=reason)
    enquiry.legal_hold = False
    enquiry.legal_hold_reason = ""
    save_with_history(enquiry, actor, "Legal hold released")
    _record(enquiry, actor, Event.LEGAL_HOLD_RELEASED, note=reason.strip(), from_stage=enquiry.status,
            to_stage=enquiry.status)
    return enquiry


@transaction.atomic
def enquiry_extend_retention(*, enquiry: Enquiry, actor: User, review_on: date, reason: str) -> Enquiry:
    """The DO Manager keeps a closed case for longer and sets the next review date."""
    enquiry = _lock(enquiry)
    perform(EnquiryFlow(enquiry), "extend_retention", actor,
            refusal=refusal_message(enquiry, "its retention cannot be reviewed until it closes"))
    errors = {}
    if review_on is None:
        errors["review_on"] = "Enter the date of the next retention review."
    elif review_on <= today():
        errors["review_on"] = "The next review must be after today."
    if not (reason or "").strip():
        errors["reason"] = "Give the reason for keeping the case."
    if errors:
        raise ValidationError(errors)
    enquiry.retention_review_on = review_on
    enquiry.retention_set_by_hand = True
    note = f"Next retention review {long_date(review_on)}: {reason.strip()}"
    save_with_history(enquiry, actor, "Retention review date changed")
    _record(enquiry, actor, Event.RETENTION_EXTENDED, note=note, from_stage=enquiry.status,
            to_stage=enquiry.status)
    return enquiry


def apply_retention_rule(rule: RetentionRule, actor: User | None = None, reason: str = "") -> int:
    """Recompute the review date of closed cases under a changed rule (not those whose date the
    DO Manager set by hand), each change on the case's timeline. Returns how many changed."""
    closed = Enquiry.objects.filter(status__in=Enquiry.CLOSED_STATUSES, retention_set_by_hand=False)
    if rule.closure == RetentionRule.Closure.ADVICE_GIVEN:
        closed = closed.filter(status=Status.ADVICE_GIVEN)
    elif rule.closure == RetentionRule.Closure.CANCELLED:
        closed = closed.filter(status=Status.CANCELLED)
    else:
        closed = closed.filter(status=Status.CONCLUDED, outcome=rule.closure)
    events = []
    with transaction.atomic():
        for enquiry in closed.select_for_update():
            review = retention_review_date(enquiry, rule)
            if review != enquiry.retention_review_on:
                was = long_date(enquiry.retention_review_on) if enquiry.retention_review_on else "none"
                enquiry.retention_review_on = review
                save_with_history(enquiry, actor, "Retention rule changed")
                note = (f"Next retention review {long_date(review) if review else 'none'} (was {was}) under the "
                        f"changed rule: {rule}.")
                if reason.strip():
                    note += f" Reason: {reason.strip()}"
                events.append(TimelineEvent(enquiry=enquiry, actor=actor, action=Event.RETENTION_RULE_APPLIED,
                                            note=note, from_stage=enquiry.status, to_stage=enquiry.status))
        TimelineEvent.objects.bulk_create(events)
    return len(events)


def check_retention_rule(*, years, until_retirement: bool, retirement_age) -> dict[str, str]:
    """The one place a retention rule's values are checked, whoever sends them: each problem
    by the field it is about (a statutory minimum per closure belongs here too)."""
    errors = {}
    if years is None:
        errors["years"] = "Enter how many years after closing the case is reviewed"
    elif not 1 <= years <= 100:
        errors["years"] = "Years must be between 1 and 100"
    if until_retirement and retirement_age is None:
        errors["retirement_age"] = "Enter the retirement age"
    elif retirement_age is not None and not 55 <= retirement_age <= 75:
        errors["retirement_age"] = "Retirement age must be between 55 and 75"
    return errors


@transaction.atomic
def retention_rule_change(*, rule: RetentionRule, actor: User, years: int, until_retirement: bool,
                          retirement_age: int | None, note: str = "", reason: str) -> RetentionRuleChange:
    """The DO Manager changes how long cases closed one way are kept: the rule, then every
    closed case under it gets its new review date (on its timeline), and the change is
    recorded with who made it and why."""
    require_do_manager(actor)
    rule = RetentionRule.objects.select_for_update().get(pk=rule.pk)
    errors = check_retention_rule(years=years, until_retirement=until_retirement, retirement_age=retirement_age)
    if not (reason or "").strip():
        errors["reason"] = "Enter the reason for changing the rule"
    if errors:
        raise ValidationError(errors)
    before = str(rule)
    rule.years = years
    rule.until_retirement = until_retirement
    if retirement_age is not None:
        rule.retirement_age = retirement_age
    rule.note = (note or "").strip()
    rule.save()
    changed = apply_retention_rule(rule, actor=actor, reason=reason)
    return RetentionRuleChange.objects.create(rule=rule, actor=actor, before=before, after=str(rule),
                                              reason=reason.strip(), cases_changed=changed)


# --- Who holds a DO role ---------------------------------------------------------------------


def _do_role(role: str) -> Role:
    """A DO role by slug; any other slug is refused, naming the field."""
    found = Role.objects.filter(slug=role, slug__in=roles.DO_TEAM).first() if role else None
    if found is None:
        raise ValidationError({"role": "Select a Designated Officer role"})
    return found


def _other_do_managers(person: User, lock: bool = False) -> int:
    """Active DO Managers besides ``person``. With ``lock``, every holder's row is locked first,
    so two managers removing themselves at once cannot both pass."""
    holders = User.objects.filter(roles__slug=roles.DO_MANAGER)
    if lock:
        list(holders.select_for_update().values_list("pk", flat=True))
    return holders.filter(is_active=True).exclude(pk=person.pk).count()


def role_removal_refusal(person: User, role: str, lock: bool = False) -> str | None:
    """Why ``role`` cannot be taken from ``person`` now, or None. Pages ask before showing the
    form; ``do_role_remove`` asks again under the lock."""
    name = roles.NAMES.get(role, role)
    if not person.roles.filter(slug=role).exists():
        return f"{person} is not a {name}."
    if role == roles.DO_MANAGER and _other_do_managers(person, lock=lock) == 0:
        return (f"{person} is the only DO Manager, so this role cannot be removed: nobody would be left to "
                "grant or remove DO roles. Give someone else the DO Manager role first.")
    return None


@transaction.atomic
def do_role_grant(*, actor: User, person: User, role: str, reason: str) -> RoleChange:
    """The DO Manager gives someone a DO role (the only way anyone gets one, besides the first
    DO Manager's appointment from the server). They must then set up two-step verification."""
    require_do_manager(actor)
    the_role = _do_role(role)
    person = User.objects.select_for_update().get(pk=person.pk)
    if not person.is_active:
        raise TransitionRefused(f"{person} cannot be given a role: their account is switched off.")
    if person.roles.filter(pk=the_role.pk).exists():
        raise TransitionRefused(f"{person} is already a {the_role.name}.")
    require_text(reason=reason)
    person.roles.add(the_role)
    return RoleChange.objects.create(actor=actor, person=person, role=the_role, change=RoleChange.Change.GRANTED,
                                     reason=reason.strip())


@transaction.atomic
def do_role_remove(*, actor: User, person: User, role: str, reason: str) -> RoleChange:
    """The DO Manager takes a DO role away (a leaver, a move, the yearly access review). The last
    active DO Manager cannot remove their own: nobody would be left to grant DO roles."""
    require_do_manager(actor)
    the_role = _do_role(role)
    person = User.objects.select_for_update().get(pk=person.pk)
    refusal = role_removal_refusal(person, the_role.slug, lock=True)
    if refusal:
        raise TransitionRefused(refusal)
    require_text(reason=reason)
    person.roles.remove(the_role)
    return RoleChange.objects.create(actor=actor, person=person, role=the_role, change=RoleChange.Change.REMOVED,
                                     reason=reason.strip())


@transaction.atomic
def appoint_do_manager(*, person: User, reason: str) -> RoleChange:
    """From the server only (``manage.py appoint_do_manager``): make someone the DO Manager
    when there is no active one (first set-up, or the last one has left). While there is one,
    only they grant DO roles."""
    the_role = Role.objects.get(slug=roles.DO_MANAGER)
    person = User.objects.select_for_update().get(pk=person.pk)
    if _other_do_managers(person, lock=True) or (person.is_active and person.roles.filter(pk=the_role.pk).exists()):
        raise TransitionRefused("There is already an active DO Manager: they grant DO roles in the "
                                "Designated Officer area.")
    if not person.is_active:
        raise TransitionRefused(f"{person}'s account is switched off.")
    require_text(reason=reason)
    person.roles.add(the_role)
    return RoleChange.objects.create(actor=None, person=person, role=the_role, change=RoleChange.Change.GRANTED,
                                     reason=reason.strip())


@transaction.atomic
def do_access_review_record(*, actor: User, note: str = "") -> AccessReview:
    """The DO Manager records that this year's review of who holds DO roles is done, with who
    held which role at that moment."""
    require_do_manager(actor)
    holders = [{"username": user.username, "roles": [role.slug for role in user.do_roles]}
               for user in do_role_holders()]
    return AccessReview.objects.create(reviewed_by=actor, holders=holders, note=(note or "").strip())


@transaction.atomic
def enquiry_destroy(*, enquiry: Enquiry, actor: User, reason: str) -> DestructionLog:
    """Destroy a closed case due for review and not on legal hold: the case, its meetings,
    actions, links to children, timeline and every history row go; one log entry stays
    (reference, how it closed, dates, who and why)."""
    enquiry = _lock(enquiry)
    perform(EnquiryFlow(enquiry), "destroy", actor,
            refusal=refusal_message(enquiry, "it cannot be destroyed until it closes"))
    require_text(reason=reason)
    entry = DestructionLog.objects.create(
        case_id=enquiry.pk, reference=enquiry.reference, closure=enquiry.closure,
        received_on=enquiry.received_on, closed_on=enquiry.closed_on,
        retention_review_on=enquiry.retention_review_on, destroyed_by=actor, reason=reason.strip(),
    )
    purge(enquiry)
    return entry


#: The append-only triggers (``workflows.models.append_only``) that destruction, and only
#: destruction, passes: the case's timeline and the history of the case, meetings and actions.
#: On PostgreSQL the database function ``footprint_erase_destroyed_do_case`` ignores exactly these
#: (lado/migrations/0006); the access log (``workflows.CaseRead``) is not among them: it
#: outlives the case.
DESTRUCTION_IGNORES = (
    "lado.TimelineEvent:append_only",
    "lado.HistoricalEnquiry:append_only",
    "lado.HistoricalMeeting:append_only",
    "lado.HistoricalAction:append_only",
)
ERASE_FUNCTION = "footprint_erase_destroyed_do_case"


def erase_record(case_id: int) -> int:
    """Erase a destroyed case's timeline and the history of the case, its meetings and actions;
    returns how many rows went.

    On PostgreSQL the application's role may not delete these rows (nor switch their triggers
    off): a function owned by the tables' owner does it, for a case whose destruction is in the
    destruction log, and for nothing else. SQLite has no roles or triggers: the base managers
    (the models themselves refuse) remove the same rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {ERASE_FUNCTION}(%s)", [case_id])
            return cursor.fetchone()[0]
    return sum(queryset.delete()[0] for queryset in (
        TimelineEvent._base_manager.filter(enquiry_id=case_id),
        Enquiry.history.model.objects.filter(id=case_id),
        Meeting.history.model.objects.filter(enquiry_id=case_id),
        Action.history.model.objects.filter(enquiry_id=case_id),
    ))


def purge(enquiry: Enquiry) -> None:
    """Delete a case and everything recorded about it, history included, and the names that
    subject access requests covering it hold. Call inside the transaction that writes the
    destruction-log entry (PostgreSQL refuses without one)."""
    from subject_access.services import forget_destroyed_case  # subject_access imports lado

    from .selectors import subject_matches

    forget_destroyed_case(enquiry, list(subject_matches(enquiry).values_list("pk", flat=True)))
    erase_record(enquiry.pk)
    # Meetings, actions and the links to children go with the case; no history row is written
    # for them (it would outlive the case).
    with history_erased_separately():
        enquiry.delete()
