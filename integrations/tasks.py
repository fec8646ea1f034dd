"""Celery tasks: thin wrappers over the integrations services."""

from celery import shared_task

from . import idempotency


@shared_task
def purge_idempotency_keys() -> int:
    """Beat, hourly: forget the answers to requests older than 24 hours."""
    return idempotency.purge_expired()
