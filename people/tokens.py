"""API tokens: issued to their owner only, short-lived, and ended when the person changes.

Built on django-rest-knox (only a hash of each key is stored; tokens expire). Footprint adds:

* ``verified``: whether a two-step code was accepted when the token was issued. Someone who
  must use two-step verification (``two_step.required_for``: the DO team, administrators)
  cannot use a token issued on the password alone, even if the role came after the token.
* Revocation when the person's password, roles or authenticator change (the receivers below),
  and a password fingerprint checked on every call, so a password changed some other way
  (an import, SQL) still ends the token.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox import auth as knox_auth
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS

from . import two_step
from .models import ApiToken

logger = logging.getLogger("footprint.security")

User = get_user_model()

NEEDS_CODE_MESSAGE = (
    "This token was issued without a two-step verification code, and this account must use "
    "two-step verification: ask for a new token with otp_token.")
PASSWORD_CHANGED_MESSAGE = "This token ended when the password was changed: ask for a new one."


def password_fingerprint(user) -> str:
    """A keyed hash of the stored password hash (like Django's session auth hash)."""
    return salted_hmac("footprint.people.tokens.password", user.password,
                       algorithm="sha256").hexdigest()


def issue(user, *, verified: bool) -> tuple[ApiToken, str]:
    """A new token for ``user`` (who has just given their password, and their code when
    ``verified``). Returns the stored token and its key, which is shown once and never stored."""
    now = timezone.now()
    ApiToken.objects.filter(user=user, expiry__lt=now).delete()  # tidy the person's expired ones
    return ApiToken.objects.create(
        user=user, expiry=timedelta(hours=settings.FOOTPRINT_API_TOKEN_HOURS), verified=verified,
        password_fingerprint=password_fingerprint(user))


def issue_for_system(user, *, days: int) -> tuple[ApiToken, str]:
    """A token for a system account's user, lasting ``days`` (people.services checks who asks)."""
    ApiToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    return ApiToken.objects.create(user=user, expiry=timedelta(days=days), verified=False,
                                   password_fingerprint=password_fingerprint(user))


def is_system_account(user) -> bool:
    from . import roles

    return bool(user.role_slugs.intersection(roles.SYSTEM_SCOPES))


def revoke_all(user_ids, reason: str) -> int:
    """End every token of these people; returns how many there were."""
    count, _ = ApiToken.objects.filter(user_id__in=list(user_ids)).delete()
    if count:
        logger.info("API tokens revoked: %s", reason,
                    extra={"user_ids": sorted(user_ids), "tokens": count, "reason": reason})
    return count


class TokenAuthentication(knox_auth.TokenAuthentication):
    """``Authorization: Token <key>``: knox's check, then Footprint's rules above."""

    def authenticate(self, request):
        """A system account only reads: any other method is refused (403) before any view."""
        found = super().authenticate(request)
        if found and request.method not in SAFE_METHODS and is_system_account(found[0]):
            raise exceptions.PermissionDenied("A system account can only read.")
        return found

    def authenticate_credentials(self, token):
        """knox's check, with a key that is not UTF-8 refused (401) rather than a 500."""
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        """Drop this token if it has expired (knox also scans all the person's other tokens on
        every call, one query more; ``issue`` tidies those instead)."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        if not constant_time_compare(token.password_fingerprint, password_fingerprint(user)):
            token.delete()
            raise exceptions.AuthenticationFailed(PASSWORD_CHANGED_MESSAGE)
        if not token.verified and two_step.required_for(user):
            raise exceptions.AuthenticationFailed(NEEDS_CODE_MESSAGE)
        # As django-otp does for a session: whether this request comes with a code.
        user.is_verified = lambda: token.verified
        return user, token


# --- revocation -------------------------------------------------------------------------------

@receiver(post_save, sender=User)
def _password_changed(sender, instance, created, **kwargs):
    """set_password() then save(): manage.py changepassword, the password change page, an
    administrator's reset. (Django signs the person's sessions out by itself.)"""
    if not created and getattr(instance, "_password", None) is not None:
        revoke_all([instance.pk], "password changed")


@receiver(m2m_changed, sender=User.roles.through)
def _roles_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Roles added or removed, from either side (``user.roles`` or ``role.users``)."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        if action == "pre_clear" or pk_set:
            revoke_all([instance.pk], "roles changed")
        return
    users = pk_set if action != "pre_clear" else instance.users.values_list("pk", flat=True)
    if users:
        revoke_all(users, "roles changed")


@receiver(post_delete, sender=TOTPDevice)
def _authenticator_removed(sender, instance, **kwargs):
    if instance.confirmed:
        revoke_all([instance.user_id], "authenticator removed")


@receiver(post_save, sender=TOTPDevice)
def _authenticator_added(sender, instance, created, **kwargs):
    """A device made already confirmed (set-up confirms with ``two_step.confirm``, which
    revokes too). Not on other saves: each accepted code saves the device."""
    if created and instance.confirmed:
        revoke_all([instance.user_id], "authenticator added")
