"""Two-step verification (an authenticator app's 6-digit code, TOTP via django-otp).

Who must use it: everyone in the Designated Officer team (their enquiries are allegations against
adults who work with children), everyone who can reach the Django admin (staff and superusers:
the admin manages people and roles), and anyone else who has chosen to turn it on. A session counts
as verified once a code has been accepted in it (``request.user.is_verified()``).
"""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .access import is_do_team

DEVICE_NAME = "Authenticator app"

#: What an unverified, signed-in person must do next.
SET_UP = "set-up"
VERIFY = "verify"


def required_for(user) -> bool:
    """Whether this person's roles, or their access to the admin, make two-step verification
    compulsory."""
    return user.is_staff or user.is_superuser or is_do_team(user)


def confirmed_device(user) -> TOTPDevice | None:
    """The person's authenticator app, once they have confirmed it with a code."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


#: Whether this session's person has an authenticator app (so owes a code), remembered for
#: people outside the DO team so that their pages cost no extra query. Worked out at each
#: sign-in; a device set up or removed in this session updates it.
SESSION_KEY = "footprint_two_step_on"


def next_step(request) -> str | None:
    """For a signed-in session without a code yet: ``VERIFY``, ``SET_UP`` or nothing to do."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    if required_for(user):
        return VERIFY if confirmed_device(user) is not None else SET_UP
    has_device = request.session.get(SESSION_KEY)
    if has_device is None:
        has_device = request.session[SESSION_KEY] = confirmed_device(user) is not None
    return VERIFY if has_device else None


def remember(request, has_device: bool):
    """Record in the session that two-step verification was turned on or off in it."""
    request.session[SESSION_KEY] = has_device


@receiver(user_logged_in)
def _check_on_sign_in(sender, request, user, **kwargs):
    """Each sign-in asks the database again whether the person has an authenticator app."""
    if request is not None and hasattr(request, "session"):
        remember(request, confirmed_device(user) is not None)


#: The authenticator this session is setting up (its device id).
PENDING_SESSION_KEY = "footprint_two_step_pending"


def pending_device(request) -> TOTPDevice:
    """The authenticator being set up in this session: a new secret for each session (so a
    secret seen elsewhere, say over a shoulder or in another browser, is no use here), the
    same one on every visit within it until it is confirmed."""
    user = request.user
    pk = request.session.get(PENDING_SESSION_KEY)
    device = None
    if pk is not None:
        device = TOTPDevice.objects.filter(pk=pk, user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        request.session[PENDING_SESSION_KEY] = device.pk
    return device


def confirm(request, device: TOTPDevice):
    """The code from ``device`` was right: it becomes the person's authenticator, every other
    secret being set up (in other sessions) is discarded, and API tokens issued before it
    are revoked (they were issued without its code)."""
    from .tokens import revoke_all

    user = request.user
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        revoke_all([user.pk], "authenticator set up")
    request.session.pop(PENDING_SESSION_KEY, None)


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (no style attributes, so the
    Content-Security-Policy needs no 'unsafe-inline'), labelled for screen readers."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    return svg.replace(
        "<svg ",
        '<svg class="app-qr-code" role="img" aria-label="QR code to scan with your '
        'authenticator app" focusable="false" ',
        1,
    )


def secret_key(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it when typed in: base32, in groups of 4."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def throttled(device: TOTPDevice) -> bool:
    """Too many wrong codes in a row: the device refuses codes for a few seconds."""
    allowed, _ = device.verify_is_allowed()
    return not allowed


def check_code(user, device: TOTPDevice, code: str) -> bool:
    """Whether ``code`` is the device's current code (each code works once; wrong codes slow
    further tries down). Locks the device row so two tries at once cannot both pass."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user).first()
        return locked is not None and locked.verify_token(code)


def mark_verified(request, device: TOTPDevice):
    """Record in the session that this person has entered a code from ``device``."""
    device.refresh_from_db()
    otp_login(request, device)
