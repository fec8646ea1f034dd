"""Large imports as background jobs: kept file, claim, heartbeat, outcome, retry, clean-up.

A job's worker claims it (queued → running) and, while the import runs, renews
``heartbeat_at`` every tenth of the lease from a thread with a connection of its own (the import
itself writes in one transaction nobody sees until it commits). When the worker is killed, the
heartbeat stops: once it is older than ``FOOTPRINT_IMPORT_LEASE_SECONDS`` the job is failed
("nothing was written": the transaction died with the worker) by whoever looks first: its page,
its API status, the task sent again by the broker, or the periodic sweep. Its uploader can
then try it again; the file is deleted when the job ends (done or refused), or when a failed
job's retry window (``FOOTPRINT_IMPORT_RETRY_HOURS``) has passed.

"Done" is written in the import's own transaction, and only while the job is still this
worker's (running, same attempt): a job failed for a lost heartbeat can never turn out to
have been written after all.

Queuing (a Celery task, or a thread with no broker) is ``imports.tasks``'s; this module does
not import it.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from people.models import User
from workflows.exceptions import TransitionRefused

from . import registry, services
from .models import ImportJob

logger = logging.getLogger(__name__)

Status = ImportJob.Status

WORKER_LOST = ("The import stopped before it finished: the process running it stopped (a restart, "
               "or it ran out of memory). Nothing was written. You can try again.")
SERVER_ERROR = ("The import stopped because of an error on our side; nothing was written. Try again, "
                "and tell the system administrator if it happens again.")


class JobLost(Exception):
    """The job stopped being this worker's while it imported: write nothing."""


def lease() -> timedelta:
    return timedelta(seconds=settings.FOOTPRINT_IMPORT_LEASE_SECONDS)


def _error(message: str) -> list[dict]:
    return [{"row": 0, "column": "", "message": message}]


# --- Starting ------------------------------------------------------------------------------


def create(*, kind: str, upload, actor: User, create_children: bool = False,
           status: str = Status.QUEUED, dry_run: bool = False) -> ImportJob:
    """Keep the file for a job (``imports.tasks.queue`` runs it once the transaction commits;
    a ``previewed`` one waits for ``confirm``). Refuses the wrong role (PermissionDenied) and
    an unreadable or bomb-like file (``readers.FileRefused``) before keeping anything."""
    registry.require_importer(actor, kind)
    services.check_upload(upload)
    sweep()
    job = ImportJob(kind=kind, filename=upload.name[:255], size=upload.size or 0, uploaded_by=actor,
                    create_children=create_children, status=status, dry_run=dry_run)
    job.file.save(upload.name, upload, save=False)
    job.save()
    return job


def preview(job: ImportJob) -> services.Result:
    """Check a previewed job's file and say what importing it would do (nothing is written).
    A file with problems is not kept: its job is refused, with every error."""
    with job.file.open("rb") as upload:
        result = services.run_import(kind=job.kind, upload=upload, filename=job.filename, actor=job.uploaded_by,
                                     create_children=job.create_children, dry_run=True)
    fields = _preview_fields(result)
    if not result.ok:
        fields.update(status=Status.REFUSED, errors=result.errors, finished_at=timezone.now())
        _delete_file(job)
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    return result


def _preview_fields(result: services.Result) -> dict:
    """What a preview found, kept on its job for the preview page and the API."""
    return {"rows": result.rows, "created": result.created, "updated": result.updated,
            "new_children": result.new_children, "preview": result.preview}


def confirm(*, job_id: int, actor: User) -> ImportJob:
    """Its uploader imports a previewed file ("Import" on the preview): queued, to be run by
    ``run`` (inline for a small file, by a worker for a large one). Not theirs: DoesNotExist;
    not previewed, or its file deleted since: TransitionRefused (409)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id, uploaded_by=actor)
        if job.status != Status.PREVIEWED:
            raise TransitionRefused(f"The import of {job.filename} is {job.get_status_display().lower()}: "
                                    "only a previewed file can be imported from its preview.")
        if not job.file:
            raise TransitionRefused(f"The file {job.filename} was deleted {settings.FOOTPRINT_IMPORT_RETRY_HOURS} "
                                    "hours after it was previewed: upload it again.")
        registry.require_importer(actor, job.kind)
        job.status, job.dry_run, job.queued_at = Status.QUEUED, False, timezone.now()
        job.rows = job.created = job.updated = 0
        job.save(update_fields=["status", "dry_run", "queued_at", "rows", "created", "updated"])
    return job


# --- Running -------------------------------------------------------------------------------


def progress_key(job_id: int) -> str:
    return f"imports:job:{job_id}:progress"


class Heartbeat(threading.Thread):
    """Renews a running job's lease from this thread's own database connection."""

    def __init__(self, job_id: int, attempt: int):
        super().__init__(name=f"import-heartbeat-{job_id}", daemon=True)
        self.job_id, self.attempt = job_id, attempt
        self.stopped = threading.Event()
        self.interval = max(settings.FOOTPRINT_IMPORT_LEASE_SECONDS / 10, 0.05)

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    ImportJob.objects.filter(pk=self.job_id, status=Status.RUNNING, attempts=self.attempt).update(
                        heartbeat_at=timezone.now())
                except DatabaseError:  # SQLite: the import holds the only write lock; next beat
                    logger.info("Import job %s: heartbeat not written this time", self.job_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def run(job_id: int, *, heartbeat: bool = True) -> str:
    """Run a queued job once: claim it, import its file, record the outcome. A job sent again
    after its worker died is failed (nothing was written) for its uploader to try again.
    ``heartbeat=False``: a small file imported while its page waits (no lease to renew)."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1)
    if not claimed:
        if fail_lost(pk=job_id):
            return Status.FAILED
        return "not queued"
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    attempt = job.attempts
    key = progress_key(job_id)
    state = {"checked": 0, "written": 0}

    def progress(phase: str, rows: int) -> None:
        state[phase] = rows
        cache.set(key, dict(state), timeout=24 * 3600)

    def record_done(result: services.Result) -> None:
        """In the import's transaction: done, if the job is still this worker's."""
        if not ImportJob.objects.filter(pk=job_id, status=Status.RUNNING, attempts=attempt).update(
                status=Status.DONE, rows=result.rows, created=result.created, updated=result.updated,
                errors=[], finished_at=timezone.now()):
            raise JobLost

    beat = Heartbeat(job_id, attempt) if heartbeat else None
    if beat:
        beat.start()
    try:
        with job.file.open("rb") as upload:
            result = services.run_import(kind=job.kind, upload=upload, filename=job.filename,
                                         actor=job.uploaded_by, create_children=job.create_children,
                                         progress=progress, before_commit=record_done, dry_run=job.dry_run)
        if job.dry_run and result.ok:  # checked: it waits, file kept, for its uploader's "Import"
            _end(job_id, attempt, status=Status.PREVIEWED, **_preview_fields(result))
            job.refresh_from_db()
            return job.status
    except JobLost:
        logger.warning("Import job %s was failed while it ran; nothing was written", job_id)
        outcome = None
    except PermissionDenied as exc:  # no longer allowed to import this kind
        outcome = _end(job_id, attempt, status=Status.REFUSED, errors=_error(str(exc)))
    except Exception:
        logger.exception("Import job %s failed", job_id)
        outcome = _end(job_id, attempt, status=Status.FAILED, errors=_error(SERVER_ERROR))
    else:
        if result.ok:
            outcome = Status.DONE
        else:
            outcome = _end(job_id, attempt, status=Status.REFUSED, rows=result.rows, errors=result.errors)
    finally:
        if beat:
            beat.stop()
        cache.delete(key)
    if outcome in (Status.DONE, Status.REFUSED):
        _delete_file(job)
    job.refresh_from_db()
    return job.status


def _end(job_id: int, attempt: int, **fields) -> str | None:
    """Record how a run ended, if the job is still this run's."""
    fields.setdefault("created", 0)
    fields.setdefault("updated", 0)
    changed = ImportJob.objects.filter(pk=job_id, status=Status.RUNNING, attempts=attempt).update(
        finished_at=timezone.now(), **fields)
    return fields["status"] if changed else None


def _delete_file(job: ImportJob) -> None:
    if job.file:
        job.file.delete(save=False)
    ImportJob.objects.filter(pk=job.pk).update(file="")


# --- Lost workers, retries, clean-up --------------------------------------------------------


def _lost(now=None) -> Q:
    cutoff = (now or timezone.now()) - lease()
    return Q(status=Status.RUNNING) & (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True,
                                                                       started_at__lt=cutoff))


def is_lost(job: ImportJob, now=None) -> bool:
    """Running, with no heartbeat for longer than the lease: its worker is gone."""
    if job.status != Status.RUNNING:
        return False
    beat = job.heartbeat_at or job.started_at
    return beat is not None and beat < (now or timezone.now()) - lease()


def fail_lost(**filters) -> int:
    """Fail the running jobs (of ``filters``) whose worker is gone; returns how many."""
    now = timezone.now()
    return ImportJob.objects.filter(_lost(now), **filters).update(
        status=Status.FAILED, finished_at=now, rows=0, created=0, updated=0, errors=_error(WORKER_LOST))


def sweep() -> dict[str, int]:
    """Fail jobs whose worker is gone, and delete the files of failed jobs whose retry window
    has passed (and of previews never confirmed in that time). Run by beat (``imports.tasks.sweep_import_jobs``) and whenever a job starts."""
    failed = fail_lost()
    cutoff = timezone.now() - timedelta(hours=settings.FOOTPRINT_IMPORT_RETRY_HOURS)
    expired = list(ImportJob.objects.filter(Q(status=Status.FAILED, finished_at__lte=cutoff)
                                            | Q(status=Status.PREVIEWED, queued_at__lte=cutoff)).exclude(file=""))
    for job in expired:
        _delete_file(job)
    return {"failed": failed, "files_deleted": len(expired)}


def still_waiting() -> list[int]:
    """Jobs queued longer than ``FOOTPRINT_IMPORT_REQUEUE_SECONDS`` ago that no worker has
    claimed: their task was never queued (the broker was down) or was lost. Each is marked
    queued again now, so the next sweep waits as long again before sending it once more; a job
    sent twice still runs once (``run`` claims it)."""
    cutoff = timezone.now() - timedelta(seconds=settings.FOOTPRINT_IMPORT_REQUEUE_SECONDS)
    with transaction.atomic():
        waiting = list(ImportJob.objects.select_for_update(skip_locked=True)
                       .filter(status=Status.QUEUED, queued_at__lt=cutoff).values_list("pk", flat=True))
        ImportJob.objects.filter(pk__in=waiting, status=Status.QUEUED).update(queued_at=timezone.now())
    return waiting


def job_for(user, job_id: int) -> ImportJob:
    """A job its uploader may follow (anyone else: ImportJob.DoesNotExist), failed first if
    its worker is gone, so that nobody watches a dead import "running" for ever."""
    job = ImportJob.objects.get(pk=job_id, uploaded_by=user)
    if is_lost(job):
        try:
            fail_lost(pk=job.pk)
        except DatabaseError:  # SQLite busy with an import: say so on the next look
            return job
        job.refresh_from_db()
    return job


def can_retry(job: ImportJob) -> bool:
    return job.status == Status.FAILED and bool(job.file)


def retry(*, job_id: int, actor: User) -> ImportJob:
    """Its uploader tries a failed job again with the same file (``imports.tasks.queue`` runs
    it). Not theirs: DoesNotExist (404); not failed, or its file gone: TransitionRefused (409);
    no longer allowed to import that kind: PermissionDenied (403)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id, uploaded_by=actor)
        if is_lost(job):
            fail_lost(pk=job.pk)
            job.refresh_from_db()
        if job.status != Status.FAILED:
            raise TransitionRefused(f"The import of {job.filename} is {job.get_status_display().lower()}: "
                                    "only a failed import can be tried again.")
        if not job.file:
            raise TransitionRefused(f"The file {job.filename} was deleted "
                                    f"{settings.FOOTPRINT_IMPORT_RETRY_HOURS} hours after the import failed: "
                                    "upload it again.")
        registry.require_importer(actor, job.kind)
        job.status, job.queued_at = Status.QUEUED, timezone.now()
        job.errors = []
        job.rows = job.created = job.updated = 0
        job.started_at = job.finished_at = job.heartbeat_at = None
        job.save()
    return job


def progress(job: ImportJob) -> dict:
    """Where a job has got to, for its page, the page's script and the API."""
    live = cache.get(progress_key(job.pk)) or {}
    checking = job.dry_run and job.status in (Status.QUEUED, Status.RUNNING)
    return {"status": job.status, "status_display": "Checking the file" if checking else job.get_status_display(),
            "dry_run": job.dry_run,
            # A preview is finished once checked: nothing more happens until its uploader imports it.
            "finished": job.finished or job.status == Status.PREVIEWED, "rows": job.rows or live.get("checked", 0),
            "checked": live.get("checked", job.rows), "written": live.get("written", 0),
            "created": job.created, "updated": job.updated, "errors": len(job.errors),
            "can_retry": can_retry(job)}
