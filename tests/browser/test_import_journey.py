"""A large import in the browser: the IRO Manager uploads a file, follows its progress and
sees the outcome. The page works without JavaScript (a Check progress button) and with it
(the page asks for progress and reloads itself when the import has finished). A large file's
preview is checked the same way ("Checking the file"), then shows what importing would do.
Every page state is checked with axe-core against WCAG 2.2 A and AA at desktop width and on a
phone (390 px), where no page scrolls sideways (the preview and problem tables stack into cards)."""

import re

import pytest

from .conftest import assert_accessible
from .test_drp_journey import sign_in

DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def check_both_widths(page, what):
    """axe at desktop width and at 390 px, where the page must not scroll sideways."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_accessible(page, f"{what} at {size['width']} px")
        if size is PHONE:
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{what} scrolls sideways at 390 px (scrollWidth {width})"
    page.set_viewport_size(DESKTOP)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEADER = ("reference,case_type,child_references,team,raised_on,start_stage,themes,status,"
          "closed_on,closed_at_stage")


@pytest.fixture
def background_imports(settings):
    """Every file counts as large; with no broker the job runs in a thread of the server."""
    settings.FOOTPRINT_IMPORT_INLINE_MAX_BYTES = 10
    settings.FOOTPRINT_IMPORT_IN_THREAD = True


@pytest.fixture
def running_job(org):
    """A job part-way through: 5,000 rows checked, 1,500 written (as its cache entry says)."""
    from imports import jobs
    from imports.models import ImportJob

    job = ImportJob.objects.create(kind="drp", filename="ten-years.csv", uploaded_by=org.iro_manager,
                                   status=ImportJob.Status.RUNNING)
    jobs.cache.set(jobs.progress_key(job.pk), {"checked": 5000, "written": 1500})
    yield job
    jobs.cache.delete(jobs.progress_key(job.pk))


def test_a_running_import_shows_its_progress_without_javascript(org, running_job, browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, "iro-manager")
        page.goto(f"/imports/jobs/{running_job.pk}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Import of ten-years.csv")
        expect(page.locator("#import-status")).to_contain_text("1,500 of 5,000 rows written")
        check = page.get_by_role("button", name="Check progress")
        expect(check).to_be_visible()
        check.click()
        expect(page.locator("#import-status")).to_contain_text("Importing")
    finally:
        context.close()


def test_a_running_import_updates_itself_with_javascript(org, running_job, page):
    from imports import jobs

    sign_in(page, "iro-manager")
    page.goto(f"/imports/jobs/{running_job.pk}/")
    expect(page.locator("#import-status")).to_contain_text("1,500 of 5,000 rows written")
    check_both_widths(page, "a running import")
    # The job moves on (its progress lives in this process's cache, as the server's does).
    jobs.cache.set(jobs.progress_key(running_job.pk), {"checked": 5000, "written": 3500})
    expect(page.locator("#import-status")).to_contain_text("3,500 of 5,000 rows written")


def test_an_uploaded_file_is_followed_to_its_outcome(org, background_imports, page, tmp_path):
    rows = [f"BIG-{n},CLA,C00000{1 + n % 2},north-1,2024-05-0{1 + n % 9},informal,placement,"
            f"resolved,2024-06-0{1 + n % 9},stage-1" for n in range(40)]
    path = tmp_path / "forty.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    sign_in(page, "iro-manager")
    page.goto("/imports/")
    check_both_widths(page, "the import page")
    page.get_by_label("DRPs").check()
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    # The job page: it polls, then reloads itself with the outcome.
    expect(page).to_have_url(re.compile(r"/imports/jobs/\d+/$"))
    expect(page.locator(".govuk-panel__title")).to_have_text("Import finished", timeout=30_000)
    expect(page.locator("#created")).to_have_text("40")
    check_both_widths(page, "a finished import")


def test_a_file_is_previewed_then_imported(org, background_imports, page, tmp_path):
    """Issue 13: labels and UK dates accepted; the preview shows what will be created before
    anything is written; "Import" then imports it."""
    rows = [f"PRE-{n},Looked-after child,C00000{1 + n % 2},North Team 1,0{1 + n % 9}/05/2024,Stage 1,PLACEMENT,"
            f"Resolved,2024-06-0{1 + n % 9},stage 2" for n in range(12)]
    path = tmp_path / "twelve.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    sign_in(page, "iro-manager")
    page.goto("/imports/")
    page.get_by_text("DRPs: columns and allowed values").click()
    expect(page.locator("#columns-drp")).to_contain_text("stage-1")
    check_both_widths(page, "the import page with a kind's columns open")
    page.get_by_label("DRPs").check()
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Check and preview").click()
    # A large file: checked by a job ("Checking the file"), the page reloads itself with the preview.
    expect(page).to_have_url(re.compile(r"/imports/jobs/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check what will be imported", timeout=30_000)
    expect(page.locator("#created")).to_have_text("12")
    expect(page.locator("table")).to_contain_text("PRE-9")
    check_both_widths(page, "the import preview")
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Import finished", timeout=30_000)
    expect(page.locator("#created")).to_have_text("12")
    check_both_widths(page, "the previewed import, finished")


@pytest.fixture
def checking_job(org):
    """A large file's preview part-way: 5,000 rows checked (as its cache entry says)."""
    from imports import jobs
    from imports.models import ImportJob

    job = ImportJob.objects.create(kind="drp", filename="ten-years.csv", uploaded_by=org.iro_manager,
                                   status=ImportJob.Status.RUNNING, dry_run=True)
    jobs.cache.set(jobs.progress_key(job.pk), {"checked": 5000, "written": 0})
    yield job
    jobs.cache.delete(jobs.progress_key(job.pk))


def test_a_large_preview_says_it_is_checking_the_file(org, checking_job, page):
    sign_in(page, "iro-manager")
    page.goto(f"/imports/jobs/{checking_job.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Checking ten-years.csv")
    expect(page.locator("#import-status-tag")).to_have_text("Checking the file")
    expect(page.locator("#import-status")).to_contain_text("5,000 rows checked")
    check_both_widths(page, "a large preview being checked")


def test_a_large_preview_with_problems_lists_them_on_a_phone(org, background_imports, page, tmp_path):
    rows = [f"BAD-{n},CLA,C000001,nowhere-team-{n},2024-05-01,informal,placement,resolved,2024-06-01,stage-1"
            for n in range(3)]
    path = tmp_path / "three-bad.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    sign_in(page, "iro-manager")
    page.goto("/imports/")
    page.get_by_label("DRPs").check()
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Check and preview").click()
    expect(page.locator("#import-status-tag")).to_have_text("Nothing imported: the file has problems",
                                                            timeout=30_000)
    expect(page.locator(".govuk-error-summary")).to_contain_text("Row 4, team")
    check_both_widths(page, "a large preview refused, with its problems")


@pytest.fixture
def lost_job(org, background_imports):
    """A job whose worker died part-way (as a killed worker leaves it): running, its heartbeat
    an hour old, its file still kept."""
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from imports import jobs
    from imports.models import ImportJob

    rows = [f"LOST-{n},CLA,C000001,north-1,2024-05-01,informal,placement,resolved,2024-06-01,"
            for n in range(12)]
    upload = SimpleUploadedFile("lost.csv", "\n".join([HEADER, *rows, ""]).encode())
    job = jobs.create(kind="drp", upload=upload, actor=org.iro_manager)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, attempts=1,
                                               started_at=an_hour_ago, heartbeat_at=an_hour_ago)
    return job


def test_an_import_whose_worker_died_shows_failed_and_is_tried_again(org, lost_job, page):
    sign_in(page, "iro-manager")
    page.goto(f"/imports/jobs/{lost_job.pk}/")
    expect(page.locator("#import-status-tag")).to_have_text("Failed")
    expect(page.locator("#import-failure")).to_contain_text("Nothing was written")
    check_both_widths(page, "an import whose worker died")
    page.get_by_role("button", name="Try again").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Import finished", timeout=30_000)
    expect(page.locator("#created")).to_have_text("12")
