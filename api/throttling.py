"""API rate limits: DRF's scoped throttle (a view names its ``throttle_scope``; rates are
settings, REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]). Over the rate the API answers 429 with
Retry-After."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's ScopedRateThrottle, reading the rates when asked rather than once at import, so
    a changed setting (a test's, or a settings reload) applies."""

    @property
    def THROTTLE_RATES(self):
        return api_settings.DEFAULT_THROTTLE_RATES
