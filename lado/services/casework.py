"""Meetings and actions while a case is open, and closing it: concluded (with or without a
meeting) or cancelled."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from people.models import User
from workflows.clocks import today
from workflows.history import save_with_history
from workflows.timeline import record_event
from workflows.transitions import perform
from workflows.validation import require_text

from ..flows import EnquiryFlow
from ..models import (
    Action,
    Enquiry,
    Meeting,
)
from .base import Event, _close, _lock, long_date

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
    perform(EnquiryFlow(enquiry), "hold_meeting", actor)
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
    record_event(enquiry, actor, Event.MEETING_HELD, note=note, from_status=from_status, to_status=enquiry.status)
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
    perform(EnquiryFlow(enquiry), "add_action", actor)
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
    record_event(enquiry, actor, Event.ACTION_ADDED, note=note + ".", from_status=enquiry.status,
            to_status=enquiry.status)
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
    perform(EnquiryFlow(enquiry), "update_action", actor)
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
    record_event(enquiry, actor, Event.ACTION_UPDATED, note=note, from_status=enquiry.status,
            to_status=enquiry.status)
    return action


# --- Closing --------------------------------------------------------------------------------


@transaction.atomic
def enquiry_conclude(
    *, enquiry: Enquiry, actor: User, outcome: str, concluded_on: date | None = None, note: str = "",
) -> Enquiry:
    """Record the outcome (Keeping Children Safe in Education Part 4 definitions)."""
    enquiry = _lock(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "conclude", actor)
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
    record_event(enquiry, actor, Event.CONCLUDED, note=text, from_status=from_status, to_status=enquiry.status)
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
    perform(EnquiryFlow(enquiry), "conclude_without_meeting", actor)
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
    record_event(enquiry, actor, Event.CONCLUDED_WITHOUT_MEETING,
            note=f"Outcome: {label}, without an allegation management meeting.\n\n{reason}",
            from_status=from_status, to_status=enquiry.status)
    return enquiry


@transaction.atomic
def enquiry_cancel(*, enquiry: Enquiry, actor: User, reason: str) -> Enquiry:
    """Withdrawn before an outcome (a local closure code beside the national outcomes)."""
    enquiry = _lock(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "cancel", actor)
    require_text(reason=reason)
    enquiry.cancel_reason = reason.strip()
    _close(enquiry, today())
    save_with_history(enquiry, actor, f"Cancelled: {enquiry.cancel_reason}")
    record_event(enquiry, actor, Event.CANCELLED, note=enquiry.cancel_reason, from_status=from_status,
            to_status=enquiry.status)
    return enquiry


