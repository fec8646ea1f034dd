"""Agreed actions on a DRP and partner agencies (issue 16): each action's what, owner (a
person in Footprint, or a partner agency's contact) and by when, with its own clock; marked
done or not done; what a resolution does with the open ones. A stage addressed to a partner
agency says what is asked. Text a partner agency is emailed never names the child.

Each write: one transaction that locks the row, checks state (409) and permission (403) before
the input (400), and appends one timeline event; ``drp.services`` uses the helpers here."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from people.models import User
from workflows.calendar import get_calendar
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.history import save_with_history
from workflows.locks import lock
from workflows.timeline import record_event
from workflows.validation import blank_text_errors

from . import access, notifications
from .flows import DisputeResolutionFlow, is_addressee
from .models import AgencyContact, AgreedAction, DisputeResolution, StageRecord, TimelineEvent
from .stages import lock_drp

Action = TimelineEvent.Action


def agency_errors(children, contact: AgencyContact | None, asked: str) -> dict[str, str]:
    """A stage addressed to a partner agency says what is asked (emailed: no child's name)."""
    if contact is None:
        return {"asked": "Only a stage addressed to a partner agency contact says what is asked."} \
            if (asked or "").strip() else {}
    if not contact.active:
        return {"agency_contact": f"{contact} is no longer an active contact."}
    if not (asked or "").strip():
        return {"asked": f"Say what {contact.agency.name} is asked to do."}
    named = _names_in(children, asked)
    if named:
        return {"asked": f"This is emailed to {contact.agency.name}: leave out the child's name or reference "
                         f"({named}); the contact is told the DRP's reference."}
    return {}


def asked_note(record: StageRecord) -> str:
    if record.addressee_contact is None:
        return ""
    return f"\n\nAddressed to {record.addressee_contact} by email: {record.asked}"


#: What happens to a DRP's open agreed actions when it is resolved.
KEEP_OPEN = "keep-open"
CLOSE_NOT_DONE = "not-done"
OPEN_ACTION_CHOICES = {KEEP_OPEN: "They stay open, with their reminders, until marked done or not done",
                       CLOSE_NOT_DONE: "They are recorded as not done today"}


def open_actions_refusal(drp: DisputeResolution, open_actions: list[AgreedAction]) -> str:
    """The 409 sentence naming the open actions a resolution must decide about."""
    listed = "; ".join(f"“{a.what[:80]}” ({a.owner_name}, by {a.due_on:%-d %B %Y})" for a in open_actions)
    return (f"{drp.reference} has {len(open_actions)} open agreed action"
            f"{'' if len(open_actions) == 1 else 's'}: {listed}. Say whether they stay open "
            f"(open_actions: {KEEP_OPEN}) or are recorded as not done ({CLOSE_NOT_DONE}).")


# --- Agreed actions --------------------------------------------------------------------------

#: A "by when" further ahead than this is a typing mistake, not a plan.
ACTION_MAX_DAYS = 366


def action_due_on(day: date) -> date:
    """An action's deadline: the day given, or the next working day when it is not one (its
    reminders, like every clock's, fall on working days)."""
    calendar = get_calendar()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def _names_a_child(drp: DisputeResolution, text: str) -> str | None:
    return _names_in(drp.children.all(), text)


def _names_in(children, text: str) -> str | None:
    """The child's name or reference found in ``text`` (which will leave the authority by
    email to a partner agency), or None."""
    lowered = (text or "").lower()
    for child in children:
        for word in (child.name, *child.name.split()[:1], child.reference):
            if word and len(word) > 2 and word.lower() in lowered:
                return word
    return None


def action_errors(drp: DisputeResolution, *, on: date, what: str = "", due_on: date | None = None,
                   owner: User | None = None, owner_contact: AgencyContact | None = None) -> dict[str, str]:
    errors = blank_text_errors(what=what)
    if due_on is None:
        errors["due_on"] = "Enter the date the action is to be done by."
    elif not on <= due_on <= on + timedelta(days=ACTION_MAX_DAYS):
        errors["due_on"] = "The date the action is to be done by must be today or later, and within a year."
    if (owner is None) == (owner_contact is None):
        errors["owner"] = "Choose who owns the action: a person in Footprint or a partner agency contact."
    elif owner is not None and not owner.is_active:
        errors["owner"] = f"{owner} can no longer sign in: choose someone else."
    elif owner_contact is not None and not owner_contact.active:
        errors["owner_contact"] = f"{owner_contact} is no longer an active contact."
    elif owner_contact is not None and "what" not in errors:
        named = _names_a_child(drp, what)
        if named:
            errors["what"] = (f"This is emailed to {owner_contact.agency.name}: leave out the child's name "
                              f"or reference ({named}); the contact is told the DRP's reference.")
    return errors


def agree_action(drp: DisputeResolution, actor: User, *, on: date, what: str, due_on: date,
                  owner: User | None = None, owner_contact: AgencyContact | None = None) -> AgreedAction:
    """Record one checked action on a locked DRP, with its timeline event and messages."""
    action = AgreedAction(drp=drp, stage=drp.stage, what=what.strip(), owner=owner, owner_contact=owner_contact,
                          agreed_on=on, due_on=action_due_on(due_on), recorded_by=actor)
    save_with_history(action, actor, "Action agreed")
    moved = "" if action.due_on == due_on else f" (the next working day after {due_on:%-d %B})"
    record_event(drp, actor, Action.ACTION_AGREED, from_stage=drp.stage.key, to_stage=drp.stage.key,
            note=f"{action.what}\n\nOwner: {action.owner_name}. By {action.due_on:%A %-d %B %Y}{moved}.")
    notifications.action_agreed(action, actor)
    return action


def closed_refusal(drp: DisputeResolution) -> str:
    """The 409 sentence for an action agreed on a closed DRP."""
    return f"{drp.reference} is {drp.get_status_display().lower()}, so no more actions can be agreed on it."


def may_agree_actions(drp: DisputeResolution, user: User) -> bool:
    """The IROs and managers who challenge, and whoever the DRP is addressed to now."""
    return access.can_raise_drp(user) or is_addressee(DisputeResolutionFlow(drp), user)


@transaction.atomic
def drp_agree_action(*, drp: DisputeResolution, actor: User, what: str, due_on: date | None,
                     owner: User | None = None, owner_contact: AgencyContact | None = None) -> AgreedAction:
    """An action agreed while the DRP is open (at a response, a meeting, a review): what, who
    owns it and by when. Its owner (emailed, for a partner agency's contact) and the IRO are
    reminded before, on and after the date."""
    drp = lock_drp(drp)
    if not drp.is_open:
        raise TransitionRefused(closed_refusal(drp))
    if not may_agree_actions(drp, actor):
        raise PermissionDenied("Only the IRO, the IRO Manager or the person the DRP is addressed to "
                               "can record an agreed action.")
    on = today()
    errors = action_errors(drp, on=on, what=what, due_on=due_on, owner=owner, owner_contact=owner_contact)
    if errors:
        raise ValidationError(errors)
    return agree_action(drp, actor, on=on, what=what, due_on=due_on, owner=owner, owner_contact=owner_contact)


def finish_action(action: AgreedAction, actor: User, *, done: bool, on: date, note: str) -> None:
    action.status = AgreedAction.Status.DONE if done else AgreedAction.Status.NOT_DONE
    action.completed_on = on
    action.note = note
    save_with_history(action, actor, "Done" if done else "Not done")
    drp = action.drp
    record_event(drp, actor, Action.ACTION_DONE if done else Action.ACTION_NOT_DONE,
            from_stage=drp.stage.key, to_stage=drp.stage.key,
            note=f"{action.what}\n\n{'Done' if done else 'Not done'} on {on:%-d %B %Y} ({action.owner_name})."
                 + (f"\n\n{note}" if note else ""))


def may_record_action(action: AgreedAction, user: User) -> bool:
    """The IROs and managers who challenge, and the action's owner."""
    return access.can_raise_drp(user) or (action.owner_id is not None and action.owner_id == user.pk)


@transaction.atomic
def drp_record_action(*, action: AgreedAction, actor: User, done: bool | None, on: date | None = None,
                      note: str = "") -> AgreedAction:
    """Mark an agreed action done or not done, with the date (today unless given). The IRO
    records a partner agency's answer; a person who owns an action records their own. The DRP
    may have been resolved meanwhile with its actions kept open."""
    lock(AgreedAction.objects.all(), action.pk)
    action = AgreedAction.objects.select_related("drp__stage", "owner", "owner_contact__agency").get(pk=action.pk)
    if not action.is_open:
        raise TransitionRefused(f"This action on {action.drp.reference} is already recorded as "
                                f"{action.get_status_display().lower()}.")
    if not may_record_action(action, actor):
        raise PermissionDenied("Only the IRO, the IRO Manager or the action's owner can record what happened.")
    on = on or today()
    errors = {}
    if done is None:
        errors["done"] = "Say whether the action was done."
    if on > today():
        errors["on"] = "The date must be today or in the past."
    elif on < action.agreed_on:
        errors["on"] = f"The date cannot be before the action was agreed ({action.agreed_on:%-d %B %Y})."
    note = (note or "").strip()
    if done is False and not note:
        errors["note"] = "Say why the action was not done."
    if errors:
        raise ValidationError(errors)
    finish_action(action, actor, done=done, on=on, note=note)
    return action
