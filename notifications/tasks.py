"""Celery tasks: thin wrappers over services.

Every one is safe to run twice (emails are claimed before they are sent, digests likewise), so
they are acknowledged late and handed back if their worker dies (CELERY_TASK_ACKS_LATE,
CELERY_TASK_REJECT_ON_WORKER_LOST in the settings).
"""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from . import services

EMAIL_RETRIES = {"autoretry_for": (Exception,), "retry_backoff": True, "retry_backoff_max": 600,
                 "retry_jitter": False, "max_retries": 8}


def _come_back_for_held(task, delivery: services.Delivery, args: tuple) -> None:
    """Notifications another sender has claimed are tried again when the claim runs out: if
    that sender died (its worker killed), this is when the email goes."""
    if not delivery.held or task.request.is_eager:
        return
    countdown = max(1, (delivery.held_until - timezone.now()).total_seconds() + 1)
    raise task.retry(args=args, countdown=countdown)


@shared_task(bind=True, **EMAIL_RETRIES)
def send_notification_email(self, notification_id: int) -> bool:
    """Email one notification; retried with backoff; never sent by two senders at once."""
    delivery = services.send_notification_emails([notification_id])
    _come_back_for_held(self, delivery, (notification_id,))
    return delivery.sent == 1


@shared_task(bind=True, **EMAIL_RETRIES)
def send_notification_emails(self, notification_ids: list[int]) -> int:
    """Email a batch of notifications; a retry skips those already emailed."""
    delivery = services.send_notification_emails(notification_ids)
    _come_back_for_held(self, delivery, (delivery.held,))
    return delivery.sent


@shared_task
def send_daily_digests() -> int:
    return services.send_daily_digests()


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=60, max_retries=5)
def queue_pending_emails() -> int:
    """Beat's catch-up job (every 2 minutes). A database error retries it within the minute
    instead of waiting for the next run; a broker error is handled inside (it sends instead)."""
    return services.queue_pending_emails()
