"""Celery tasks, and how a job gets to one: a task when there is a broker; with none (the
demo), a thread of this process, or inline when FOOTPRINT_IMPORT_IN_THREAD is off."""

from __future__ import annotations

import threading

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction

from workflows.broker import queue_without_waiting

from . import jobs
from .models import ImportJob


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> str:
    """Run a queued import (one running elsewhere, or finished, is left alone; one whose worker
    died is failed, for its uploader to try again)."""
    return jobs.run(job_id)


@shared_task
def sweep_import_jobs() -> dict:
    """What beat runs every 5 minutes: fail jobs whose worker is gone, delete expired files,
    and send again the jobs still waiting for a worker (their task could not be queued, or
    was lost)."""
    outcome = jobs.sweep()
    waiting = jobs.still_waiting()
    for job_id in waiting:
        dispatch(job_id)
    return {**outcome, "sent_again": len(waiting)}


def queue(job: ImportJob) -> None:
    """Run ``job`` once the transaction that saved it commits."""
    job_id = job.pk
    transaction.on_commit(lambda: dispatch(job_id))


def dispatch(job_id: int) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.FOOTPRINT_IMPORT_IN_THREAD:
        threading.Thread(target=_run_in_thread, args=(job_id,), daemon=True,
                         name=f"import-job-{job_id}").start()
    else:  # one short try: a broker that is down never fails the upload; the sweep sends it later
        queue_without_waiting(run_import_job, job_id)


def _run_in_thread(job_id: int) -> None:
    try:
        jobs.run(job_id)
    finally:
        connection.close()  # this thread's own connection
