"""Import jobs in the background (issue 11 §1): a large API import answers 202 with a job, a killed
job is marked failed and can be retried, a job failed while it ran writes nothing, failed files are
deleted when the retry window ends, lost running jobs are swept, an uploader who lost the role is
refused, and imported cancellations are counted by the live rule."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from drp.models import DisputeResolution
from imports import jobs, services, tasks
from imports.models import ImportJob
from lado.models import Enquiry
from tests.support.auth import login
from tests.support.import_rules import api_client, csv_bytes, drp_row, lado_row
from workflows.clocks import today
from workflows.exceptions import TransitionRefused

REPO = Path(__file__).resolve().parents[2]


def page_client(user):
    client = Client()
    login(client, user)
    return client


# --- Background jobs -------------------------------------------------------------------------

@pytest.fixture
def large_threshold(settings):
    settings.FOOTPRINT_IMPORT_INLINE_MAX_BYTES = 10


def test_large_api_import_answers_202_with_job(org, large_threshold, django_capture_on_commit_callbacks):
    api = api_client(org.iro_manager)
    content = csv_bytes([drp_row(reference=f"J-{n}") for n in range(3)])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/imports/", {"kind": "drp", "file": SimpleUploadedFile("big.csv", content)},
                            format="multipart")
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    body = response.json()
    assert body["id"] == job.pk and body["url"] == f"/api/v1/imports/jobs/{job.pk}/"
    assert response["Location"] == body["url"]
    status = api.get(body["url"])
    assert status.status_code == 200
    assert status.json()["status"] == "done" and status.json()["created"] == 3
    assert DisputeResolution.objects.count() == 3
    # Only its uploader follows it.
    assert api_client(org.business_support).get(body["url"]).status_code == 404
    assert api_client(org.do_manager).get(body["url"]).status_code == 404
    # A refused file: 202, then the job lists every error.
    bad = csv_bytes([drp_row(reference="K-1", team="nowhere")])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/imports/", {"kind": "drp", "file": SimpleUploadedFile("bad.csv", bad)},
                            format="multipart")
    refused = api.get(response.json()["url"]).json()
    assert refused["status"] == "refused" and refused["errors"][0]["column"] == "team"
    # A DO Manager's job of DO cases is theirs alone.
    do_api = api_client(org.do_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = do_api.post("/api/v1/imports/", {"kind": "lado", "file": SimpleUploadedFile(
            "do.csv", csv_bytes([lado_row()], "lado"))}, format="multipart")
    assert response.status_code == 202 and do_api.get(response.json()["url"]).json()["status"] == "done"
    assert api.get(response.json()["url"]).status_code == 404


def test_an_import_started_while_the_broker_is_down_answers_at_once_and_the_sweep_runs_it_later(
        org, large_threshold, broker_unplugged, settings, django_capture_on_commit_callbacks):
    """The job is kept before its task is queued: a broker refusing connections costs the upload
    one quick try (202, never a 500 for a job that exists), and beat's import job sweep sends
    the job again once it has waited FOOTPRINT_IMPORT_REQUEUE_SECONDS, once."""
    settings.FOOTPRINT_IMPORT_REQUEUE_SECONDS = 120
    api = api_client(org.iro_manager)
    content = csv_bytes([drp_row(reference=f"B-{n}") for n in range(2)])
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/imports/", {"kind": "drp", "file": SimpleUploadedFile("b.csv", content)},
                            format="multipart")
    assert response.status_code == 202, response.content
    assert time.monotonic() - started < 2, "one short try at the broker"
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.QUEUED
    assert tasks.sweep_import_jobs()["sent_again"] == 0, "not yet: it may still be on its way"
    ImportJob.objects.filter(pk=job.pk).update(queued_at=job.queued_at - timedelta(seconds=121))
    broker_unplugged.conf.task_always_eager = True  # the broker is back (here: tasks run in-process)
    assert tasks.sweep_import_jobs()["sent_again"] == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created == 2
    assert DisputeResolution.objects.count() == 2
    assert tasks.sweep_import_jobs()["sent_again"] == 0


def test_a_job_sent_again_while_its_first_task_waits_runs_once(org, settings):
    """The sweep cannot tell a lost task from a slow one: a job sent twice is run by whichever
    task claims it first, and the other finds it taken."""
    settings.FOOTPRINT_IMPORT_REQUEUE_SECONDS = 120
    job = jobs.create(kind="drp", upload=SimpleUploadedFile("w.csv", csv_bytes([drp_row(reference="W-1")])),
                      actor=org.iro_manager)
    ImportJob.objects.filter(pk=job.pk).update(queued_at=job.queued_at - timedelta(seconds=121))
    assert jobs.still_waiting() == [job.pk]
    assert jobs.still_waiting() == [], "marked queued again now: the next sweep waits as long again"
    assert tasks.run_import_job(job.pk) == ImportJob.Status.DONE
    assert tasks.run_import_job(job.pk) == "not queued"
    assert DisputeResolution.objects.filter(reference="W-1").count() == 1


def test_confirm_and_retry_start_the_wait_again(org, settings):
    """A preview confirmed a day after it was uploaded, or a retried job, is not sent again at
    once as if its task had been lost."""
    job = jobs.create(kind="drp", upload=SimpleUploadedFile("p.csv", csv_bytes([drp_row(reference="P-1")])),
                      actor=org.iro_manager, status=ImportJob.Status.PREVIEWED, dry_run=True)
    ImportJob.objects.filter(pk=job.pk).update(queued_at=job.queued_at - timedelta(hours=2))
    jobs.confirm(job_id=job.pk, actor=org.iro_manager)
    assert jobs.still_waiting() == []
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED,
                                               queued_at=job.queued_at - timedelta(hours=2))
    jobs.retry(job_id=job.pk, actor=org.iro_manager)
    assert jobs.still_waiting() == []


def _database_url() -> str:
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    return f"postgres://{conf['USER']}{password}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


#: A worker process: runs one import job, with its progress in a cache the test can read.
WORKER = """
import os, sys
from django.conf import settings
settings.MEDIA_ROOT = sys.argv[2]
settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                               "LOCATION": sys.argv[3]}}
import django
django.setup()
from imports import tasks
print(tasks.run_import_job(int(sys.argv[1])))
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_killed_import_job_is_marked_failed_and_can_be_retried(org, client, settings, tmp_path):
    """A real worker process is killed (SIGKILL) part-way through writing: nothing was written,
    the job is not left "Importing" for ever: once its lease runs out it shows as failed,
    nothing written; the task sent again by the broker fails it instead of answering "not
    queued"; its uploader (and only they) can try it again, and the file is deleted at the end."""
    settings.FOOTPRINT_IMPORT_LEASE_SECONDS = 1
    rows = [drp_row(reference=f"K-{n:05d}", child_references="C000001;C000002") for n in range(3000)]
    upload = SimpleUploadedFile("ten-years.csv", csv_bytes(rows))
    job = jobs.create(kind="drp", upload=upload, actor=org.iro_manager)
    stored = Path(job.file.path)
    progress_dir = tmp_path / "progress"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(job.pk), str(django_settings.MEDIA_ROOT), str(progress_dir)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _database_url(),
             "FOOTPRINT_IMPORT_LEASE_SECONDS": "1"})
    progress = FileBasedCache(str(progress_dir), {})
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and worker.poll() is None:
            if (progress.get(jobs.progress_key(job.pk)) or {}).get("written", 0) >= services.CHUNK_SIZE:
                break
            time.sleep(0.02)
        assert worker.poll() is None, worker.communicate()
        assert progress.get(jobs.progress_key(job.pk))["written"] >= 500, "killed while writing"
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and job.attempts == 1, "as the dead worker left it"
    assert not DisputeResolution.objects.exists(), "nothing was written"
    assert stored.exists()

    time.sleep(1.2)  # the lease runs out
    assert tasks.run_import_job(job.pk) == ImportJob.Status.FAILED  # the broker sends it again
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "Nothing was written" in job.errors[0]["message"]
    login(client, org.iro_manager)
    html = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "Failed" in html and "Nothing was written" in html and "Try again" in html
    assert "import-progress.js" not in html
    assert client.get(f"/imports/jobs/{job.pk}/progress/").json()["can_retry"] is True

    other = page_client(org.business_support)
    assert other.post(f"/imports/jobs/{job.pk}/retry/").status_code == 404
    assert api_client(org.business_support).post(f"/api/v1/imports/jobs/{job.pk}/retry/").status_code == 404
    response = client.post(f"/imports/jobs/{job.pk}/retry/")
    assert response.status_code == 302 and response["Location"] == f"/imports/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.attempts == 2 and job.created == 3000
    assert DisputeResolution.objects.count() == 3000
    assert not job.file and not stored.exists(), "the file is deleted once the job has ended"
    assert client.post(f"/imports/jobs/{job.pk}/retry/").status_code == 409, "a finished import is not run again"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_failed_while_it_ran_writes_nothing(org, settings, monkeypatch):
    """The worker stalls past its lease and the job page, looking in from another connection,
    fails the job. When the worker comes back and finishes, the job is no longer its own: its
    transaction is rolled back, so "failed, nothing written" stays true. (PostgreSQL: SQLite
    has a single writer, so nobody can fail a job while its import transaction is open.)"""
    if connection.vendor != "postgresql":
        pytest.skip("needs two writers at once (PostgreSQL)")
    settings.FOOTPRINT_IMPORT_LEASE_SECONDS = 0
    monkeypatch.setattr(services, "CHUNK_SIZE", 2)
    job_ids = []
    real_set = jobs.cache.set

    def page_looks_in() -> None:
        try:
            jobs.job_for(org.iro_manager, job_ids[0])  # fails it: its lease has run out
        finally:
            connection.close()

    def progress(key, value, **kw):
        if value.get("written") == 2:
            watcher = threading.Thread(target=page_looks_in)
            watcher.start()
            watcher.join()
        return real_set(key, value, **kw)

    monkeypatch.setattr(jobs.cache, "set", progress)
    upload = SimpleUploadedFile("s.csv", csv_bytes([drp_row(reference=f"S-{n}") for n in range(5)]))
    job = jobs.create(kind="drp", upload=upload, actor=org.iro_manager)
    job_ids.append(job.pk)
    assert jobs.run(job.pk) == ImportJob.Status.FAILED
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.created == 0
    assert "Nothing was written" in job.errors[0]["message"]
    assert not DisputeResolution.objects.exists()
    assert job.file, "kept so that its uploader can try again"


def test_failed_import_file_is_deleted_when_the_retry_window_ends(org, settings):
    settings.FOOTPRINT_IMPORT_RETRY_HOURS = 24
    job = jobs.create(kind="drp", upload=SimpleUploadedFile("f.csv", csv_bytes([drp_row()])), actor=org.iro_manager)
    stored = Path(job.file.path)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED,
                                               finished_at=job.queued_at - timedelta(hours=23))
    assert jobs.sweep()["files_deleted"] == 0 and stored.exists()
    ImportJob.objects.filter(pk=job.pk).update(finished_at=job.queued_at - timedelta(hours=25))
    assert tasks.sweep_import_jobs()["files_deleted"] == 1
    job.refresh_from_db()
    assert not job.file and not stored.exists()
    with pytest.raises(TransitionRefused, match="upload it again"):
        jobs.retry(job_id=job.pk, actor=org.iro_manager)


def test_a_lost_running_job_is_failed_by_the_sweep(org, settings):
    settings.FOOTPRINT_IMPORT_LEASE_SECONDS = 60
    job = jobs.create(kind="drp", upload=SimpleUploadedFile("f.csv", csv_bytes([drp_row()])), actor=org.iro_manager)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, attempts=1,
                                               started_at=job.queued_at - timedelta(minutes=5),
                                               heartbeat_at=job.queued_at - timedelta(seconds=30))
    assert jobs.sweep()["failed"] == 0, "a heartbeat inside the lease: still running"
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=job.queued_at - timedelta(minutes=2))
    assert jobs.sweep()["failed"] == 1
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.FAILED


def test_a_job_whose_uploader_lost_the_role_is_refused_and_writes_nothing(org):
    job = jobs.create(kind="drp", upload=SimpleUploadedFile("r.csv", csv_bytes([drp_row()])),
                      actor=org.business_support)
    org.business_support.roles.clear()
    assert jobs.run(job.pk) == ImportJob.Status.REFUSED
    job.refresh_from_db()
    assert "cannot import" in job.errors[0]["message"] and not job.file
    assert not DisputeResolution.objects.exists()


def test_imported_cancellations_are_counted_by_the_live_rule(org):
    """One rule for the live app and the importer (lado.clocks.closing_status / outcome_row): a
    case cancelled before a threshold decision is imported as such and counted on its own row,
    not among the outcomes; one cancelled after the threshold was met is an outcome."""
    from lado import clocks as lado_clocks
    from lado.selectors import figures
    from tests.support.import_files import lado_row
    from tests.support.import_files import run as run_file

    when = (today() - timedelta(days=400)).isoformat()
    result = run_file(org, "lado", [
        lado_row(reference="DOH-1", received_on=when, outcome="cancelled", concluded_on=when),
        lado_row(reference="DOH-2", received_on=when, threshold_met="yes", decided_on=when,
                 outcome="cancelled", concluded_on=when),
        lado_row(reference="DOH-3", received_on=when, threshold_met="no", decided_on=when,
                 outcome="cancelled", concluded_on=when),
    ])
    # Advice given closes a case: it cannot also have been cancelled (the file is refused whole).
    assert [(e["row"], e["column"]) for e in result.errors] == [(4, "outcome")], result.errors
    result = run_file(org, "lado", [
        lado_row(reference="DOH-1", received_on=when, outcome="cancelled", concluded_on=when),
        lado_row(reference="DOH-2", received_on=when, threshold_met="yes", decided_on=when,
                 outcome="cancelled", concluded_on=when),
    ])
    assert result.as_dict()["errors"] == []
    rows = {e.reference: lado_clocks.outcome_row(status=e.status, threshold_met=e.threshold_met, outcome=e.outcome)
            for e in Enquiry.objects.all()}
    assert rows == {"DOH-1": "cancelled_before_decision", "DOH-2": "cancelled"}
    day = today() - timedelta(days=400)
    counted = figures(day, day)
    assert counted["outcomes"]["cancelled"] == 1 and counted["cancelled_before_decision"] == 1
