"""The Designated Officer's deadlines in the reminder sweep (``workflows.reminders``).

Every reminder goes to the DO team only (active Designated Officers and DO Managers) and names
the case by its reference and the deadline, never the subject: no personal data in a message.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.urls import reverse

from people import roles
from people.models import User
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, DeadlineKind, register

from . import conf
from .models import Action, Enquiry

Status = Enquiry.Status
KIND = "lado-reminder"
DECISION = "lado-decision"
REVIEW_MEETING = "lado-review-meeting"
ACTION = "lado-action"
TARGETS = ("lado-target-1", "lado-target-2", "lado-target-3")
ALL_KINDS = (DECISION, REVIEW_MEETING, ACTION, *TARGETS)


def do_team() -> list[User]:
    """Everyone who is told: active holders of a DO role."""
    return list(User.objects.filter(is_active=True, roles__slug__in=roles.DO_TEAM).distinct()
                .order_by("username"))


def _when(phase: str, due: date) -> str:
    day = f"{due.day} {due:%B %Y}"
    if phase == OVERDUE:
        return f"was due on {day} and is overdue"
    if phase == DUE_TODAY:
        return f"is due today ({day})"
    return f"is due on {day}"


def _send(enquiry: Enquiry, subject: str, body: str) -> list[str]:
    from notifications.services import notify  # the notifications app is optional at import time

    sent = notify(recipients=do_team(), kind=KIND, subject=subject, body=body,
                  link=reverse("lado:detail", args=[enquiry.pk]))
    return [notification.recipient.username for notification in sent]


def remind_decision(enquiry: Enquiry, phase: str, due: date) -> list[str]:
    word = "overdue" if phase == OVERDUE else "due today"
    return _send(enquiry, f"{enquiry.reference}: threshold decision {word}",
                 f"The threshold decision for {enquiry.reference} {_when(phase, due)}.")


def remind_review(enquiry: Enquiry, phase: str, due: date) -> list[str]:
    word = {OVERDUE: "overdue", DUE_TODAY: "due today"}.get(phase, "due soon")
    return _send(enquiry, f"{enquiry.reference}: review meeting {word}",
                 f"The next review meeting for {enquiry.reference} {_when(phase, due)}.")


def remind_action(action: Action, phase: str, due: date) -> list[str]:
    enquiry = action.enquiry
    word = {OVERDUE: "overdue", DUE_TODAY: "due today"}.get(phase, "due soon")
    label = action.get_kind_display()
    return _send(enquiry, f"{enquiry.reference}: {label.lower()} {word}",
                 f"{label} for {enquiry.reference} {_when(phase, due)}.")


def _remind_target(index: int):
    def remind(enquiry: Enquiry, phase: str, due: date) -> list[str]:
        months = conf.months_label(conf.target_months()[index])
        day = f"{due.day} {due:%B %Y}"
        if phase == OVERDUE:
            subject = f"{enquiry.reference}: {months} target missed"
            body = (f"{enquiry.reference} was not concluded within {months} of referral "
                    f"(target date {day}).")
        else:
            subject = f"{enquiry.reference}: {months} target approaching"
            body = f"{enquiry.reference} should be concluded within {months} of referral, by {day}."
        return _send(enquiry, subject, body)

    return remind


def register_deadlines() -> None:
    """Called from ``LadoConfig.ready()``."""
    register(DeadlineKind(
        name=DECISION, model=Enquiry, due_field="decision_due",
        running=Q(status=Status.AWAITING_DECISION), phases=(DUE_TODAY, OVERDUE),
        remind=remind_decision,
    ))
    register(DeadlineKind(
        name=REVIEW_MEETING, model=Enquiry, due_field="next_review_on",
        running=Q(status=Status.IN_PROGRESS, next_review_on__isnull=False),
        phases=(DUE_SOON, DUE_TODAY, OVERDUE), remind=remind_review,
    ))
    register(DeadlineKind(
        name=ACTION, model=Action, due_field="due_on",
        running=Q(done_on__isnull=True, due_on__isnull=False,
                  enquiry__status__in=[Status.AWAITING_MEETING, Status.IN_PROGRESS]),
        phases=(DUE_SOON, DUE_TODAY, OVERDUE), remind=remind_action, select_related=("enquiry",),
    ))
    for index, name in enumerate(TARGETS):
        register(DeadlineKind(
            name=name, model=Enquiry, due_field=f"target_{index + 1}_due",
            running=Q(status__in=Enquiry.OPEN_STATUSES), phases=(DUE_SOON, OVERDUE),
            remind=_remind_target(index),
        ))
