"""Logging and correcting an enquiry, and its threshold decision."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from children.models import Child
from people import roles
from people.models import User
from workflows.clocks import now as clock_now
from workflows.clocks import today
from workflows.history import save_with_history
from workflows.models import ReferenceSequence
from workflows.timeline import record_event
from workflows.transitions import perform

from .. import clocks
from ..flows import EnquiryFlow
from ..models import (
    Category,
    EmploymentBasis,
    Enquiry,
    ReferralSource,
    SchoolPhase,
    Sector,
    SettingType,
)
from .base import (
    CODED_FIELDS,
    DETAIL_FIELDS,
    RECORD_FIELDS,
    TEXT_FIELDS,
    Event,
    Status,
    close_enquiry,
    lock_enquiry,
    long_date,
    received_date,
    require_do_team,
    set_clocks,
)

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
    if enquiry.school_phase_id is not None and not (enquiry.setting and enquiry.setting.asks_school_phase):
        errors["school_phase"] = "Give a school phase only for an education setting: choose the setting first."
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
    school_phase: SchoolPhase | None = None,
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
        referral_source=referral_source, sector=sector, setting=setting, school_phase=school_phase,
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
    record_event(enquiry, actor, Event.LOGGED, note=enquiry.summary, to_status=enquiry.status)
    return enquiry


@transaction.atomic
def enquiry_update(*, enquiry: Enquiry, actor: User, **changes) -> Enquiry:
    """Correct or complete an open enquiry's details (subject, children, vocabularies ...)."""
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"Not a detail of an enquiry: {', '.join(sorted(unknown))}")
    enquiry = lock_enquiry(enquiry)
    perform(EnquiryFlow(enquiry), "update_details", actor)
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
    record_event(enquiry, actor, Event.UPDATED, note=note, from_status=enquiry.status, to_status=enquiry.status)
    return enquiry


# --- Threshold decision ---------------------------------------------------------------------


@transaction.atomic
def enquiry_decide(
    *, enquiry: Enquiry, actor: User, threshold_met: bool, criteria: Iterable[str], rationale: str,
    advice: str = "",
) -> Enquiry:
    """The harm test. Met (at least one criterion applies): an allegation management meeting
    follows. Not met (none applies): advice and guidance is recorded and the enquiry closes."""
    enquiry = lock_enquiry(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "meet_threshold" if threshold_met else "give_advice", actor)
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
        close_enquiry(enquiry, on)
        reason = "Threshold not met: advice given"
        note = rationale + (f"\n\nAdvice given: {advice}" if advice else "")
        action = Event.ADVICE_GIVEN
    save_with_history(enquiry, actor, reason)
    record_event(enquiry, actor, action, note=note, from_status=from_status, to_status=enquiry.status)
    return enquiry


