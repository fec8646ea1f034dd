"""Meetings and actions while an enquiry is open, and closing it: concluded (with or without a
meeting) or cancelled."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from people.models import User
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
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
from .base import Event, close_enquiry, lock_enquiry, long_date

# --- Meetings and actions -------------------------------------------------------------------


def _refresh_next_review(enquiry: Enquiry) -> None:
    latest = enquiry.meetings.order_by("-held_on", "-id").first()
    enquiry.next_review_on = latest.next_review_on if latest else None


@transaction.atomic
def enquiry_record_meeting(
    *, enquiry: Enquiry, actor: User, kind: str, held_on: date, attendees: str, decisions: str,
    minutes: str = "", next_review_on: date | None = None,
) -> Meeting:
    """An allegation management meeting was held; the first one starts the enquiry in progress."""
    enquiry = lock_enquiry(enquiry)
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
    enquiry = lock_enquiry(enquiry)
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
    enquiry = lock_enquiry(action.enquiry)
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


def open_actions_of(enquiry: Enquiry) -> list[Action]:
    """Actions neither done nor settled: what a conclusion must say something about."""
    return list(enquiry.actions.filter(done_on__isnull=True, at_closure="").order_by("recorded_at", "id"))


def _settle_open_actions(enquiry: Enquiry, actions: list[dict] | None, errors: dict) -> list[tuple]:
    """An enquiry is not concluded with open actions nobody has answered for: each is confirmed
    done, not done, or carrying on after closure with a named owner. Unconfirmed ones are a 409
    naming them; a confirmation missing its owner or naming no open action is a 400 on
    ``actions``. Returns (action, decision, owner) to apply once every check has passed."""
    open_now = open_actions_of(enquiry)
    given = {}
    for item in actions or []:
        try:
            given[int(item.get("id"))] = item
        except (TypeError, ValueError):
            errors["actions"] = "Each action confirmed needs the id of an open action."
    unknown = set(given) - {action.pk for action in open_now}
    if unknown:
        errors["actions"] = (f"Not an open action of {enquiry.reference}: "
                             f"{', '.join(str(pk) for pk in sorted(unknown))}.")
    missing = [action for action in open_now if action.pk not in given]
    if missing:
        names = "; ".join(f"{action.description} (owned by {action.owner})" for action in missing)
        raise TransitionRefused(
            f"{enquiry.reference} has {len(missing)} open action{'s' if len(missing) != 1 else ''}: {names}. "
            "Confirm for each whether it was done, not done, or carries on after the enquiry closes "
            "(with its owner) before concluding.")
    settled = []
    for action in open_now:
        item = given[action.pk]
        decision, owner = item.get("decision"), (item.get("owner") or "").strip()
        if decision not in Action.AtClosure.values:
            errors[f"action_{action.pk}"] = f"Select what happens to {action.description}."
        elif decision == Action.AtClosure.CARRIES_ON and not owner:
            errors[f"action_{action.pk}_owner"] = f"Name who owns {action.description} after the enquiry closes."
        settled.append((action, decision, owner))
    return settled


def _apply_settlement(actor: User, settled: list[tuple], on: date) -> str:
    """Write each open action's fate; the sentence the conclusion's timeline entry adds."""
    parts = []
    for action, decision, owner in settled:
        action.at_closure = decision
        if decision == Action.AtClosure.DONE:
            action.done_on = on
            parts.append(f"{action.description}: done")
        elif decision == Action.AtClosure.NOT_DONE:
            parts.append(f"{action.description}: not done")
        else:
            action.owner_name = owner
            parts.append(f"{action.description}: carries on after the enquiry closes, owned by {action.owner}")
        save_with_history(action, actor, f"At the conclusion: {action.get_at_closure_display().lower()}")
    return ("\n\nOpen actions at the conclusion: " + "; ".join(parts) + ".") if parts else ""


@transaction.atomic
def enquiry_conclude(
    *, enquiry: Enquiry, actor: User, outcome: str, concluded_on: date | None = None, note: str = "",
    actions: list[dict] | None = None,
) -> Enquiry:
    """Record the outcome (Keeping Children Safe in Education Part 4 definitions). Each open
    action is confirmed done, not done, or carrying on with an owner (``actions``: a list of
    {id, decision, owner})."""
    enquiry = lock_enquiry(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "conclude", actor)
    concluded_on = concluded_on or today()
    errors = {}
    settled = _settle_open_actions(enquiry, actions, errors)
    if outcome not in Enquiry.Outcome.values:
        errors["outcome"] = "Choose the outcome."
    if concluded_on > today():
        errors["concluded_on"] = "The date concluded must be today or in the past."
    elif concluded_on < enquiry.received_on:
        errors["concluded_on"] = "The date concluded cannot be before the enquiry was received."
    if errors:
        raise ValidationError(errors)
    enquiry.outcome = outcome
    close_enquiry(enquiry, concluded_on)
    label = enquiry.get_outcome_display()
    save_with_history(enquiry, actor, f"Concluded: {label}")
    text = f"Outcome: {label}." + (f"\n\n{note.strip()}" if (note or "").strip() else "")
    text += _apply_settlement(actor, settled, concluded_on)
    record_event(enquiry, actor, Event.CONCLUDED, note=text, from_status=from_status, to_status=enquiry.status)
    return enquiry


#: Outcomes that may be recorded without an allegation management meeting (KCSIE Part 4: an
#: allegation that is clearly unfounded or malicious may be concluded without one).
WITHOUT_MEETING_OUTCOMES = (Enquiry.Outcome.UNFOUNDED, Enquiry.Outcome.MALICIOUS)


@transaction.atomic
def enquiry_conclude_without_meeting(
    *, enquiry: Enquiry, actor: User, outcome: str, reason: str, concluded_on: date | None = None,
    actions: list[dict] | None = None,
) -> Enquiry:
    """Conclude a clearly unfounded or malicious allegation without an allegation management
    meeting, saying why: only while no meeting has been held (409 otherwise), only for those two
    outcomes (400 on ``outcome``), and never without a reason (400 on ``reason``)."""
    enquiry = lock_enquiry(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "conclude_without_meeting", actor)
    concluded_on = concluded_on or today()
    reason = (reason or "").strip()
    errors = {}
    settled = _settle_open_actions(enquiry, actions, errors)
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
    close_enquiry(enquiry, concluded_on)
    label = enquiry.get_outcome_display()
    save_with_history(enquiry, actor, f"Concluded without a meeting: {label}")
    record_event(enquiry, actor, Event.CONCLUDED_WITHOUT_MEETING,
                 note=f"Outcome: {label}, without an allegation management meeting.\n\n{reason}"
                      + _apply_settlement(actor, settled, concluded_on),
                 from_status=from_status, to_status=enquiry.status)
    return enquiry


@transaction.atomic
def enquiry_cancel(*, enquiry: Enquiry, actor: User, reason: str) -> Enquiry:
    """Withdrawn before an outcome (a local closure code beside the national outcomes)."""
    enquiry = lock_enquiry(enquiry)
    from_status = enquiry.status
    perform(EnquiryFlow(enquiry), "cancel", actor)
    require_text(reason=reason)
    enquiry.cancel_reason = reason.strip()
    close_enquiry(enquiry, today())
    save_with_history(enquiry, actor, f"Cancelled: {enquiry.cancel_reason}")
    record_event(enquiry, actor, Event.CANCELLED, note=enquiry.cancel_reason, from_status=from_status,
            to_status=enquiry.status)
    return enquiry


