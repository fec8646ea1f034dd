"""Who is told about each DRP event, one function per event (called inside the service's
transaction; emails leave after commit).

The messages say what happened to which DRP (its reference, stage, who and when) and link to
it; they never name a child or quote the concern, reason, response or outcome: an email
leaves the authority's systems, and an in-app notification outlives the reader's access. The
DRP's page, behind sign-in and the access rules, shows the rest."""

from __future__ import annotations

from django.urls import reverse

from notifications.services import notify
from people import roles
from people.selectors import line_manager_of, users_with_role


def _context(drp, **extra) -> dict:
    return {"drp": drp, **extra}


def _link(drp) -> str:
    return reverse("drp:detail", args=[drp.pk])


def _addressee_and_manager(drp) -> list:
    return [drp.addressee, line_manager_of(drp.addressee)]


def drp_raised(drp, actor):
    """The addressee of the first stage and their manager."""
    notify(recipients=_addressee_and_manager(drp), kind="drp-raised", link=_link(drp),
           context=_context(drp, actor=actor))


def drp_escalated(drp, actor):
    """The new stage's addressee and their manager."""
    notify(recipients=_addressee_and_manager(drp), kind="drp-escalated", link=_link(drp),
           context=_context(drp, actor=actor))


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
    """The IRO who raised it, with the date their review is due."""
    notify(recipients=[drp.raised_by], kind="drp-responded", link=_link(drp),
           context=_context(drp, actor=actor, next_step=next_step(drp)))


def drp_resolved(drp, actor):
    """Everyone it was addressed to along the way."""
    addressees = [record.addressee for record in drp.stage_records.select_related("addressee")]
    notify(recipients=addressees, kind="drp-resolved", link=_link(drp), context=_context(drp, actor=actor))


def drp_withdrawn(drp, actor, addressee):
    """The person the DRP was addressed to when it was withdrawn: they need not answer it."""
    notify(recipients=[addressee], kind="drp-withdrawn", link=_link(drp), context=_context(drp, actor=actor))


def iro_managers():
    return list(users_with_role(roles.IRO_MANAGER))
