"""The DRP's deadlines, registered with the reminder sweep in ``workflows``.

- a stage response due within 5 working days: the addressee;
- due today: the addressee and the IRO;
- overdue: the addressee, their manager, the IRO and the IRO Manager, prompting the next step
  (escalation, or at the top of the ladder Cafcass, a complaint or advocacy);
- the overall time limit breached: the IRO and the IRO Manager;
- the IRO's review of a response due within 2 working days, or today: the IRO; overdue: the
  IRO and the IRO Manager (an answered DRP never waits unseen);
- an agreed-by date passed: the IRO, to check that what was agreed happened.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.urls import reverse

from notifications.services import notify
from people.selectors import line_manager_of
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, DeadlineKind, register

from . import clocks
from .models import DisputeResolution, StageRecord
from .notifications import _context, iro_managers, next_step

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
        prompt = f"No response has been recorded in time. The IRO should consider {next_step(drp)}."
    headline = HEADLINES[phase].format(stage=record.stage.name, due=due)
    detail = f"The response at {record.stage.name} is due by {due:%A %-d %B %Y}."
    return _send(drp, recipients, headline, detail, prompt)


def remind_overall(drp: DisputeResolution, phase: str, due: date) -> list[str]:
    headline = f"overall time limit passed on {due:%-d %B %Y}"
    detail = (f"The DRP should have concluded within {clocks.timescale_description()}, "
              f"by {due:%-d %B %Y}.")
    return _send(drp, [drp.raised_by, *iro_managers()], headline, detail,
                 f"Resolve the DRP if the issue has been addressed; if not, consider {next_step(drp)}.")


def remind_review(drp: DisputeResolution, phase: str, due: date) -> list[str]:
    recipients = [drp.raised_by]
    if phase == OVERDUE:
        recipients += iro_managers()
    headline = REVIEW_HEADLINES[phase].format(due=due)
    detail = (f"A response was recorded at {drp.stage.name}. The IRO resolves the DRP or takes the "
              f"next step by {due:%A %-d %B %Y}.")
    return _send(drp, recipients, headline, detail,
                 f"Resolve the DRP if the response is enough; if not, consider {next_step(drp)}.")


def remind_agreed_by(record: StageRecord, phase: str, due: date) -> list[str]:
    drp = record.drp
    headline = f"check the actions agreed by {due:%-d %B %Y} happened"
    detail = (f"At {record.stage.name} the response agreed actions by {due:%A %-d %B %Y}. "
              "Check with the social worker that they happened, and record it on the DRP.")
    prompt = "" if not drp.is_open else f"If they have not happened, consider {next_step(drp)}."
    return _send(drp, [drp.raised_by], headline, detail, prompt)


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
    register(DeadlineKind(
        name="drp-review", model=DisputeResolution, due_field="review_due_date",
        running=Q(status=DisputeResolution.Status.AWAITING_REVIEW, review_due_date__isnull=False),
        phases=(DUE_SOON, DUE_TODAY, OVERDUE), remind=remind_review, soon_working_days=2,
        select_related=("raised_by", "stage", "addressee"),
    ))
    register(DeadlineKind(
        name="drp-agreed-by", model=StageRecord, due_field="agreed_by",
        running=Q(agreed_by__isnull=False) & ~Q(drp__status=DisputeResolution.Status.WITHDRAWN),
        phases=(OVERDUE,), remind=remind_agreed_by,
        select_related=("drp", "stage", "drp__raised_by", "drp__stage", "drp__addressee"),
    ))
