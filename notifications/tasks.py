"""Celery tasks: thin wrappers over services."""

from celery import shared_task

from . import services


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600,
             retry_jitter=False, max_retries=8, acks_late=True)
def send_notification_email(self, notification_id: int) -> bool:
    """Email one notification; retried with backoff; a retry never sends twice."""
    return services.send_notification_email(notification_id)


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600,
             retry_jitter=False, max_retries=8, acks_late=True)
def send_notification_emails(self, notification_ids: list[int]) -> int:
    """Email a batch of notifications; a retry skips those already emailed."""
    return services.send_notification_emails(notification_ids)


@shared_task
def send_daily_digests() -> int:
    return services.send_daily_digests()


@shared_task
def queue_pending_emails() -> int:
    return services.queue_pending_emails()
