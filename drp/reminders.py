"""The DRP's deadlines, registered with the reminder sweep in ``workflows``.

- a stage response due within 5 working days: the addressee (and, at every phase, a colleague
  covering for them);
- due today: the addressee and the IRO;
- overdue: the addressee, their manager, the IRO and the IRO Manager, prompting the next step
  (escalation, or at the top of the ladder Cafcass, a complaint or advocacy);
- the overall time limit breached: the IRO and the IRO Manager;
- the IRO's review of a response due within 2 working days, or today: the IRO; overdue: the
  IRO and the IRO Manager (an answered DRP never waits unseen);
- an agreed-by date passed: the IRO, to check that what was agreed happened;
- an agreed action due within 2 working days: its owner; due today or overdue: its owner and
  the IRO (a partner agency's contact by email, since they are not users), until it is marked
  done or not done, even after the DRP is resolved with its actions kept open.

Each ``remind_*`` takes a whole batch of due rows: the people to tell are looked up together
(line managers in one query, IRO Managers once), and ``notify_many`` writes every notification
in one insert, so a sweep costs the same few statements for one reminder or ten thousand.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q
from django.urls import reverse

from notifications.services import Message, notify_many
from people.selectors import line_managers_of
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, DeadlineKind, register

from . import clocks
from .models import AgreedAction, DisputeResolution, StageRecord
from .notifications import (
    agency_action_message,
    agency_stage_message,
    iro_managers,
    message_context,
    next_step,
    top_stage_order,
)
from .selectors import colleagues_covering

HEADLINES = {
    DUE_SOON: "{stage} response due {due:%A %-d %B}",
    DUE_TODAY: "{stage} response due today",
    OVERDUE: "{stage} response overdue since {due:%-d %B %Y}",
}
REVIEW_HEADLINES = {
    DUE_SOON: "your review of the response is due {due:%A %-d %B}",
    DUE_TODAY: "your review of the response is due today",
    OVERDUE: "the IRO's review of the response is overdue since {due:%-d %B %Y}",
}


def detail_links() -> Callable[[int], str]:
    """The DRP page's address for any id, from one ``reverse()`` for a whole batch (the
    sweep links thousands of reminders): the same text ``reverse("drp:detail")`` gives."""
    marker = 987654321
    parts = reverse("drp:detail", args=[marker]).split(str(marker))
    if len(parts) != 2:
        return lambda pk: reverse("drp:detail", args=[pk])
    head, tail = parts
    return lambda pk: f"{head}{pk}{tail}"


def _message(links, drp: DisputeResolution, recipients: list, headline: str, detail: str,
             prompt: str = "") -> Message:
    return Message(recipients=recipients, kind="drp-reminder", link=links(drp.pk),
                   context=message_context(drp, headline=headline, detail=detail, prompt=prompt))


def _send(messages: dict[int, Message], to_contacts: dict[int, Message] | None = None) -> dict[int, list[str]]:
    """Notify every message at once, with the partner agency contacts' emails
    (``to_contacts``, told as ``contact:<agency slug>``); {row pk: who was told}."""
    to_contacts = to_contacts or {}
    notify_many([*messages.values(), *to_contacts.values()], instances=False)
    told = {pk: {user.username for user in message.recipients if user is not None and user.is_active}
            for pk, message in messages.items()}
    for pk, message in to_contacts.items():
        told.setdefault(pk, set()).add(f"contact:{message.context['contact'].agency.slug}")
    return {pk: sorted(names) for pk, names in told.items()}


def remind_stage(records: list[StageRecord], phase: str) -> dict[int, list[str]]:
    links = detail_links()
    managers = line_managers_of([r.addressee for r in records]) if phase == OVERDUE else {}
    extra = iro_managers() if phase == OVERDUE else []
    top = top_stage_order() if phase == OVERDUE else None
    # Reminders go to the absent addressee and to the colleague covering for them.
    covering = colleagues_covering([r.addressee_id for r in records])
    messages = {}
    to_contacts = {}
    for record in records:
        drp, due = record.drp, record.due_date
        recipients = [record.addressee, *covering.get(record.addressee_id, [])]
        prompt = ""
        if phase in (DUE_TODAY, OVERDUE) or record.addressee_contact_id:
            # A partner agency's contact is emailed; the IRO, who records their answer, is told.
            recipients.append(drp.iro)
        if phase == OVERDUE:
            recipients += [managers.get(record.addressee_id), *extra]
            prompt = f"No response has been recorded in time. The IRO should consider {next_step(drp, top)}."
        headline = HEADLINES[phase].format(stage=record.stage.name, due=due)
        detail = f"The response at {record.stage.name} is due by {due:%A %-d %B %Y}."
        messages[record.pk] = _message(links, drp, recipients, headline, detail, prompt)
        if (contact_message := agency_stage_message(record, headline=headline)) is not None:
            to_contacts[record.pk] = contact_message
    return _send(messages, to_contacts)


def remind_overall(drps: list[DisputeResolution], phase: str) -> dict[int, list[str]]:
    links = detail_links()
    managers, top = iro_managers(), top_stage_order()
    messages = {}
    for drp in drps:
        due = drp.overall_due_date
        messages[drp.pk] = _message(
            links, drp, [drp.iro, *managers], f"overall time limit passed on {due:%-d %B %Y}",
            f"The DRP should have concluded within {clocks.timescale_description()}, by {due:%-d %B %Y}.",
            f"Resolve the DRP if the issue has been addressed; if not, consider {next_step(drp, top)}.")
    return _send(messages)


def remind_review(drps: list[DisputeResolution], phase: str) -> dict[int, list[str]]:
    links = detail_links()
    managers = iro_managers() if phase == OVERDUE else []
    top = top_stage_order()
    messages = {}
    for drp in drps:
        due = drp.review_due_date
        messages[drp.pk] = _message(
            links, drp, [drp.iro, *managers], REVIEW_HEADLINES[phase].format(due=due),
            f"A response was recorded at {drp.stage.name}. The IRO resolves the DRP or takes the "
            f"next step by {due:%A %-d %B %Y}.",
            f"Resolve the DRP if the response is enough; if not, consider {next_step(drp, top)}.")
    return _send(messages)


def remind_agreed_by(records: list[StageRecord], phase: str) -> dict[int, list[str]]:
    links = detail_links()
    top = top_stage_order()
    messages = {}
    for record in records:
        drp, due = record.drp, record.agreed_by
        prompt = "" if not drp.is_open else f"If they have not happened, consider {next_step(drp, top)}."
        messages[record.pk] = _message(
            links, drp, [drp.iro], f"check the actions agreed by {due:%-d %B %Y} happened",
            f"At {record.stage.name} the response agreed actions by {due:%A %-d %B %Y}. Check with "
            "the social worker that they happened, and record it on the DRP.", prompt)
    return _send(messages)


ACTION_HEADLINES = {
    DUE_SOON: "agreed action due {due:%A %-d %B}",
    DUE_TODAY: "agreed action due today",
    OVERDUE: "agreed action overdue since {due:%-d %B %Y}",
}


def remind_action(actions: list[AgreedAction], phase: str) -> dict[int, list[str]]:
    """The owner at every phase; the IRO too once it is due. A partner agency's contact is
    emailed (told: ``contact:<agency slug>``)."""
    links = detail_links()
    messages, to_contacts = {}, {}
    for action in actions:
        drp, due = action.drp, action.due_on
        headline = ACTION_HEADLINES[phase].format(due=due)
        recipients = [action.owner] + ([drp.raised_by] if phase in (DUE_TODAY, OVERDUE) else [])
        detail = (f"The action owned by {action.owner_name}, agreed at {action.stage.name} on "
                  f"{action.agreed_on:%-d %B %Y}, is due by {due:%A %-d %B %Y}.")
        prompt = "Record on the DRP whether it was done." if phase != DUE_SOON else ""
        messages[action.pk] = _message(links, drp, recipients, headline, detail, prompt)
        if (contact_message := agency_action_message(action, "drp-agency-reminder", headline=headline)) is not None:
            to_contacts[action.pk] = contact_message
    return _send(messages, to_contacts)


#: The people and stages every DRP reminder's message reads: a few, shared by thousands of
#: due rows, so looked up once per batch (``attach_shared``) rather than joined to each row.
_DRP_SHARED = ("drp__iro", "drp__raised_by", "drp__stage", "drp__addressee")


def register_deadlines() -> None:
    register(DeadlineKind(
        name="drp-stage", model=StageRecord, due_field="due_date",
        running=Q(ended_on__isnull=True, responded_on__isnull=True,
                  drp__status=DisputeResolution.Status.AWAITING_RESPONSE),
        phases=(DUE_SOON, DUE_TODAY, OVERDUE), remind=remind_stage,
        select_related=("drp", "addressee_contact__agency"),
        shared_related=(*_DRP_SHARED, "stage", "addressee"),
    ))
    register(DeadlineKind(
        name="drp-overall", model=DisputeResolution, due_field="overall_due_date",
        running=Q(status__in=DisputeResolution.OPEN_STATUSES, overall_due_date__isnull=False),
        phases=(OVERDUE,), remind=remind_overall,
        shared_related=("iro", "stage", "addressee"),
    ))
    register(DeadlineKind(
        name="drp-review", model=DisputeResolution, due_field="review_due_date",
        running=Q(status=DisputeResolution.Status.AWAITING_REVIEW, review_due_date__isnull=False),
        phases=(DUE_SOON, DUE_TODAY, OVERDUE), remind=remind_review, soon_working_days=2,
        shared_related=("iro", "stage", "addressee"),
    ))
    register(DeadlineKind(
        name="drp-agreed-by", model=StageRecord, due_field="agreed_by",
        running=Q(agreed_by__isnull=False) & ~Q(drp__status=DisputeResolution.Status.WITHDRAWN),
        phases=(OVERDUE,), remind=remind_agreed_by,
        select_related=("drp",), shared_related=(*_DRP_SHARED, "stage"),
    ))
    register(DeadlineKind(
        name="drp-action", model=AgreedAction, due_field="due_on",
        running=Q(status=AgreedAction.Status.OPEN), phases=(DUE_SOON, DUE_TODAY, OVERDUE),
        remind=remind_action, soon_working_days=2,
        select_related=("drp", "owner_contact__agency"), shared_related=(*_DRP_SHARED, "stage", "owner"),
    ))
