"""Cover for an absent responder: their inbox delegated to a named colleague for a period,
who sees and answers their DRPs ("X for Y" on the timeline) and is reminded with them."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from viewflow import fsm

from people import roles
from people.models import User
from workflows.clocks import today
from workflows.history import save_with_history
from workflows.locks import lock
from workflows.timeline import record_event
from workflows.transitions import perform

from . import agreed_actions, notifications
from .models import (
    Cover,
    DisputeResolution,
    TimelineEvent,
)

Action = TimelineEvent.Action
#: The agreed-action moves (``drp.agreed_actions``) are DRP services too.
drp_agree_action, drp_record_action = agreed_actions.drp_agree_action, agreed_actions.drp_record_action
may_agree_actions, may_record_action = agreed_actions.may_agree_actions, agreed_actions.may_record_action
closed_refusal, KEEP_OPEN, CLOSE_NOT_DONE = (agreed_actions.closed_refusal, agreed_actions.KEEP_OPEN,
                                            agreed_actions.CLOSE_NOT_DONE)



#: A cover longer than this is a change of post, not an absence.
COVER_MAX_DAYS = 366


def may_set_up_cover(actor: User, absent: User) -> bool:
    """The responder themselves, before they go, or their line manager, when they are away."""
    from people.selectors import line_manager_of

    if not actor.has_role(*roles.SOCIAL_CARE):
        return False
    return actor.pk == absent.pk or line_manager_of(absent) == actor


@transaction.atomic
def cover_set_up(*, actor: User, absent: User, colleague: User | None, starts_on: date | None,
                 ends_on: date | None) -> Cover:
    """A responder's inbox delegated to a named colleague from one date to another: the
    colleague sees and answers the DRPs addressed to them, recorded as "X for Y"."""
    if not may_set_up_cover(actor, absent):
        raise PermissionDenied("Only the person who will be away, or their line manager, can "
                               "arrange cover for their DRPs.")
    errors = {}
    if colleague is None or not colleague.is_active or not colleague.has_role(*roles.SOCIAL_CARE):
        errors["colleague"] = "Choose a social-care colleague to cover."
    elif colleague.pk == absent.pk:
        errors["colleague"] = "Choose someone other than the person who will be away."
    on = today()
    if starts_on is None:
        errors["starts_on"] = "Enter the date the cover starts."
    elif starts_on < on:
        errors["starts_on"] = "The date the cover starts must be today or in the future."
    if ends_on is None:
        errors["ends_on"] = "Enter the date the cover ends."
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = "The date the cover ends must be the same as or after the date it starts."
    elif starts_on is not None and (ends_on - starts_on).days > COVER_MAX_DAYS:
        errors["ends_on"] = "Cover can last at most a year."
    if errors:
        raise ValidationError(errors)
    cover = Cover(absent=absent, colleague=colleague, starts_on=starts_on, ends_on=ends_on, set_up_by=actor)
    save_with_history(cover, actor, "Cover arranged")
    notifications.cover_arranged(cover, actor)
    return cover


# --- Ending a cover early -------------------------------------------------------------------


def may_end_cover(actor: User, cover: Cover) -> bool:
    """Whoever arranged the cover, or the line manager of the person covered."""
    from people.selectors import line_manager_of

    if not actor.is_authenticated:
        return False
    return actor.pk == cover.set_up_by_id or line_manager_of(cover.absent) == actor


def covers_endable_by(user: User, covers: list[Cover]) -> set[int]:
    """Which of ``covers`` this person may end early (the line managers read in one go)."""
    from people.selectors import line_managers_of

    managers = line_managers_of([c.absent for c in covers if c.set_up_by_id != user.pk])
    return {c.pk for c in covers if c.set_up_by_id == user.pk or getattr(managers.get(c.absent_id), "pk", None) == user.pk}


class CoverFlow:
    """A cover's life: coming, running, then finished on its last day or ended early. Its
    status follows from its dates; the one move is ending it early."""

    COMING, RUNNING, FINISHED, ENDED = "coming", "running", "finished", "ended"
    status = fsm.State([COMING, RUNNING, FINISHED, ENDED], default=COMING)

    def __init__(self, cover: Cover):
        self.cover = cover

    @status.getter()
    def _get_status(self):
        cover, on = self.cover, today()
        if cover.ended_on is not None:
            return self.ENDED
        if cover.ends_on < on:
            return self.FINISHED
        return self.COMING if cover.starts_on > on else self.RUNNING

    @status.setter()
    def _set_status(self, value):
        if value == self.ENDED:
            self.cover.ended_on = today()

    def refusal(self, name: str) -> str:
        cover = self.cover
        if cover.ended_on is not None:
            return f"This cover was already ended on {cover.ended_on:%-d %B %Y}."
        return f"This cover finished on {cover.ends_on:%-d %B %Y}: there is nothing left to end."

    def forbidden(self, name: str) -> str:
        return "Only the person who arranged this cover, or the line manager of the person covered, can end it."

    @status.transition(source=[COMING, RUNNING], target=ENDED, label="End cover early",
                       permission=lambda flow, user: may_end_cover(user, flow.cover))
    def end_early(self):
        """The person is back (or the colleague can no longer cover): from today the colleague
        no longer sees, answers or is reminded of their DRPs."""


@transaction.atomic
def cover_end_early(*, cover: Cover, actor: User, reason: str) -> Cover:
    """End a cover before its last day, with a reason: recorded in the cover's history and on
    the timeline of each open DRP addressed to the person covered; both people are told."""
    cover = lock(Cover.objects.select_related("absent", "colleague"), cover.pk)
    perform(CoverFlow(cover), "end_early", actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Enter why the cover is ending early"})
    cover.ended_by, cover.end_reason = actor, reason.strip()
    save_with_history(cover, actor, cover.end_reason)
    note = (f"{cover.colleague} no longer covers for {cover.absent} from {cover.ended_on:%-d %B %Y} "
            f"(arranged to {cover.ends_on:%-d %B %Y}).\n\n{cover.end_reason}")
    open_drps = DisputeResolution.objects.filter(
        addressee=cover.absent, status__in=[DisputeResolution.Status.AWAITING_RESPONSE,
                                            DisputeResolution.Status.AWAITING_REVIEW]).select_related("stage")
    for drp in open_drps:
        record_event(drp, actor, Action.COVER_ENDED, note=note, from_stage=drp.stage.key, to_stage=drp.stage.key)
    notifications.cover_ended(cover, actor)
    return cover
