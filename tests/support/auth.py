"""Signing people in for tests, two-step verification included.

DO roles and administrators (staff, superusers) must pass TOTP two-step verification
(django-otp) before any page answers them. ``login(client, user)`` signs a user in the way a
real browser session ends up: logged in, and for anyone who must use two-step verification
(they get a confirmed TOTP device here) or already has a device, verified.
``api_token(user)`` is the token ``POST /api/auth/token/`` would give them.
"""

from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from people import roles, tokens


def totp_device(user) -> TOTPDevice:
    """The user's confirmed authenticator, made on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def _needs_code(user) -> bool:
    """two_step.required_for, or a device already; asked of the database each time (the
    user object's cached roles may be older than the test's latest change)."""
    return (user.is_staff or user.is_superuser
            or user.roles.filter(slug__in=roles.DO_TEAM).exists()
            or TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def login(client, user):
    """Log ``user`` in on a Django test client; verify two-step for those who must use it."""
    client.force_login(user)
    if _needs_code(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def api_token(user) -> str:
    """A token for ``user`` as the token endpoint issues it: after the code from their
    authenticator when they must use two-step verification or have turned it on."""
    verified = _needs_code(user)
    if verified:
        totp_device(user)  # made before the token: adding an authenticator revokes tokens
    return tokens.issue(user, verified=verified)[1]


def token_client(client, user):
    """An APIClient signed with ``user``'s token (``Authorization: Token …``)."""
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client
