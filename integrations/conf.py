"""Settings of the integrations app, each with its default (a settings module may set them)."""

import os

from django.conf import settings


def webhook_retry_seconds() -> int:
    """The first retry after a failed delivery comes this many seconds later, doubling each time."""
    return int(getattr(settings, "FOOTPRINT_WEBHOOK_RETRY_SECONDS",
                       os.environ.get("FOOTPRINT_WEBHOOK_RETRY_SECONDS", "30")))


def webhook_allow_http() -> bool:
    """Receivers must use https unless this allows plain http (tests, a private network)."""
    default = os.environ.get("FOOTPRINT_WEBHOOK_ALLOW_HTTP", "").strip().lower() in {"1", "true", "yes", "on"}
    return bool(getattr(settings, "FOOTPRINT_WEBHOOK_ALLOW_HTTP", default))
