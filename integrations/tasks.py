"""Celery tasks: thin wrappers over the integrations services."""

from celery import shared_task

from . import idempotency


@shared_task
def purge_idempotency_keys() -> int:
    """Beat, hourly: forget the answers to requests older than 24 hours."""
    return idempotency.purge_expired()


@shared_task(bind=True)
def deliver_webhook(self, delivery_id: int) -> bool:
    """POST one webhook delivery; a failure comes back after its backoff (with no broker, the
    beat job ``deliver_due_webhooks`` sends it then instead)."""
    from . import webhooks

    retry_in = webhooks.deliver(delivery_id)
    if retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=retry_in.total_seconds(), max_retries=None)
    return retry_in is None


@shared_task
def deliver_due_webhooks() -> int:
    """Beat, every minute: deliveries due and not being sent (retries; all of them in the demo)."""
    from . import webhooks

    return webhooks.deliver_due()
