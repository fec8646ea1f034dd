"""The DRP's deadlines, registered with the reminder sweep in ``workflows``.

- a stage response due within 5 working days: the addressee;
- due today: the addressee and the IRO;
- overdue: the addressee, their manager, the IRO and the IRO Manager, prompting escalation;
- the overall formal time limit breached: the IRO and the IRO Manager.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.urls import reverse

from notifications.services import notify
from people.selectors import line_manager_of
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, DeadlineKind, register

from .models import DisputeResolution, StageRecord
from .notifications import _context, iro_managers

HEADLINES = {
    DUE_SOON: "{stage} response due {due:%A %-d %B}",
    DUE_TODAY: "{stage} response due today",
    OVERDUE: "{stage} response overdue since {due:%-d %B %Y}",
}


def _send(drp: DisputeResolution, recipients: list, headline: str, detail: str, prompt: str = "") -> list[str]:
    sent = notify(recipients=recipients, kind="drp-reminder", link=reverse("drp:detail", args=[drp.pk]),
                  context=_context(drp, headline=headline, detail=detail, prompt=prompt))
    return [notification.recipient.username for notification in sent]


def remind_stage(record: StageRecord, phase: str, due: date) -> list[str]:
    drp = record.drp
    addressee = record.addressee
    recipients = [addressee]
    prompt = ""
    if phase in (DUE_TODAY, OVERDUE):
        recipients.append(drp.raised_by)
    if phase == OVERDUE:
        recipients += [line_manager_of(addressee), *iro_managers()]
        prompt = "No response has been recorded in time. The IRO should consider escalating the DRP."
    headline = HEADLINES[phase].format(stage=record.stage.name, due=due)
    detail = f"The response at {record.stage.name} is due by {due:%A %-d %B %Y}."
    return _send(drp, recipients, headline, detail, prompt)


def remind_overall(drp: DisputeResolution, phase: str, due: date) -> list[str]:
    headline = f"overall formal time limit passed on {due:%-d %B %Y}"
    detail = (f"The formal process began on {drp.formal_started_on:%-d %B %Y} and should have concluded "
              f"within the overall limit by {due:%-d %B %Y}.")
    return _send(drp, [drp.raised_by, *iro_managers()], headline, detail,
                 "Consider escalating, or resolving the DRP if the issue has been addressed.")


def register_deadlines() -> None:
    register(DeadlineKind(
        name="drp-stage", model=StageRecord, due_field="due_date",
        running=Q(ended_on__isnull=True, responded_on__isnull=True,
                  drp__status=DisputeResolution.Status.AWAITING_RESPONSE),
        phases=(DUE_SOON, DUE_TODAY, OVERDUE), remind=remind_stage,
        select_related=("drp", "stage", "addressee", "drp__raised_by", "drp__stage", "drp__addressee"),
    ))
    register(DeadlineKind(
        name="drp-overall", model=DisputeResolution, due_field="overall_due_date",
        running=Q(status__in=DisputeResolution.OPEN_STATUSES, overall_due_date__isnull=False),
        phases=(OVERDUE,), remind=remind_overall,
        select_related=("raised_by", "stage", "addressee"),
    ))
