"""A large file's preview is checked by a worker, like its import, not while the request waits:
the page shows "Checking the file" and follows it, then what importing would do, with "Import";
the API answers 202 with the job, which ends previewed (its figures and first rows) or refused.
A small file's preview still answers at once (tests/imports/test_import_labels.py)."""

import pytest

from drp.models import DisputeResolution
from imports.models import ImportJob
from tests.support.import_files import client_for, csv_bytes, drp_row, upload

pytestmark = pytest.mark.django_db
Status = ImportJob.Status


@pytest.fixture
def large(settings):
    """Every file counts as large."""
    settings.FOOTPRINT_IMPORT_INLINE_MAX_BYTES = 10


def preview_post(client, content, name="big.csv"):
    return client.post("/imports/", {"kind": "drp", "file": upload(content, name), "step": "preview"})


def test_a_large_preview_shows_checking_then_what_importing_would_do_then_imports(
        org, client, large, django_capture_on_commit_callbacks):
    client.force_login(org.iro_manager)
    content = csv_bytes([drp_row(reference=f"J-{n}") for n in range(3)])
    with django_capture_on_commit_callbacks() as queued:
        response = preview_post(client, content)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/jobs/{job.pk}/"
    assert (job.dry_run, job.status) == (True, Status.QUEUED) and len(queued) == 1
    # Not yet checked: the page says so and follows the job.
    waiting = client.get(response["Location"]).content.decode()
    assert "Checking big.csv" in waiting and "Checking the file" in waiting and "import-progress.js" in waiting
    progress = client.get(f"/imports/jobs/{job.pk}/progress/").json()
    assert (progress["finished"], progress["status_display"], progress["dry_run"]) == (False, "Checking the file", True)
    queued[0]()  # the worker checks the file
    job.refresh_from_db()
    assert (job.status, job.rows, job.created, job.updated) == (Status.PREVIEWED, 3, 3, 0)
    assert [row["reference"] for row in job.preview] == ["J-0", "J-1", "J-2"] and job.file
    assert not DisputeResolution.objects.exists()
    assert client.get(f"/imports/jobs/{job.pk}/progress/").json()["finished"] is True
    page = client.get(response["Location"]).content.decode()
    assert "Check what will be imported" in page and "J-2" in page
    assert '<dd class="govuk-summary-list__value" id="created">3</dd>' in page
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"/imports/jobs/{job.pk}/confirm/")
    assert confirmed.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created) == (Status.DONE, False, 3)
    assert DisputeResolution.objects.count() == 3


def test_a_large_preview_with_problems_lists_them_and_keeps_nothing(org, client, large,
                                                                     django_capture_on_commit_callbacks):
    client.force_login(org.iro_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = preview_post(client, csv_bytes([drp_row(), drp_row(reference="J-2", team="nowhere")]))
    job = ImportJob.objects.get()
    assert job.status == Status.REFUSED and not job.file
    html = client.get(response["Location"]).content.decode()
    assert "Row 3, team" in html and "govuk-error-summary" in html
    assert client.post(f"/imports/jobs/{job.pk}/confirm/").status_code == 409
    assert not DisputeResolution.objects.exists()


def test_the_api_previews_a_large_file_as_a_job(org, large, django_capture_on_commit_callbacks):
    api = client_for(org.iro_manager)
    content = csv_bytes([drp_row(), drp_row(reference="H-2")])
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post("/api/v1/imports/?dry_run=true", {"kind": "drp", "file": upload(content)},
                          format="multipart")
    assert answer.status_code == 202, answer.content
    assert answer.json()["dry_run"] is True and answer["Location"] == answer.json()["url"]
    job = api.get(answer["Location"]).json()
    assert (job["status"], job["finished"], job["created"], job["updated"]) == ("previewed", True, 2, 0)
    assert [row["reference"] for row in job["preview"]] == ["H-1", "H-2"]
    assert not DisputeResolution.objects.exists()
    # A small file's preview still answers at once.
    small = client_for(org.iro_manager)
    from django.test import override_settings

    with override_settings(FOOTPRINT_IMPORT_INLINE_MAX_BYTES=512 * 1024):
        at_once = small.post("/api/v1/imports/?dry_run=true", {"kind": "drp", "file": upload(content)},
                             format="multipart")
    assert at_once.status_code == 200 and at_once.json()["created"] == 2
