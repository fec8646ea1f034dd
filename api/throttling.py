"""API rate limits: DRF throttles, each saying its budget in the IETF RateLimit headers
(draft-ietf-httpapi-ratelimit-headers-09):

    RateLimit-Policy: "user";q=1200;w=60
    RateLimit: "user";r=1187;t=42

``q`` requests per ``w`` seconds; ``r`` left now, ``t`` seconds until the window frees one.
Over the rate the API answers 429 (problem ``throttled``) with ``Retry-After``.

Three budgets (rates are settings, REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read when asked
so a changed setting applies): ``user`` per signed-in person on every operation
(FOOTPRINT_API_RATE), ``anon`` per address for what is open without signing in (the token
endpoint; FOOTPRINT_API_ANON_RATE), and a view's own ``throttle_scope`` (the Designated
Officer API, FOOTPRINT_DO_API_RATE). A scope with no rate set is not limited."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _Budget:
    """Reads rates when asked, tolerates an unset rate, and reports what is left."""

    @property
    def THROTTLE_RATES(self):
        return api_settings.DEFAULT_THROTTLE_RATES

    def get_rate(self):
        return self.THROTTLE_RATES.get(self.scope)

    def policy(self) -> tuple[str, int, int, int, int] | None:
        """(name, quota, window seconds, remaining, seconds to reset), or None when this
        budget did not apply to the request."""
        if getattr(self, "key", None) is None or not getattr(self, "num_requests", None):
            return None
        history = getattr(self, "history", [])
        remaining = max(0, self.num_requests - len(history))
        reset = int(self.duration - (self.now - history[-1])) + 1 if history else self.duration
        return self.scope, self.num_requests, self.duration, remaining, max(0, min(reset, self.duration))


class UserRateThrottle(_Budget, throttling.UserRateThrottle):
    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None  # the anon budget's
        return super().get_cache_key(request, view)


class AnonRateThrottle(_Budget, throttling.AnonRateThrottle):
    pass


class ScopedRateThrottle(_Budget, throttling.ScopedRateThrottle):
    """DRF's ScopedRateThrottle (a view names its ``throttle_scope``)."""


def headers(throttles) -> dict[str, str]:
    """The RateLimit and RateLimit-Policy headers for the budgets that applied."""
    policies = [p for p in (t.policy() for t in throttles) if p]
    if not policies:
        return {}
    return {
        "RateLimit-Policy": ", ".join(f'"{name}";q={quota};w={window}' for name, quota, window, _, _ in policies),
        "RateLimit": ", ".join(f'"{name}";r={left};t={reset}' for name, _, _, left, reset in policies),
    }
