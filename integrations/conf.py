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


def webhook_allowed_hosts() -> frozenset[str]:
    """Receivers allowed on private, loopback or link-local addresses (host names or IP
    addresses, lower case): none by default. A receiver inside the authority's own network, or
    the tests' local receiver, is named here on purpose; every other address must be public."""
    value = settings.FOOTPRINT_WEBHOOK_ALLOWED_HOSTS
    names = value.split(",") if isinstance(value, str) else value
    return frozenset(name.strip().lower().strip("[]") for name in names if name.strip())
