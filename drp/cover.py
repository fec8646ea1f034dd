"""Cover for an absent responder: their inbox delegated to a named colleague for a period,
who sees and answers their DRPs ("X for Y" on the timeline) and is reminded with them."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from people import roles
from people.models import User
from workflows.clocks import today
from workflows.history import save_with_history

from . import agreed_actions, notifications
from .models import (
    Cover,
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
