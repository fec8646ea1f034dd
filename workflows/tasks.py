"""Celery tasks: thin wrappers over the sweep."""

from celery import shared_task

from .reminders import run_sweep


@shared_task(acks_late=True)
def run_reminder_sweep() -> int:
    """What beat runs every 15 minutes (schedule editable in the admin)."""
    return len(run_sweep())
