"""Large import files (issue 5): a background job whose page shows the outcome and how far it has
got, only the uploader follows it, it runs once, and with no broker in a thread of the web
process; older files without the newer enquiry columns still import."""

import time
from datetime import timedelta

import pytest

from drp.models import DisputeResolution
from drp.models import TimelineEvent as DrpEvent
from imports import jobs, services
from imports.models import ImportJob
from lado.models import Enquiry
from tests.support.import_files import (
    COLUMNS,
    PAST,
    csv_bytes,
    drp_row,
    errors_of,
    lado_row,
    run,
    upload,
)

# --- Large files: a background job and its progress page ----------------------------------------

@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def large_threshold(settings):
    """Every file counts as large, so the page hands it to a job."""
    settings.FOOTPRINT_IMPORT_INLINE_MAX_BYTES = 10


def test_a_large_file_is_imported_by_a_job_whose_page_shows_the_outcome(org, client, large_threshold, on_commit):
    client.force_login(org.iro_manager)
    rows = [drp_row(reference=f"J-{n}") for n in range(3)]
    with on_commit(execute=True):
        response = client.post("/imports/", {"kind": "drp", "file": upload(csv_bytes(rows), "big.csv")})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/jobs/{job.pk}/"
    assert job.status == ImportJob.Status.DONE and (job.created, job.updated, job.rows) == (3, 0, 3)
    assert DisputeResolution.objects.count() == 3
    assert not job.file, "the uploaded file is deleted once imported"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "Import finished" in html
    assert '<dd class="govuk-summary-list__value" id="created">3</dd>' in html
    assert "import-progress.js" not in html, "a finished import needs no polling"
    progress = client.get(f"/imports/jobs/{job.pk}/progress/").json()
    assert progress["finished"] is True and progress["created"] == 3


def test_a_refused_large_file_writes_nothing_and_lists_every_problem(org, client, large_threshold, on_commit):
    client.force_login(org.iro_manager)
    content = csv_bytes([drp_row(), drp_row(reference="J-2", team="nowhere")])
    with on_commit(execute=True):
        response = client.post("/imports/", {"kind": "drp", "file": upload(content, "bad.csv")})
    html = client.get(response["Location"]).content.decode()
    assert "govuk-error-summary" in html and "nothing was imported" in html and "Row 3, team" in html
    assert ImportJob.objects.get().status == ImportJob.Status.REFUSED
    assert not DisputeResolution.objects.exists()


def test_a_running_job_shows_how_far_it_has_got(org, client, large_threshold, on_commit, monkeypatch):
    """Progress goes through the cache, as the import's own transaction hides its rows."""
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(services, "CHUNK_SIZE", 2)
    seen = []
    real_set = jobs.cache.set
    monkeypatch.setattr(jobs.cache, "set", lambda key, value, **kw: (seen.append(value),
                                                                         real_set(key, value, **kw)))
    client.force_login(org.iro_manager)
    with on_commit(execute=True):
        client.post("/imports/", {"kind": "drp", "file": upload(
            csv_bytes([drp_row(reference=f"P-{n}") for n in range(5)]), "five.csv")})
    assert {"checked": 2, "written": 0} in seen and {"checked": 5, "written": 4} in seen
    job = ImportJob.objects.get()
    # While it runs (as a job that has checked 5 rows and written 2 would look):
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    jobs.cache.set(jobs.progress_key(job.pk), {"checked": 5, "written": 2})
    html = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "2 of 5 rows written" in html and "Check progress" in html and "import-progress.js" in html
    assert client.get(f"/imports/jobs/{job.pk}/progress/").json()["written"] == 2


def test_only_the_uploader_follows_a_job(org, client, large_threshold, on_commit):
    client.force_login(org.iro_manager)
    with on_commit(execute=True):
        response = client.post("/imports/", {"kind": "drp", "file": upload(csv_bytes([drp_row()]))})
    client.force_login(org.business_support)
    assert client.get(response["Location"]).status_code == 404
    assert client.get(response["Location"] + "progress/").status_code == 404


def test_a_job_runs_once(org, client, large_threshold, on_commit):
    client.force_login(org.iro_manager)
    with on_commit(execute=True):
        client.post("/imports/", {"kind": "drp", "file": upload(csv_bytes([drp_row()]))})
    job = ImportJob.objects.get()
    assert jobs.run(job.pk) == "not queued"
    assert DrpEvent.objects.filter(action=DrpEvent.Action.IMPORTED).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_no_broker_the_job_runs_in_a_thread_of_the_web_process(org, client, large_threshold,
                                                                     settings):
    """The demo has no broker: the import runs beside the page, which can follow it."""
    settings.FOOTPRINT_IMPORT_IN_THREAD = True
    client.force_login(org.iro_manager)
    response = client.post("/imports/", {"kind": "drp", "file": upload(
        csv_bytes([drp_row(reference=f"T-{n}") for n in range(4)]))})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    deadline = time.monotonic() + 30
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.1)
        job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created == 4
    assert DisputeResolution.objects.count() == 4


def test_lado_incident_date_and_school_phase_import_and_an_older_file_without_them_still_does(org):
    incident = PAST - timedelta(days=500)
    rows = [lado_row(reference="PHASED", incident_on=incident.isoformat(), school_phase="secondary"),
            lado_row(reference="WRONG", setting="foster-care", school_phase="primary"),
            lado_row(reference="LATER", incident_on=(PAST + timedelta(days=1)).isoformat())]
    result = run(org, "lado", rows, name="do.csv")
    assert errors_of(result) == {(3, "school_phase"), (4, "incident_on")}
    result = run(org, "lado", rows[:1], name="do.csv")
    assert result.as_dict() == {"created": 1, "updated": 0, "errors": []}
    phased = Enquiry.objects.get(reference="PHASED")
    assert (phased.incident_on, phased.school_phase.slug, phased.is_non_recent) == (incident, "secondary", True)
    older = [c for c in COLUMNS["lado"] if c not in ("incident_on", "school_phase")]
    content = csv_bytes([lado_row(reference="OLD")], header=older, kind="lado")
    assert run(org, "lado", [], name="do.csv", content=content).as_dict() == {"created": 1, "updated": 0,
                                                                               "errors": []}
    assert Enquiry.objects.get(reference="OLD").incident_on is None
