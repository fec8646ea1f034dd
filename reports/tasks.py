"""Celery tasks: thin wrappers over services."""

from celery import shared_task

from . import services


@shared_task
def send_monthly_report_email() -> bool:
    """Beat runs this every weekday morning; it sends only on the month's first working day."""
    return services.send_monthly_report_email()
