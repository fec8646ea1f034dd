"""Signed webhooks: each event a subscription may see is POSTed to its URL as JSON.

Headers: ``Footprint-Event`` (the type), ``Footprint-Delivery`` (its id: a receiver drops a
delivery it has seen), ``Footprint-Timestamp`` (Unix seconds) and ``Footprint-Signature``:
``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>." + body, keyed by the subscription's
secret>``. A receiver recomputes it, compares in constant time, and refuses a timestamp more
than 5 minutes old (a replay).

A delivery is written with its event (``integrations.events``), so none is lost while the
broker is down. Its task POSTs it once; a failure (not 2xx, refused, timed out) is tried again
after 30 s, 1, 2, 4 ... minutes (``FOOTPRINT_WEBHOOK_RETRY_SECONDS`` doubled each time, at most
6 hours apart) up to ``WEBHOOK_MAX_ATTEMPTS``, through Celery's retry, and beat's
``deliver_due_webhooks`` (every minute) sends whatever is due that no task is sending: every
delivery in the demo, which has no broker. Each POST is in the delivery log.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
from datetime import timedelta
from datetime import timezone as dt_timezone
from urllib.parse import urlsplit, urlunsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from workflows.broker import queue_without_waiting

from . import conf
from .addresses import RefusedAddress, checked_address
from .models import Event, WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
MAX_BACKOFF = timedelta(hours=6)
TIMEOUT_SECONDS = 10
#: A sender holds a delivery this long; one that died leaves it to the next sweep after that.
LEASE = timedelta(seconds=TIMEOUT_SECONDS * 3)
SIGNATURE_HEADER = "Footprint-Signature"


def event_body(event: Event) -> dict:
    """An event as the feed and webhooks show it."""
    return {"id": str(event.position), "type": event.type, "at": event.at.astimezone(dt_timezone.utc)
            .isoformat().replace("+00:00", "Z"), "reference": event.reference, "data": event.data}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does (in Python): the signature matches and is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def backoff(attempts: int) -> timedelta:
    base = conf.webhook_retry_seconds()
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _connection(url: str, address: str) -> http.client.HTTPConnection:
    """A connection to ``url``'s host made to ``address`` (the one ``addresses`` checked), so a
    second DNS lookup cannot send it elsewhere; https still verifies the host's certificate by
    its name. A redirect is an answer, not somewhere to send the event instead: none is followed."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    connection._create_connection = lambda where, *args, **kwargs: socket.create_connection(
        (address, where[1]), *args, **kwargs)
    return connection


def _post(url: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    try:
        address = checked_address(url)  # again now: the name may point elsewhere since (DNS rebinding)
    except RefusedAddress as exc:
        return None, f"Not sent: {exc}"[:500]
    parts = urlsplit(url)
    connection = _connection(url, address)
    try:
        connection.request("POST", urlunsplit(("", "", parts.path or "/", parts.query, "")), body=body,
                           headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, str(exc)[:500] or type(exc).__name__
    finally:
        connection.close()
    return status, "" if 200 <= status < 300 else f"HTTP {status}"


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update().select_related("subscription", "event")
                    .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING).first())
        if delivery is None or delivery.next_attempt_at > now or (
                delivery.claimed_until and delivery.claimed_until > now):
            return None
        delivery.claimed_until = now + LEASE
        delivery.attempts += 1
        delivery.save(update_fields=["claimed_until", "attempts"])
    return delivery


def deliver(delivery_id: int) -> timedelta | None:
    """POST one delivery now if it is due and nobody else is sending it. Returns how long until
    it should be tried again (None when delivered, given up, or not this sender's to send)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    subscription, event = delivery.subscription, delivery.event
    body = json.dumps(event_body(event), separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {"Content-Type": "application/json", "User-Agent": "Footprint-Webhooks/1",
               "Footprint-Event": event.type, "Footprint-Delivery": str(delivery.pk),
               "Footprint-Timestamp": str(timestamp), SIGNATURE_HEADER: sign(subscription.secret, timestamp, body)}
    started = time.monotonic()
    status, error = _post(subscription.url, body, headers)
    took = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    WebhookAttempt.objects.create(delivery=delivery, status_code=status, error=error, duration_ms=took)
    delivery.claimed_until = None
    delivery.last_status_code, delivery.last_error = status, error
    retry_in = None
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, now
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        logger.warning("Webhook delivery %s to %s failed %s times; giving up", delivery.pk, subscription.name,
                       delivery.attempts)
    else:
        retry_in = backoff(delivery.attempts)
        delivery.next_attempt_at = now + retry_in
    delivery.save(update_fields=["claimed_until", "last_status_code", "last_error", "status", "delivered_at",
                                 "next_attempt_at"])
    return retry_in


def queue_deliveries(ids: list[int]) -> None:
    """After the event's transaction commits: one task per delivery, never waiting on the
    broker (what cannot be queued is sent by ``deliver_due_webhooks``)."""
    from .tasks import deliver_webhook

    for pk in ids:
        queue_without_waiting(deliver_webhook, pk)


def due_deliveries() -> list[int]:
    now = timezone.now()
    return list(WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
                .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:500])


def deliver_due() -> int:
    """Beat's job: send every delivery that is due (a retry, or one whose task was never queued
    or was lost). Returns how many it tried."""
    ids = due_deliveries()
    for pk in ids:
        deliver(pk)
    return len(ids)
