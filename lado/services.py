"""Every change to a Designated Officer case: one transaction that locks the row, runs the move
through the state machine (``perform``: status 409, permission 403, conditions 409), checks the
input (400 naming the field), records history with the actor and a reason, and appends one
timeline event. Destruction is the exception: it removes the case, its history and timeline,
and leaves one destruction-log entry with no personal data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from children.models import Child
from people import roles
from people.models import Role, User
from workflows.calendar import calendars_around, recount
from workflows.clocks import now as clock_now
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.history import history_erased_separately, save_with_history
from workflows.models import ReferenceSequence
from workflows.transitions import perform
from workflows.validation import require_text

from . import clocks, conf
from .flows import EnquiryFlow
from .models import (
    AccessReview,
    Action,
    Category,
    CategoryRetention,
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
    describe_category_retention,
)
from .selectors import do_role_holders

Event = TimelineEvent.Action
Status = Enquiry.Status

#: What Working Together and the annual report need recorded on a case: given when logging,
#: completed while it is open.
RECORD_FIELDS = (
    "incident_on", "employer_aware_on", "police_reference", "criminal_outcome", "criminal_outcome_detail",
    "subject_told", "subject_told_on", "parents_told", "parents_told_on", "dbs_referral", "dbs_decision",
    "dbs_decision_on",
)
#: What can be corrected or completed after an enquiry is logged.
DETAIL_FIELDS = (
    "received_at", "how", "referrer_name", "referrer_organisation", "referral_source", "sector",
    "setting", "subject_name", "subject_date_of_birth", "subject_role", "subject_employer",
    "employment_basis", "children", "children_description", "category", "summary", "officer",
    *RECORD_FIELDS,
)
TEXT_FIELDS = ("referrer_name", "referrer_organisation", "subject_name", "subject_role",
               "subject_employer", "children_description", "summary", "police_reference",
               "criminal_outcome_detail")
#: Coded fields: blank, or one of the choices.
CODED_FIELDS = {
    "criminal_outcome": ("Enquiry.CriminalOutcome", Enquiry.CriminalOutcome.values, "Choose the criminal outcome."),
    "dbs_referral": ("Enquiry.DbsReferral", Enquiry.DbsReferral.values, "Choose referred or not referred."),
    "dbs_decision": ("Enquiry.DbsDecision", Enquiry.DbsDecision.values, "Choose the DBS decision."),
}


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


#: What the case's status stops, by move: the end of the sentence ``refusal_for`` says (409).
REFUSALS = {
    "update_details": "its details can no longer be changed",
    "meet_threshold": "its threshold decision has already been made",
    "give_advice": "its threshold decision has already been made",
    "hold_meeting": "no meeting can be recorded for it",
    "add_action": "no action can be recorded for it",
    "update_action": "its actions can no longer be changed",
    "conclude": "it cannot be concluded",
    "conclude_without_meeting": "it cannot be concluded without a meeting",
    "cancel": "it cannot be cancelled",
    "set_legal_hold": "it cannot be held",
    "release_legal_hold": "its legal hold cannot be released",
    "extend_retention": "its retention cannot be reviewed until it closes",
    "destroy": "it cannot be destroyed until it closes",
}


def refusal_for(enquiry: Enquiry, move: str) -> str:
    """Why the case's status refuses ``move`` (the 409 sentence, alike in pages and the API)."""
    if move == "conclude_without_meeting" and enquiry.status == Status.IN_PROGRESS:
        return refusal_message(enquiry, "a meeting has been held: record the outcome with “Conclude the case”")
    if move == "conclude" and enquiry.status == Status.AWAITING_MEETING:
        return refusal_message(enquiry, "no meeting has been held: record one first, or conclude a clearly "
                                        "unfounded or malicious allegation without a meeting")
    return refusal_message(enquiry, REFUSALS[move])


def _record(enquiry: Enquiry, actor: User | None, action: str, note: str = "", from_stage: str = "",
            to_stage: str = "") -> TimelineEvent:
    return TimelineEvent.objects.create(enquiry=enquiry, actor=actor, action=action, note=note,
                                        from_stage=from_stage, to_stage=to_stage)


# --- Clocks -------------------------------------------------------------------------------


def received_date(received_at: datetime) -> date:
    return timezone.localdate(received_at)


def set_clocks(enquiry: Enquiry) -> None:
    """Decision due N working days after receipt; targets N calendar months after it, on the
    next working day when that is not one (``lado.clocks``); the first meeting N working days
    after the threshold was met."""
    enquiry.received_on = received_date(enquiry.received_at)
    enquiry.decision_due = clocks.decision_due(enquiry.received_on)
    enquiry.target_1_due, enquiry.target_2_due, enquiry.target_3_due = clocks.target_dues(enquiry.received_on)
    if enquiry.threshold_met and enquiry.decided_on:
        enquiry.first_meeting_due = clocks.first_meeting_due(enquiry.decided_on)


class RetentionRules:
    """Every retention rule, read once (two queries), for working out many cases' review dates:
    the rule for each way a case closes, and each category's longer period. The importer loads
    one and calls ``review_date`` for each case it fills."""

    def __init__(self, closures: dict[str, RetentionRule], category_years: dict[int, int]):
        self.closures = closures
        self.category_years = category_years

    @classmethod
    def load(cls) -> RetentionRules:
        return cls({rule.closure: rule for rule in RetentionRule.objects.all()},
                   dict(CategoryRetention.objects.values_list("category_id", "years")))

    def review_date(self, enquiry: Enquiry) -> date | None:
        closure = enquiry.closure
        return clocks.retention_review_date(
            closure=closure, received_on=enquiry.received_on, closed_on=enquiry.closed_on,
            date_of_birth=enquiry.subject_date_of_birth, rule=self.closures.get(closure),
            category_years=self.category_years.get(enquiry.category_id))


_LOOK_UP = object()


def retention_review_date(enquiry: Enquiry, rule: RetentionRule | None = None, category_years=_LOOK_UP) -> date | None:
    """When a closed case is next reviewed for destruction (``lado.clocks.retention_review_date``):
    by the rule for how it closed (looked up when not given) and its category's longer period
    (looked up when not given). For many cases, load ``RetentionRules`` once instead."""
    closure = enquiry.closure
    if not closure or enquiry.closed_on is None:
        return None
    if rule is None:
        rule = RetentionRule.objects.filter(closure=closure).first()
    if category_years is _LOOK_UP:
        category_years = None
        if enquiry.category_id and clocks.statutory_minimum(closure):
            category_years = CategoryRetention.objects.filter(category_id=enquiry.category_id).values_list(
                "years", flat=True).first()
    return clocks.retention_review_date(
        closure=closure, received_on=enquiry.received_on, closed_on=enquiry.closed_on,
        date_of_birth=enquiry.subject_date_of_birth, rule=rule, category_years=category_years)


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
    errors.update(_validate_record(enquiry))
    for name in TEXT_FIELDS:
        value = getattr(enquiry, name) or ""
        limit = Enquiry._meta.get_field(name).max_length
        if limit and len(value) > limit:
            errors[name] = f"Use {limit} characters or fewer."
    return errors


def _validate_record(enquiry: Enquiry) -> dict[str, str]:
    """The dates and codes Working Together and the annual report need, each checked against
    the others (by field)."""
    errors = {}
    received = received_date(enquiry.received_at) if enquiry.received_at else None
    for name, label in (("incident_on", "The date of the alleged incident"),
                        ("employer_aware_on", "The date the employer became aware")):
        value = getattr(enquiry, name)
        if value is None:
            continue
        if value > today():
            errors[name] = f"{label} must be today or in the past."
        elif received and value > received:
            errors[name] = f"{label} cannot be after the enquiry was received."
    for name, (_, values, message) in CODED_FIELDS.items():
        if getattr(enquiry, name) and getattr(enquiry, name) not in values:
            errors[name] = message
    for who, label in (("subject", "the subject was"), ("parents", "the child's parents were")):
        told, told_on = getattr(enquiry, f"{who}_told"), getattr(enquiry, f"{who}_told_on")
        if told is not True and told_on is not None:
            errors[f"{who}_told_on"] = f"Enter a date only when {label} told: choose yes first."
        elif told is True and told_on is None:
            errors[f"{who}_told_on"] = f"Enter the date {label} told."
        elif told_on is not None and told_on > today():
            errors[f"{who}_told_on"] = f"The date {label} told must be today or in the past."
    if enquiry.dbs_decision and enquiry.dbs_referral != Enquiry.DbsReferral.REFERRED:
        errors["dbs_decision"] = "A DBS decision follows a referral to the DBS: record the referral first."
    if enquiry.dbs_decision_on is not None:
        if not enquiry.dbs_decision:
            errors["dbs_decision_on"] = "Enter the date of the DBS decision only with the decision."
        elif enquiry.dbs_decision_on > today():
            errors["dbs_decision_on"] = "The date of the DBS decision must be today or in the past."
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
    **record,
) -> Enquiry:
    """Log an enquiry as it comes in: only the summary is needed (received defaults to now);
    the rest can be completed later, before the threshold decision. ``record``: any of
    ``RECORD_FIELDS`` (the incident date, when the employer became aware, police, DBS ...)."""
    require_do_team(actor)
    unknown = set(record) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"Not a detail of an enquiry: {', '.join(sorted(unknown))}")
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
        **{name: (value or "").strip() if name in TEXT_FIELDS or name in CODED_FIELDS else value
           for name, value in record.items()},
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
    perform(EnquiryFlow(enquiry), "update_details", actor, refusal=refusal_for(enquiry, "update_details"))
    children = changes.pop("children", None)
    changed = []
    for name, value in changes.items():
        if name in TEXT_FIELDS or name in CODED_FIELDS or name == "how":
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
            refusal=refusal_for(enquiry, "meet_threshold"))
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
        enquiry.first_meeting_due = clocks.first_meeting_due(on)
        note = (f"Criteria: {'; '.join(labels)}.\n\n{rationale}\n\nFirst allegation management meeting or "
                f"strategy discussion due by {long_date(enquiry.first_meeting_due)}.")
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
    perform(EnquiryFlow(enquiry), "hold_meeting", actor, refusal=refusal_for(enquiry, "hold_meeting"))
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
    perform(EnquiryFlow(enquiry), "add_action", actor, refusal=refusal_for(enquiry, "add_action"))
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
    perform(EnquiryFlow(enquiry), "update_action", actor, refusal=refusal_for(enquiry, "update_action"))
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
    perform(EnquiryFlow(enquiry), "conclude", actor, refusal=refusal_for(enquiry, "conclude"))
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


#: Outcomes that may be recorded without an allegation management meeting (KCSIE Part 4: an
#: allegation that is clearly unfounded or malicious may be concluded without one).
WITHOUT_MEETING_OUTCOMES = (Enquiry.Outcome.UNFOUNDED, Enquiry.Outcome.MALICIOUS)


@transaction.atomic
def enquiry_conclude_without_meeting(
    *, enquiry: Enquiry, actor: User, outcome: str, reason: str, concluded_on: date | None = None,
) -> Enquiry:
    """Conclude a clearly unfounded or malicious allegation without an allegation management
    meeting, saying why: only while no meeting has been held (409 otherwise), only for those two
    outcomes (400 on ``outcome``), and never without a reason (400 on ``reason``)."""
    enquiry = _lock(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "conclude_without_meeting", actor,
            refusal=refusal_for(enquiry, "conclude_without_meeting"))
    concluded_on = concluded_on or today()
    reason = (reason or "").strip()
    errors = {}
    if outcome not in Enquiry.Outcome.values:
        errors["outcome"] = "Choose the outcome: unfounded or malicious."
    elif outcome not in WITHOUT_MEETING_OUTCOMES:
        errors["outcome"] = (f"Only an allegation that is clearly unfounded or malicious may be concluded without a "
                             f"meeting. A {Enquiry.Outcome(outcome).label.lower()} outcome needs an allegation "
                             "management meeting first.")
    if not reason:
        errors["reason"] = "Give the reason no meeting is needed."
    if concluded_on > today():
        errors["concluded_on"] = "The date concluded must be today or in the past."
    elif concluded_on < enquiry.received_on:
        errors["concluded_on"] = "The date concluded cannot be before the enquiry was received."
    if errors:
        raise ValidationError(errors)
    enquiry.outcome = outcome
    enquiry.no_meeting_reason = reason
    _close(enquiry, concluded_on)
    label = enquiry.get_outcome_display()
    save_with_history(enquiry, actor, f"Concluded without a meeting: {label}")
    _record(enquiry, actor, Event.CONCLUDED_WITHOUT_MEETING,
            note=f"Outcome: {label}, without an allegation management meeting.\n\n{reason}",
            from_stage=from_status, to_stage=enquiry.status)
    return enquiry


@transaction.atomic
def enquiry_cancel(*, enquiry: Enquiry, actor: User, reason: str) -> Enquiry:
    """Withdrawn before an outcome (a local closure code beside the national outcomes)."""
    enquiry = _lock(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "cancel", actor, refusal=refusal_for(enquiry, "cancel"))
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
    perform(EnquiryFlow(enquiry), "set_legal_hold", actor, refusal=refusal_for(enquiry, "set_legal_hold"))
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
    perform(EnquiryFlow(enquiry), "release_legal_hold", actor, refusal=refusal_for(enquiry, "release_legal_hold"))
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
    perform(EnquiryFlow(enquiry), "extend_retention", actor, refusal=refusal_for(enquiry, "extend_retention"))
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


def _recalculate_retention(closed, actor: User | None, reason: str, changed_rule: str) -> int:
    """Give each closed case in ``closed`` (not dates set by hand) its review date under the
    rules as they now stand, each change on the case's timeline. Returns how many changed."""
    rules = RetentionRules.load()
    events = []
    with transaction.atomic():
        for enquiry in closed.filter(retention_set_by_hand=False).select_for_update():
            review = rules.review_date(enquiry)
            if review != enquiry.retention_review_on:
                was = long_date(enquiry.retention_review_on) if enquiry.retention_review_on else "none"
                enquiry.retention_review_on = review
                save_with_history(enquiry, actor, "Retention rule changed")
                note = (f"Next retention review {long_date(review) if review else 'none'} (was {was}) under the "
                        f"changed rule: {changed_rule}.")
                if (reason or "").strip():
                    note += f" Reason: {reason.strip()}"
                events.append(TimelineEvent(enquiry=enquiry, actor=actor, action=Event.RETENTION_RULE_APPLIED,
                                            note=note, from_stage=enquiry.status, to_stage=enquiry.status))
        TimelineEvent.objects.bulk_create(events)
    return len(events)


def closed_as(closure: str):
    """Closed cases counted under a retention rule's closure."""
    closed = Enquiry.objects.filter(status__in=Enquiry.CLOSED_STATUSES)
    if closure == RetentionRule.Closure.ADVICE_GIVEN:
        return closed.filter(status=Status.ADVICE_GIVEN)
    if closure == RetentionRule.Closure.CANCELLED:
        return closed.filter(status=Status.CANCELLED)
    return closed.filter(status=Status.CONCLUDED, outcome=closure)


def apply_retention_rule(rule: RetentionRule, actor: User | None = None, reason: str = "") -> int:
    """Recompute the review date of closed cases under a changed rule (not those whose date the
    DO Manager set by hand), each change on the case's timeline. Returns how many changed."""
    return _recalculate_retention(closed_as(rule.closure), actor, reason, str(rule))


def check_retention_rule(*, closure: str, years, until_retirement: bool, retirement_age,
                         counted_from: str = RetentionRule.CountedFrom.CLOSING) -> dict[str, str]:
    """The one place a retention rule's values are checked, whoever sends them (the DO
    Manager's form and ``retention_rule_change``): each problem by the field it is about,
    including a rule shorter than Keeping Children Safe in Education allows for substantiated,
    unsubstantiated and unfounded allegations (``lado.clocks.retention_rule_problems``)."""
    errors = {}
    if years is None:
        errors["years"] = "Enter how many years the case is kept before its review"
    elif not 1 <= years <= 100:
        errors["years"] = "Years must be between 1 and 100"
    if counted_from not in RetentionRule.CountedFrom.values:
        errors["counted_from"] = "Choose whether the years count from the allegation or from closing"
    if until_retirement and retirement_age is None:
        errors["retirement_age"] = "Enter the normal pension age"
    elif retirement_age is not None and not 55 <= retirement_age <= 75:
        errors["retirement_age"] = "The normal pension age must be between 55 and 75"
    statutory = clocks.retention_rule_problems(closure=closure, years=years, counted_from=counted_from,
                                               until_retirement=until_retirement, retirement_age=retirement_age)
    for name, message in statutory.items():
        errors.setdefault(name, message)
    return errors


@transaction.atomic
def retention_rule_change(*, rule: RetentionRule, actor: User, years: int, until_retirement: bool,
                          retirement_age: int | None, note: str = "", reason: str,
                          counted_from: str | None = None) -> RetentionRuleChange:
    """The DO Manager changes how long cases closed one way are kept: the rule, then every
    closed case under it gets its new review date (on its timeline), and the change is
    recorded with who made it and why. A rule shorter than the statutory minimum is refused."""
    require_do_manager(actor)
    rule = RetentionRule.objects.select_for_update().get(pk=rule.pk)
    counted_from = counted_from or rule.counted_from
    errors = check_retention_rule(closure=rule.closure, years=years, until_retirement=until_retirement,
                                  retirement_age=retirement_age, counted_from=counted_from)
    if not (reason or "").strip():
        errors["reason"] = "Enter the reason for changing the rule"
    if errors:
        raise ValidationError(errors)
    before = str(rule)
    rule.years = years
    rule.counted_from = counted_from
    rule.until_retirement = until_retirement
    if retirement_age is not None:
        rule.retirement_age = retirement_age
    rule.note = (note or "").strip()
    rule.save()
    changed = apply_retention_rule(rule, actor=actor, reason=reason)
    return RetentionRuleChange.objects.create(rule=rule, actor=actor, before=before, after=str(rule),
                                              reason=reason.strip(), cases_changed=changed)


@transaction.atomic
def category_retention_change(*, category: Category, actor: User, years: int | None, note: str = "",
                              reason: str) -> RetentionRuleChange:
    """The DO Manager gives a category of allegation (for example sexual abuse) a longer period,
    changes it, or removes it (``years`` None): its substantiated, unsubstantiated and unfounded
    cases get their new review dates (on their timelines), and the change is recorded."""
    require_do_manager(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    errors = clocks.category_retention_problems(years)
    if not (reason or "").strip():
        errors["reason"] = "Enter the reason for changing the rule"
    if errors:
        raise ValidationError(errors)
    current = CategoryRetention.objects.filter(category=category).first()
    before = describe_category_retention(category, current.years if current else None)
    if years is None:
        if current is not None:
            current.delete()
    else:
        CategoryRetention.objects.update_or_create(category=category,
                                                   defaults={"years": years, "note": (note or "").strip()})
    after = describe_category_retention(category, years)
    closed = Enquiry.objects.filter(status=Status.CONCLUDED, outcome__in=clocks.STATUTORY_CLOSURES,
                                    category=category)
    changed = _recalculate_retention(closed, actor, reason, after)
    return RetentionRuleChange.objects.create(category=category, actor=actor, before=before, after=after,
                                              reason=reason.strip(), cases_changed=changed)


# --- The calendar changed -------------------------------------------------------------------


def _recount_enquiry(enquiry: Enquiry, before, after) -> list[str]:
    """Count a locked open case's working-day deadlines again after the calendar changed: the
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
    DO cases that run over it, each change on the case's timeline with who changed the
    calendar. Returns how many cases moved."""
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
        enquiry = _lock(Enquiry(pk=pk))
        changes = _recount_enquiry(enquiry, before, after)
        if not changes:
            continue
        note = f"{what}: " + "; ".join(changes) + "."
        save_with_history(enquiry, actor, "Deadlines recalculated")
        _record(enquiry, actor, Event.DEADLINES_RECALCULATED, note=note, from_stage=enquiry.status,
                to_stage=enquiry.status)
        count += 1
    return count


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
    perform(EnquiryFlow(enquiry), "destroy", actor, refusal=refusal_for(enquiry, "destroy"))
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
