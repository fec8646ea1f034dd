"""Integrations: remembered answers to retried requests, the events log, webhook subscriptions
and their delivery log. None of these are in the admin: they can hold DO data."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from workflows.clocks import now as clock_now
from workflows.models import append_only


class IdempotencyKey(models.Model):
    """The first answer to a POST or PATCH sent with an ``Idempotency-Key`` header, kept for 24
    hours so the same request sent again (a retry after a timeout) gets the same answer instead
    of moving the case twice. The unique key is what makes two concurrent sends safe: the
    second finds the first's row, in progress (409) or answered (replayed)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, address and body.")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=clock_now, db_index=True)
    locked_until = models.DateTimeField(
        null=True, blank=True, help_text="While the first request runs: a crashed one is taken over after this.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content = models.BinaryField(default=bytes)
    headers = models.JSONField(default=dict)
    replay_from = models.CharField(
        max_length=500, blank=True,
        help_text="A DO answer is not kept: the address of the DO case whose current detail answers a retry "
                  "(read through the DO gate again, and logged).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_principal")]

    def __str__(self):
        return f"Idempotency-Key {self.key}"


class Event(models.Model):
    """Something that happened to a case, for other systems: written in the same transaction
    as the case's timeline event (``integrations.events``), never changed afterwards.

    ``position`` orders the log in commit order (a counter locked until the writing transaction
    commits), so a reader's cursor never skips an event committed late. DO events
    (``area = "do"``) are read only by the DO team and DO-scoped subscribers."""

    class Area(models.TextChoices):
        DRP = "drp", "Dispute Resolution Procedure"
        POSITIVE_PRACTICE = "positive-practice", "Positive practice"
        DO = "do", "Designated Officer"

    position = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(default=clock_now)
    type = models.CharField(max_length=60, db_index=True)
    area = models.CharField(max_length=20, choices=Area.choices)
    object_id = models.PositiveBigIntegerField()
    reference = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["area", "object_id"])]
        triggers = [append_only()]

    def __str__(self):
        return f"{self.type} {self.reference} #{self.position}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("Events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Events are append-only.")


class WebhookSubscription(models.Model):
    """A system told of events by signed POSTs. It gets exactly the events its owner may see:
    DRP and positive-practice events for an IRO Manager's subscription, DO events only for a
    DO Manager's DO subscription (``area``)."""

    class Scope(models.TextChoices):
        CASEWORK = "casework", "DRPs and positive practice"
        DO = "do", "Designated Officer"

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, help_text="Signs each delivery (HMAC-SHA256).")
    event_types = models.JSONField(default=list, help_text="Event types sent; empty for all its scope allows.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.CASEWORK)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock_now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event to one subscription: written with the event (so none is lost when the broker
    is down), POSTed by a task, retried with exponential backoff until it is delivered or
    ``WEBHOOK_MAX_ATTEMPTS`` is reached."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock_now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="one_delivery_per_event")]
        indexes = [models.Index(fields=["next_attempt_at", "id"], name="webhook_pending_due",
                                condition=models.Q(status="pending"))]


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, the receiver's status code or the error. Added to only."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=clock_now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]
