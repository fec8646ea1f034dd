"""Signing people in for tests, two-step verification included.

DO roles must pass TOTP two-step verification (django-otp) before any page answers them.
``login(client, user)`` signs a user in the way a real browser session ends up: logged in,
and for anyone with a confirmed TOTP device (every DO-role user gets one here), verified.
"""

from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from people import roles


def totp_device(user) -> TOTPDevice:
    """The user's confirmed authenticator, made on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def login(client, user):
    """Log ``user`` in on a Django test client; verify two-step for DO roles."""
    client.force_login(user)
    if user.roles.filter(slug__in=roles.DO_TEAM).exists():
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client
