"""The Designated Officer's deadlines in the reminder sweep (``workflows.reminders``).

Every reminder goes to the DO team only (active Designated Officers and DO Managers) and names
the enquiry by its reference and the deadline, never the subject: no personal data in a message.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.urls import reverse

from people.models import User
from workflows.clocks import due_words
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, DeadlineKind, register

from . import conf
from .access import do_team_members
from .models import Action, Enquiry

Status = Enquiry.Status
KIND = "lado-reminder"
DECISION = "lado-decision"
FIRST_MEETING = "lado-first-meeting"
REVIEW_MEETING = "lado-review-meeting"
ACTION = "lado-action"
TARGETS = ("lado-target-1", "lado-target-2", "lado-target-3")
ALL_KINDS = (DECISION, FIRST_MEETING, REVIEW_MEETING, ACTION, *TARGETS)


def do_team() -> list[User]:
    """Everyone who is told: active holders of a DO role."""
    return list(do_team_members().order_by("username"))


def _when(phase: str, due: date) -> str:
    """"was due on 3 November 2026 and is overdue by 2 working days", "is due on 5 November 2026
    (due in 2 working days)": the words the DO's pages use (``workflows.clocks.due_words``)."""
    day = f"{due.day} {due:%B %Y}"
    if phase == OVERDUE:
        return f"was due on {day} and is {due_words(due).lower()}"
    if phase == DUE_TODAY:
        return f"is due today ({day})"
    return f"is due on {day} ({due_words(due).lower()})"


def _send(items: dict[int, tuple[Enquiry, str, str]]) -> dict[int, list[str]]:
    """Tell the DO team about each (enquiry, headline, detail), all at once: the team looked up
    once, every notification in one insert, each composed from the message templates
    ``notifications/messages/lado-reminder*.txt`` as every notification is. {row pk: usernames told}."""
    from notifications.services import Message, notify_many  # optional at import time

    team = do_team()
    notify_many(Message(recipients=team, kind=KIND, link=reverse("lado:detail", args=[enquiry.pk]),
                        context={"enquiry": enquiry, "headline": headline, "detail": detail})
                for enquiry, headline, detail in items.values())
    told = [user.username for user in team]
    return {pk: told for pk in items}


def _word(phase: str) -> str:
    return {OVERDUE: "overdue", DUE_TODAY: "due today"}.get(phase, "due soon")


def remind_decision(enquiries: list[Enquiry], phase: str) -> dict[int, list[str]]:
    word = "overdue" if phase == OVERDUE else "due today"
    return _send({e.pk: (e, f"threshold decision {word}",
                         f"The threshold decision for {e.reference} {_when(phase, e.decision_due)}.")
                  for e in enquiries})


def remind_first_meeting(enquiries: list[Enquiry], phase: str) -> dict[int, list[str]]:
    return _send({e.pk: (e, f"first meeting {_word(phase)}",
                         f"The first allegation management meeting or strategy discussion for {e.reference} "
                         f"{_when(phase, e.first_meeting_due)}.")
                  for e in enquiries})


def remind_review(enquiries: list[Enquiry], phase: str) -> dict[int, list[str]]:
    return _send({e.pk: (e, f"review meeting {_word(phase)}",
                         f"The next review meeting for {e.reference} {_when(phase, e.next_review_on)}.")
                  for e in enquiries})


def remind_action(actions: list[Action], phase: str) -> dict[int, list[str]]:
    items = {}
    for action in actions:
        enquiry, label = action.enquiry, action.get_kind_display()
        items[action.pk] = (enquiry, f"{label.lower()} {_word(phase)}",
                            f"{label} for {enquiry.reference} {_when(phase, action.due_on)}.")
    return _send(items)


def _remind_target(index: int):
    def remind(enquiries: list[Enquiry], phase: str) -> dict[int, list[str]]:
        months = conf.months_label(conf.target_months()[index])
        items = {}
        for enquiry in enquiries:
            due = getattr(enquiry, f"target_{index + 1}_due")
            day = f"{due.day} {due:%B %Y}"
            if phase == OVERDUE:
                headline = f"{months} target missed"
                detail = (f"{enquiry.reference} was not concluded within {months} of referral "
                        f"(target date {day}).")
            else:
                headline = f"{months} target approaching"
                detail = f"{enquiry.reference} should be concluded within {months} of referral, by {day}."
            items[enquiry.pk] = (enquiry, headline, detail)
        return _send(items)

    return remind


def register_deadlines() -> None:
    """Called from ``LadoConfig.ready()``."""
    register(DeadlineKind(
        name=DECISION, model=Enquiry, due_field="decision_due",
        running=Q(status=Status.AWAITING_DECISION), phases=(DUE_TODAY, OVERDUE),
        remind=remind_decision,
    ))
    register(DeadlineKind(
        name=FIRST_MEETING, model=Enquiry, due_field="first_meeting_due",
        running=Q(status=Status.AWAITING_MEETING, first_meeting_due__isnull=False),
        phases=(DUE_SOON, DUE_TODAY, OVERDUE), remind=remind_first_meeting, soon_working_days=2,
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
