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
    read DO cases."""
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
