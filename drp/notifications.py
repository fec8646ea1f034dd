"""Who is told about each DRP event, one function per event (called inside the service's
transaction; emails leave after commit).

The messages say what happened to which DRP (its reference, stage, who and when) and link to
it; they never name a child or quote the concern, reason, response or outcome: an email
leaves the authority's systems, and an in-app notification outlives the reader's access. The
DRP's page, behind sign-in and the access rules, shows the rest."""

from __future__ import annotations

from django.urls import reverse

from notifications.services import Message, notify, notify_many
from people import roles
from people.selectors import line_manager_of, users_with_role


def message_context(drp, **extra) -> dict:
    return {"drp": drp, **extra}


def _link(drp) -> str:
    return reverse("drp:detail", args=[drp.pk])


def _addressee_and_manager(drp) -> list:
    """The addressee, their manager, and whoever covers for the addressee today."""
    from .selectors import colleagues_covering

    covering = colleagues_covering([drp.addressee_id]).get(drp.addressee_id, [])
    return [drp.addressee, line_manager_of(drp.addressee), *covering]


def drp_raised(drp, actor):
    """The addressee of the first stage and their manager."""
    notify(recipients=_addressee_and_manager(drp), kind="drp-raised", link=_link(drp),
           context=message_context(drp, actor=actor))


def drp_escalated(drp, actor):
    """The new stage's addressee and their manager."""
    notify(recipients=_addressee_and_manager(drp), kind="drp-escalated", link=_link(drp),
           context=message_context(drp, actor=actor))


def top_stage_order() -> int | None:
    from django.db.models import Max

    from .models import Stage

    return Stage.objects.aggregate(top=Max("order"))["top"]


def next_step(drp, top_order: int | None = None) -> str:
    """What the IRO should consider (a phrase after "consider") when a stage has not resolved
    things: escalating while the ladder goes higher; at the top, referring a looked-after child
    to Cafcass, or for any child a complaint on their behalf or an advocate (IRO Handbook
    6.3-6.5)."""
    top_order = top_stage_order() if top_order is None else top_order
    if top_order is not None and drp.stage.order < top_order:
        return "escalating the DRP"
    if drp.case_type == "CLA" and not drp.referred_to_cafcass:
        return ("referring the child to Cafcass (this is the last stage of the procedure), or "
                "helping the child make a complaint or get an advocate")
    return ("helping the child make a complaint or get an advocate (this is the last stage of "
            "the procedure)")


def drp_responded(drp, actor):
    """The DRP's IRO, with the date their review is due."""
    notify(recipients=[drp.iro], kind="drp-responded", link=_link(drp),
           context=message_context(drp, actor=actor, next_step=next_step(drp)))


def drp_resolved(drp, actor):
    """Everyone it was addressed to along the way."""
    addressees = [record.addressee for record in drp.stage_records.select_related("addressee")]
    notify(recipients=addressees, kind="drp-resolved", link=_link(drp), context=message_context(drp, actor=actor))


def drp_withdrawn(drp, actor, addressee):
    """The person the DRP was addressed to when it was withdrawn: they need not answer it."""
    notify(recipients=[addressee], kind="drp-withdrawn", link=_link(drp), context=message_context(drp, actor=actor))


def drp_reassigned(drp, actor, previous):
    """The IRO who holds it now, and the one who held it."""
    notify(recipients=[drp.iro, previous], kind="drp-reassigned", link=_link(drp),
           context=message_context(drp, actor=actor, previous=previous))


def drp_reopened(drp, actor):
    """The stage's addressee (and their cover) and manager, and the DRP's IRO."""
    notify(recipients=[*_addressee_and_manager(drp), drp.iro], kind="drp-reopened", link=_link(drp),
           context=message_context(drp, actor=actor))


def cover_arranged(cover, actor):
    """The colleague who will cover, and the person they cover for."""
    notify(recipients=[cover.colleague, cover.absent], kind="drp-cover", link=reverse("drp:cover"),
           context={"cover": cover, "actor": actor})


def cover_ended(cover, actor):
    """The colleague who covered, and the person they covered for."""
    notify(recipients=[cover.colleague, cover.absent], kind="drp-cover-ended", link=reverse("drp:cover"),
           context={"cover": cover, "actor": actor})


def iro_managers():
    return list(users_with_role(roles.IRO_MANAGER))


def agency_action_message(action, kind: str, **extra) -> Message | None:
    """A partner agency's contact told by email about an action they own (they are not users:
    the email itself says what is asked and by when, and who at the authority to answer; the
    IRO records their answer). None when the action has no active contact."""
    contact = action.owner_contact
    if contact is None or not contact.active:
        return None
    return Message(recipients=(), addresses=[contact.email], kind=kind,
                   context={"action": action, "drp": action.drp, "contact": contact,
                            "iro": action.drp.raised_by, **extra})


def agency_stage_message(record, drp=None, **extra) -> Message | None:
    """The contact a stage is addressed to, told by email what is asked and by when (a
    reminder gives its ``headline``, which becomes the subject)."""
    contact = record.addressee_contact
    if contact is None or not contact.active:
        return None
    drp = drp or record.drp
    return Message(recipients=(), addresses=[contact.email], kind="drp-agency-stage",
                   context={"drp": drp, "record": record, "contact": contact, "iro": drp.raised_by, **extra})


def email_agency_contact(action, kind: str, **extra) -> None:
    """Email the action's partner agency contact, through the same outbox as everyone's email."""
    message = agency_action_message(action, kind, **extra)
    if message is not None:
        notify_many([message])


def action_agreed(action, actor):
    """The owner (a user in the app and by email; a partner agency's contact by email) and the
    IRO, unless they recorded it themselves."""
    drp = action.drp
    recipients = [user for user in (action.owner, drp.raised_by) if user is not None and user != actor]
    if recipients:
        notify(recipients=recipients, kind="drp-action-agreed", link=_link(drp),
               context=message_context(drp, action=action, actor=actor))
    email_agency_contact(action, "drp-agency-action")


def stage_to_agency(drp, record):
    """A stage addressed to a partner agency's contact: email them what is asked and by when."""
    message = agency_stage_message(record, drp)
    if message is not None:
        notify_many([message])
