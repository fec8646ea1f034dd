"""Security middleware: two-step verification before any page, and the Permissions-Policy header."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from api.problems import problem_response

from . import two_step

#: Pages an unverified person may still open: signing in and out, and the two-step pages.
EXEMPT_VIEWS = frozenset({
    "login",
    "logout",
    "accounts:two-step-set-up",
    "accounts:two-step-verify",
})

TWO_STEP_API_MESSAGE = (
    "Two-step verification is needed: enter the code from your authenticator app in the "
    "browser (or use an API token obtained with otp_token) before using the API.")


class TwoStepVerificationMiddleware:
    """Send a signed-in person who must use two-step verification, and has not entered a code
    in this session, to enter one (or to set up an authenticator app first).

    Who must: every Designated Officer role, everyone who can reach the admin (staff,
    superusers), and anyone who has turned two-step verification on. Session-authenticated
    API calls are refused (403, JSON) rather than redirected. Token-authenticated API calls
    never reach this check (the user is anonymous here; DRF authenticates the token inside
    the view), which is why the token endpoint itself asks for the code and a token issued
    without one does not work for those who must use it (people/tokens.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        if (match and match.view_name in EXEMPT_VIEWS) or request.path.startswith(
                settings.STATIC_URL):
            return None
        step = two_step.next_step(request)
        if step is None:
            return None
        if request.path.startswith("/api/"):
            return problem_response(403, "two_step_required", TWO_STEP_API_MESSAGE)
        url = reverse("accounts:two-step-verify" if step == two_step.VERIFY
                      else "accounts:two-step-set-up")
        return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (Django's never-cache headers) on every API response and
    every response to a signed-in person: case pages, DO records and API answers must not be
    kept by the browser's back-button cache, a shared computer's disk or a proxy. Static
    files (served by WhiteNoise before this runs) keep their long caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)  # after the view: the token's user, for the API
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response


class PermissionsPolicyMiddleware:
    """Tell browsers that no page here uses the camera, microphone, location and the like."""

    POLICY = ", ".join(f"{feature}=()" for feature in (
        "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
        "payment", "usb"))

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.POLICY)
        return response


def client_ip(request) -> str | None:
    """The address a request came from, for django-axes' lockout (AXES_CLIENT_IP_CALLABLE).

    Behind ``FOOTPRINT_PROXY_COUNT`` reverse proxies, the address the outermost of them saw
    (counted from the right of X-Forwarded-For, which a client cannot forge past the proxies);
    otherwise REMOTE_ADDR.
    """
    proxies = settings.FOOTPRINT_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def mark_refreshed(session) -> None:
    """The session has just been saved, or is about to be: its age restarts now."""
    session[IdleTimeoutMiddleware.KEY] = int(timezone.now().timestamp())


@receiver(user_logged_in)
def _signing_in_refreshes(sender, request, user, **kwargs):
    """Signing in saves the session: count it as the first refresh (so the next page,
    whichever way the person signed in, does not write it again)."""
    if request is not None and hasattr(request, "session"):
        mark_refreshed(request.session)


class IdleTimeoutMiddleware:
    """Keep a signed-in session alive while it is used, writing it at most once a minute.

    Sessions last SESSION_COOKIE_AGE from their last save. Saving on every request
    (SESSION_SAVE_EVERY_REQUEST) made each page three statements and a write longer; marking
    the session modified only when its last refresh is over ``SESSION_REFRESH_SECONDS`` old
    gives the same sign-out after inactivity, to within that minute.
    """

    KEY = "_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # After the view, so that signing in counts as the first refresh; only for a session
        # that exists (an API call signed with a token has none and must not get one).
        if request.session.session_key and request.user.is_authenticated:
            now = int(timezone.now().timestamp())
            if now - request.session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                mark_refreshed(request.session)  # marks it modified: saved, and its age restarts
        return response
