"""Changes to people's accounts made from the server, each recorded."""

from __future__ import annotations

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from notifications.services import notify
from workflows.validation import require_text

from . import roles
from .access import is_do_team
from .models import AuthenticatorRemoval, User
from .selectors import users_with_role


@transaction.atomic
def remove_authenticator(*, person: User, removed_by: str, reason: str) -> AuthenticatorRemoval:
    """Someone lost their phone: remove their authenticator apps, so that at their next sign-in
    they set up a new one (compulsory for the DO team; optional for others, who then sign in
    with their password alone until they turn it on again). Recorded, and the person is told;
    for a DO role holder the DO Managers are told too, since whoever sets up the new app can
    read DO enquiries."""
    require_text(removed_by=removed_by, reason=reason)
    person = User.objects.select_for_update().get(pk=person.pk)
    devices = TOTPDevice.objects.filter(user=person)
    count = devices.count()
    devices.delete()
    removal = AuthenticatorRemoval.objects.create(person=person, removed_by=removed_by.strip(),
                                                  reason=reason.strip(), devices=count)
    context = {"person": person, "removal": removal}
    notify(recipients=[person], kind="authenticator-removed", context=context)
    if is_do_team(person):
        managers = users_with_role(roles.DO_MANAGER).exclude(pk=person.pk)
        notify(recipients=managers, kind="authenticator-removed", context=context | {"to_managers": True})
    return removal


# --- System accounts ---------------------------------------------------------------------------

#: The longest a system account's token may last.
SYSTEM_TOKEN_MAX_DAYS = 90


def _scope_roles(slugs):
    from .models import Role

    return list(Role.objects.filter(slug__in=slugs))


@transaction.atomic
def service_account_create(*, actor: User, name: str, purpose: str, owner: User, scopes: list[str]):
    """An IRO Manager names a system and what it may read (DRPs, positive practice, reports:
    never DO enquiries, which only the DO Manager grants). Its user has no password and no role but
    the scopes."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.text import slugify

    from .models import ServiceAccount

    if not actor.has_role(roles.IRO_MANAGER):
        raise PermissionDenied("Only IRO Managers make system accounts.")
    require_text(name=name, purpose=purpose)
    errors = {}
    if not scopes or any(scope not in roles.CASEWORK_SCOPES for scope in scopes):
        errors["scopes"] = "Choose what the system may read: DRPs, positive practice or reports."
    if owner is None or not owner.is_active or hasattr(owner, "service_account"):
        errors["owner"] = "Choose the person responsible for the system."
    username = f"system-{slugify(name)}"[:150]
    if ServiceAccount.objects.filter(name__iexact=name.strip()).exists() or User.objects.filter(
            username=username).exists():
        errors["name"] = "A system account with this name already exists."
    if errors:
        raise ValidationError(errors)
    user = User(username=username, first_name=name.strip()[:150], is_active=True)
    user.set_unusable_password()
    user.save()
    user.roles.set(_scope_roles(scopes))
    return ServiceAccount.objects.create(name=name.strip(), purpose=purpose.strip(), user=user, owner=owner,
                                         created_by=actor)


@transaction.atomic
def service_account_issue_token(*, account, actor: User, days: int) -> str:
    """A token for the system, shown once to its owner (nobody else may ask for one)."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from . import tokens

    if account.owner_id != actor.pk:
        raise PermissionDenied("Only the person responsible for a system account is issued its tokens.")
    if not account.active:
        raise PermissionDenied("This system account has been switched off.")
    if not 1 <= days <= SYSTEM_TOKEN_MAX_DAYS:
        raise ValidationError({"days": f"Choose from 1 to {SYSTEM_TOKEN_MAX_DAYS} days."})
    return tokens.issue_for_system(account.user, days=days)[1]


@transaction.atomic
def service_account_set_do_reading(*, account, actor: User, allowed: bool):
    """The DO Manager lets a system read DO enquiries, or stops it (its tokens end either way)."""
    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    if not actor.has_role(roles.DO_MANAGER):
        raise PermissionDenied("Only the DO Manager lets a system read DO enquiries.")
    role = _scope_roles([roles.SYSTEM_READ_DO])
    if allowed:
        account.user.roles.add(*role)
        account.do_granted_by, account.do_granted_at = actor, timezone.now()
    else:
        account.user.roles.remove(*role)
        account.do_granted_by, account.do_granted_at = None, None
    account.save()
    return account


@transaction.atomic
def service_account_switch_off(*, account, actor: User):
    """An IRO Manager switches a system account off: its tokens end and no new one is issued."""
    from django.core.exceptions import PermissionDenied

    from . import tokens

    if not actor.has_role(roles.IRO_MANAGER):
        raise PermissionDenied("Only IRO Managers switch system accounts off.")
    account.active = False
    account.save()
    account.user.is_active = False
    account.user.save(update_fields=["is_active"])
    tokens.revoke_all([account.user_id], "system account switched off")
    return account
