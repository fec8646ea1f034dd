"""Who holds a Designated Officer role: granted and removed by the DO Manager, on an audit
trail, and the periodic access review."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from people import roles
from people.models import Role, User
from workflows.exceptions import TransitionRefused
from workflows.validation import require_text

from ..models import (
    AccessReview,
    RoleChange,
)
from ..selectors import do_role_holders
from .base import require_do_manager

# --- Who holds a DO role ---------------------------------------------------------------------


def _do_role(role: str) -> Role:
    """A DO role by slug; any other slug is refused, naming the field."""
    found = Role.objects.filter(slug=role, slug__in=roles.DO_TEAM).first() if role else None
    if found is None:
        raise ValidationError({"role": "Select a Designated Officer role"})
    return found


def _other_do_managers(person: User, lock: bool = False) -> int:
    """Active DO Managers besides ``person``. With ``lock``, every holder's row is locked first,
    so two managers removing themselves at once cannot both pass."""
    holders = User.objects.filter(roles__slug=roles.DO_MANAGER)
    if lock:
        list(holders.select_for_update().values_list("pk", flat=True))
    return holders.filter(is_active=True).exclude(pk=person.pk).count()


def role_removal_refusal(person: User, role: str, lock: bool = False) -> str | None:
    """Why ``role`` cannot be taken from ``person`` now, or None. Pages ask before showing the
    form; ``do_role_remove`` asks again under the lock."""
    name = roles.NAMES.get(role, role)
    if not person.roles.filter(slug=role).exists():
        return f"{person} is not a {name}."
    if role == roles.DO_MANAGER and _other_do_managers(person, lock=lock) == 0:
        return (f"{person} is the only DO Manager, so this role cannot be removed: nobody would be left to "
                "grant or remove DO roles. Give someone else the DO Manager role first.")
    return None


@transaction.atomic
def do_role_grant(*, actor: User, person: User, role: str, reason: str) -> RoleChange:
    """The DO Manager gives someone a DO role (the only way anyone gets one, besides the first
    DO Manager's appointment from the server). They must then set up two-step verification."""
    require_do_manager(actor)
    the_role = _do_role(role)
    person = User.objects.select_for_update().get(pk=person.pk)
    if not person.is_active:
        raise TransitionRefused(f"{person} cannot be given a role: their account is switched off.")
    if person.roles.filter(pk=the_role.pk).exists():
        raise TransitionRefused(f"{person} is already a {the_role.name}.")
    require_text(reason=reason)
    person.roles.add(the_role)
    return RoleChange.objects.create(actor=actor, person=person, role=the_role, change=RoleChange.Change.GRANTED,
                                     reason=reason.strip())


@transaction.atomic
def do_role_remove(*, actor: User, person: User, role: str, reason: str) -> RoleChange:
    """The DO Manager takes a DO role away (a leaver, a move, the yearly access review). The last
    active DO Manager cannot remove their own: nobody would be left to grant DO roles."""
    require_do_manager(actor)
    the_role = _do_role(role)
    person = User.objects.select_for_update().get(pk=person.pk)
    refusal = role_removal_refusal(person, the_role.slug, lock=True)
    if refusal:
        raise TransitionRefused(refusal)
    require_text(reason=reason)
    person.roles.remove(the_role)
    return RoleChange.objects.create(actor=actor, person=person, role=the_role, change=RoleChange.Change.REMOVED,
                                     reason=reason.strip())


@transaction.atomic
def appoint_do_manager(*, person: User, reason: str) -> RoleChange:
    """From the server only (``manage.py appoint_do_manager``): make someone the DO Manager
    when there is no active one (first set-up, or the last one has left). While there is one,
    only they grant DO roles."""
    the_role = Role.objects.get(slug=roles.DO_MANAGER)
    person = User.objects.select_for_update().get(pk=person.pk)
    if _other_do_managers(person, lock=True) or (person.is_active and person.roles.filter(pk=the_role.pk).exists()):
        raise TransitionRefused("There is already an active DO Manager: they grant DO roles in the "
                                "Designated Officer area.")
    if not person.is_active:
        raise TransitionRefused(f"{person}'s account is switched off.")
    require_text(reason=reason)
    person.roles.add(the_role)
    return RoleChange.objects.create(actor=None, person=person, role=the_role, change=RoleChange.Change.GRANTED,
                                     reason=reason.strip())


@transaction.atomic
def do_access_review_record(*, actor: User, note: str = "") -> AccessReview:
    """The DO Manager records that this year's review of who holds DO roles is done, with who
    held which role at that moment."""
    require_do_manager(actor)
    holders = [{"username": user.username, "roles": [role.slug for role in user.do_roles]}
               for user in do_role_holders()]
    return AccessReview.objects.create(reviewed_by=actor, holders=holders, note=(note or "").strip())


