"""Celery tasks: thin wrappers over services."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> str:
    """Run a queued import (a job already started or finished is left alone)."""
    return services.run_import_job(job_id)
