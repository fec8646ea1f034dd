"""What an import may and may not change, tried as an attacker would (issue 11 §1), and how
import jobs survive a killed worker, an upload bomb and a NUL byte.

An import creates records, or updates records an import created that are closed and that
nobody has changed in Footprint since. It never changes a record made in Footprint, nor an open
one: such a row is an error naming the row and the reference, and the file writes nothing.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from children.models import Child
from drp import services as drp_services
from drp.models import DisputeResolution, Stage, Theme
from drp.models import TimelineEvent as DrpEvent
from imports import jobs, registry, services, tasks
from imports.models import ImportJob
from lado import services as lado_services
from lado.models import DestructionLog, Enquiry
from positive_practice import services as pp_services
from positive_practice.models import PositivePractice
from tests.support.auth import api_token, login
from tests.support.factories import resolution
from tests.support.lado_fixtures import concluded, in_progress
from workflows.clocks import today
from workflows.exceptions import TransitionRefused

TODAY = today()
PAST = TODAY - timedelta(days=60)
REPO = Path(__file__).resolve().parents[2]


def columns(kind):
    return registry.get(kind).columns


def csv_bytes(rows, kind="drp"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns(kind))
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns(kind)])
    return out.getvalue().encode()


def drp_row(**kw):
    row = {"reference": "H-1", "case_type": "CLA", "child_references": "C000001", "team": "north-1",
           "raised_on": PAST.isoformat(), "start_stage": "informal", "themes": "placement",
           "status": "resolved", "closed_on": TODAY.isoformat(), "closed_at_stage": ""}
    row.update(kw)
    return row


def lado_row(**kw):
    row = {"reference": "DOH-1", "received_on": PAST.isoformat(), "sector": "public", "setting": "education",
           "category": "physical", "referral_source": "police", "threshold_met": "yes",
           "decided_on": (PAST + timedelta(days=1)).isoformat(),
           "concluded_on": (PAST + timedelta(days=20)).isoformat(), "outcome": "unfounded"}
    row.update(kw)
    return row


def pp_row(**kw):
    row = {"reference": "PPH-1", "case_type": "CP", "child_references": "C000001", "team": "north-1",
           "recorded_on": PAST.isoformat(), "practitioner": "A foster carer", "summary": "Kept the child safe"}
    row.update(kw)
    return row


def run(kind, rows, actor, name="records.csv", **options):
    return services.run_import(kind=kind, upload=SimpleUploadedFile(name, csv_bytes(rows, kind)),
                               filename=name, actor=actor, **options)


def errors_of(result):
    return {(e["row"], e["column"]) for e in result.errors}


def page_client(user):
    client = Client()
    login(client, user)
    return client


def api_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def raise_drp(org, child=None):
    return drp_services.drp_raise(actor=org.iro, children=[child or org.child], case_type="CLA",
                                  themes=[Theme.objects.get(slug="placement")], concern="Plan drifting")


def snapshot(obj, *names):
    obj.refresh_from_db()
    return {name: getattr(obj, name) for name in names}


# --- DRPs ------------------------------------------------------------------------------------


def test_import_refuses_reference_of_live_drp(org, client):
    """The attack: Business Support imports a row with a live South-team DRP's reference, to make
    it a withdrawn Stage 5 DRP of North Team 1 for another child. Refused by every route."""
    live = raise_drp(org, org.other_child)
    before = snapshot(live, "status", "team_id", "stage_id", "closed_on", "raised_on", "imported_from")
    row = drp_row(reference=live.reference, team="north-1", child_references="C000001",
                  start_stage="stage-5", status="withdrawn")
    result = run("drp", [drp_row(reference="OK-1"), row], org.business_support)
    assert errors_of(result) == {(3, "reference")}
    assert live.reference in result.errors[0]["message"]
    assert "an import never changes" in result.errors[0]["message"]
    api = api_client(org.business_support).post(
        "/api/imports/", {"kind": "drp", "file": SimpleUploadedFile("r.csv", csv_bytes([row]))}, format="multipart")
    assert api.status_code == 400 and api.json()["errors"][0]["row"] == 2
    login(client, org.business_support)
    page = client.post("/imports/", {"kind": "drp", "file": SimpleUploadedFile("r.csv", csv_bytes([row]))})
    assert page.status_code == 400 and f"Row 2, reference: {live.reference}" in page.content.decode()
    assert snapshot(live, *before) == before
    assert list(live.children.all()) == [org.other_child]
    assert not DisputeResolution.objects.filter(reference="OK-1").exists(), "the whole file is refused"


def test_import_refuses_open_imported_drp(org):
    """An imported open DRP is live work now: a second import may not close or rewrite it."""
    assert run("drp", [drp_row(status="open", closed_on="")], org.iro_manager).created == 1
    result = run("drp", [drp_row(status="withdrawn", start_stage="stage-5")], org.iro_manager)
    assert errors_of(result) == {(2, "reference")} and "open" in result.errors[0]["message"]
    drp = DisputeResolution.objects.get(reference="H-1")
    assert drp.status == DisputeResolution.Status.AWAITING_RESPONSE and drp.stage.key == "informal"


def test_import_refuses_drp_moved_on_in_footprint_since_it_was_imported(org):
    """Imported open, then escalated and resolved in Footprint: closed and imported, but the
    Footprint record of what happened is not an import's to overwrite."""
    run("drp", [drp_row(status="open", closed_on="")], org.iro_manager)
    drp = DisputeResolution.objects.get(reference="H-1")
    drp_services.drp_escalate(drp=drp, actor=org.iro, reason="No reply in time.")
    drp_services.drp_resolve(drp=drp, actor=org.iro, **resolution("Plan agreed."))
    result = run("drp", [drp_row(status="withdrawn")], org.iro_manager)
    assert errors_of(result) == {(2, "reference")}
    assert "changed in Footprint since it was imported" in result.errors[0]["message"]
    assert DisputeResolution.objects.get(reference="H-1").status == DisputeResolution.Status.RESOLVED


def test_import_cannot_reopen_a_closed_imported_drp(org):
    run("drp", [drp_row()], org.iro_manager)
    result = run("drp", [drp_row(status="open", closed_on="")], org.iro_manager)
    assert errors_of(result) == {(2, "reference")} and "cannot reopen" in result.errors[0]["message"]
    assert DisputeResolution.objects.get(reference="H-1").status == DisputeResolution.Status.RESOLVED


def test_reimport_updates_closed_imported_record(org):
    """A closed record an import made, untouched since, is corrected by importing it again:
    through the state machine, its clocks the services' own (drp.clocks)."""
    from drp import clocks

    run("drp", [drp_row(status="withdrawn", start_stage="informal", closed_on=PAST.isoformat())], org.iro_manager,
        name="first.csv")
    raised = PAST - timedelta(days=10)
    result = run("drp", [drp_row(status="resolved", start_stage="stage-1", raised_on=raised.isoformat(),
                                 closed_at_stage="stage-2", themes="health")], org.iro_manager, name="second.csv")
    assert result.as_dict() == {"created": 0, "updated": 1, "errors": []}
    drp = DisputeResolution.objects.get(reference="H-1")
    assert drp.status == DisputeResolution.Status.RESOLVED and drp.closed_at_stage.key == "stage-2"
    assert drp.imported_from == "second.csv"
    stage_1 = Stage.objects.get(key="stage-1")
    overall = clocks.overall_due(clocks.overall_start(raised_on=raised, formal_started_on=raised))
    assert drp.overall_due_date == overall
    assert drp.stage_due_date == clocks.stage_due(working_days=stage_1.working_days, is_formal=True,
                                                  started_on=raised, overall_due_date=overall)
    assert list(drp.timeline.values_list("action", flat=True)) == ["imported", "imported"]
    assert drp.history.first().history_change_reason == "Imported from second.csv"

    # DO: the retention review comes from lado's own rule, never before the case closed.
    first = lado_row(outcome="false")
    assert run("lado", [first], org.do_manager).created == 1
    received = PAST - timedelta(days=400)
    again = lado_row(received_on=received.isoformat(), decided_on=(received + timedelta(days=2)).isoformat(),
                     concluded_on=(received + timedelta(days=90)).isoformat(), outcome="substantiated")
    result = run("lado", [again], org.do_manager)
    assert result.as_dict() == {"created": 0, "updated": 1, "errors": []}
    enquiry = Enquiry.objects.get(reference="DOH-1")
    assert enquiry.status == Enquiry.Status.CONCLUDED and enquiry.outcome == "substantiated"
    assert enquiry.received_on == received and enquiry.closed_on == received + timedelta(days=90)
    assert enquiry.retention_review_on == lado_services.retention_review_date(enquiry)
    assert enquiry.received_on <= enquiry.decided_on <= enquiry.closed_on < enquiry.retention_review_on
    assert list(enquiry.timeline.values_list("action", flat=True)) == ["imported", "imported"]


def test_positive_practice_recorded_in_footprint_is_never_changed_by_an_import(org):
    """Positive practice has no open state: an imported record may be corrected; one recorded
    in Footprint may not."""
    recorded = pp_services.positive_practice_record(actor=org.iro, children=[org.child], case_type="CP",
                                                    what_happened="Visited weekly", impact="Felt heard")
    assert run("positive_practice", [pp_row()], org.iro_manager).created == 1
    again = run("positive_practice", [pp_row(summary="Corrected")], org.iro_manager)
    assert (again.created, again.updated) == (0, 1)
    refused = run("positive_practice", [pp_row(reference=recorded.reference, summary="Rewritten")],
                  org.business_support)
    assert errors_of(refused) == {(2, "reference")}
    assert "was recorded in Footprint" in refused.errors[0]["message"]
    recorded.refresh_from_db()
    assert recorded.what_happened == "Visited weekly" and recorded.imported_from == ""
    assert PositivePractice.objects.get(reference="PPH-1").what_happened == "Corrected"


# --- Designated Officer ----------------------------------------------------------------------


def test_import_refuses_open_do_case(org):
    """The attack: the DO Manager re-imports an open allegation as "concluded: false, 2019" to
    destroy it the same day with invented dates in the destruction log. Refused; the case is
    still open, so it cannot be destroyed."""
    live = in_progress(org)
    before = snapshot(live, "status", "received_on", "closed_on", "outcome", "retention_review_on")
    row = lado_row(reference=live.reference, received_on="2019-01-07", decided_on="2019-01-08",
                   concluded_on="2019-02-01", outcome="false")
    result = run("lado", [row], org.do_manager)
    assert errors_of(result) == {(2, "reference")}
    message = result.errors[0]["message"]
    assert live.reference in message and "open" in message
    assert snapshot(live, *before) == before
    with pytest.raises(TransitionRefused):
        lado_services.enquiry_destroy(enquiry=live, actor=org.do_manager, reason="Retention period over.")
    assert not DestructionLog.objects.exists()

    # An imported case still open is refused the same way.
    run("lado", [lado_row(reference="DOH-OPEN", outcome="", concluded_on="")], org.do_manager)
    result = run("lado", [lado_row(reference="DOH-OPEN", outcome="false")], org.do_manager)
    assert errors_of(result) == {(2, "reference")} and "is open" in result.errors[0]["message"]
    assert Enquiry.objects.get(reference="DOH-OPEN").status == Enquiry.Status.IN_PROGRESS


def test_import_refuses_closed_do_case_logged_in_footprint(org):
    closed = concluded(org, outcome="unfounded")
    result = run("lado", [lado_row(reference=closed.reference, outcome="false")], org.do_manager)
    assert errors_of(result) == {(2, "reference")}
    assert "was logged in Footprint" in result.errors[0]["message"]
    closed.refresh_from_db()
    assert closed.outcome == "unfounded"


def test_import_refuses_do_case_touched_since_import_and_a_destroyed_reference(org):
    run("lado", [lado_row(reference="DOH-HOLD"), lado_row(reference="DOH-GONE", received_on="2015-01-05",
                                                          decided_on="2015-01-06", concluded_on="2015-02-01")],
        org.do_manager)
    held = Enquiry.objects.get(reference="DOH-HOLD")
    lado_services.enquiry_set_legal_hold(enquiry=held, actor=org.do_manager, reason="Civil claim pending.")
    gone = Enquiry.objects.get(reference="DOH-GONE")
    lado_services.enquiry_destroy(enquiry=gone, actor=org.do_manager, reason="Retention period over.")
    result = run("lado", [lado_row(reference="DOH-HOLD", outcome="false"), lado_row(reference="DOH-GONE")],
                 org.do_manager)
    assert errors_of(result) == {(2, "reference"), (3, "reference")}
    assert "changed in Footprint since it was imported" in result.errors[0]["message"]
    assert "destroyed" in result.errors[1]["message"]
    assert not Enquiry.objects.filter(reference="DOH-GONE").exists()
    assert Enquiry.objects.get(reference="DOH-HOLD").outcome == "unfounded"


def test_existing_imported_records_are_recognised_by_their_imported_timeline_event(org):
    """The data migration's rule: a record whose first timeline event is "imported" was made by
    an import; one raised in Footprint and later rewritten by an import (before imports were
    stopped from doing so) was not."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("drp.migrations.0010_imported_from")
    live = raise_drp(org)
    run("drp", [drp_row()], org.iro_manager, name="old.csv")
    DisputeResolution.objects.update(imported_from="")
    DrpEvent.objects.create(drp=live, actor=org.iro_manager, action="imported", note="Imported from x.csv")
    migration.mark_imported(apps, None)
    assert DisputeResolution.objects.get(reference="H-1").imported_from == "old.csv"
    live.refresh_from_db()
    assert live.imported_from == ""


# --- Children --------------------------------------------------------------------------------


def test_unknown_child_refused_unless_asked(org, client, tmp_path):
    row = drp_row(child_references="C000001;FP99999")
    refused = run("drp", [row], org.business_support)
    assert errors_of(refused) == {(2, "child_references")} and "FP99999" in refused.errors[0]["message"]
    assert not Child.objects.filter(reference="FP99999").exists()
    assert not DisputeResolution.objects.exists()

    content = csv_bytes([row])
    login(client, org.business_support)
    page = client.post("/imports/", {"kind": "drp", "file": SimpleUploadedFile("r.csv", content)})
    assert page.status_code == 400 and "Row 2, child_references" in page.content.decode()
    api = api_client(org.business_support)
    response = api.post("/api/imports/", {"kind": "drp", "file": SimpleUploadedFile("r.csv", content)},
                        format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["column"] == "child_references"
    path = tmp_path / "r.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError):
        call_command("import_records", "drp", str(path), "--user", "business-support", stderr=io.StringIO())
    assert not Child.objects.filter(reference="FP99999").exists()

    # Asked for, by each route.
    page = client.post("/imports/", {"kind": "drp", "file": SimpleUploadedFile("r.csv", content),
                                     "create_children": "yes"})
    assert page.status_code == 200 and page.context["result"].created == 1
    assert Child.objects.get(reference="FP99999").name == "FP99999"
    second = csv_bytes([drp_row(reference="H-2", child_references="FP99998")])
    response = api.post("/api/imports/", {"kind": "drp", "file": SimpleUploadedFile("r.csv", second),
                                          "create_children": "true"}, format="multipart")
    assert response.status_code == 201 and Child.objects.filter(reference="FP99998").exists()
    path.write_bytes(csv_bytes([drp_row(reference="H-3", child_references="FP99997")]))
    call_command("import_records", "drp", str(path), "--user", "business-support", "--create-children",
                 stdout=io.StringIO())
    assert Child.objects.filter(reference="FP99997").exists()


# --- Hostile files ---------------------------------------------------------------------------


def test_nul_byte_in_a_cell_is_a_row_error(org, client):
    content = csv_bytes([drp_row(reference="H-\x001"), drp_row(reference="H-2", team="north\x00-1")])
    result = services.run_import(kind="drp", upload=SimpleUploadedFile("nul.csv", content), filename="nul.csv",
                                 actor=org.iro_manager)
    assert errors_of(result) == {(2, "reference"), (3, "team")}
    assert "NUL" in result.errors[0]["message"]
    api = api_client(org.iro_manager).post("/api/imports/", {"kind": "drp", "file": SimpleUploadedFile(
        "nul.csv", content)}, format="multipart")
    assert api.status_code == 400 and api.json()["errors"][0] == {
        "row": 2, "column": "reference", "message": result.errors[0]["message"]}
    header = ",".join([*columns("drp"), "no\x00te"]).encode() + b"\n"
    login(client, org.iro_manager)
    page = client.post("/imports/", {"kind": "drp", "file": SimpleUploadedFile("h.csv", header)})
    assert page.status_code == 400 and "Unexpected column" in page.content.decode()
    assert not DisputeResolution.objects.exists()


def _bomb(path: Path, expanded_mb: int) -> None:
    """A real workbook whose shared strings part unpacks to ``expanded_mb`` MB of one string:
    a few hundred KB on disk."""
    book = openpyxl.Workbook()
    book.active.append(list(columns("drp")))
    plain = io.BytesIO()
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            if info.filename == "xl/sharedStrings.xml":
                continue
            bomb.writestr(info, source.read(info.filename))
        with bomb.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                       b'uniqueCount="1"><si><t>')
            block = b"A" * (1024 * 1024)
            for _ in range(expanded_mb):
                part.write(block)
            part.write(b"</t></si></sst>")


def test_xlsx_bomb_refused_before_opening(org, client, tmp_path):
    """A 200 KB workbook that unpacks to 200 MB: refused from the zip's table of contents,
    with a clear message, the web process's memory untouched (openpyxl alone would load the
    whole part)."""
    path = tmp_path / "bomb.xlsx"
    _bomb(path, 200)
    content = path.read_bytes()
    assert len(content) < 1024 * 1024
    login(client, org.iro_manager)
    tracemalloc.start()
    try:
        page = client.post("/imports/", {"kind": "drp", "file": SimpleUploadedFile("bomb.xlsx", content)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert page.status_code == 400
    assert "would expand" in page.content.decode()
    assert peak < 30 * 2**20, f"{peak / 2**20:.0f} MB allocated while refusing it"
    api = api_client(org.iro_manager).post("/api/imports/", {"kind": "drp", "file": SimpleUploadedFile(
        "bomb.xlsx", content)}, format="multipart")
    assert api.status_code == 400 and api.json()["errors"][0]["column"] == "file"
    with pytest.raises(CommandError):  # the command reads the file itself: the same check
        call_command("import_records", "drp", str(path), "--user", "iro-manager", stderr=io.StringIO())
    assert not ImportJob.objects.exists() and not DisputeResolution.objects.exists()


def test_a_workbook_of_ordinary_size_still_imports(org):
    book = openpyxl.Workbook()
    book.active.append(list(columns("drp")))
    for n in range(200):
        book.active.append([drp_row(reference=f"X-{n}").get(c, "") for c in columns("drp")])
    out = io.BytesIO()
    book.save(out)
    result = services.run_import(kind="drp", upload=SimpleUploadedFile("ok.xlsx", out.getvalue()),
                                 filename="ok.xlsx", actor=org.iro_manager)
    assert result.created == 200, result.errors


# --- Background jobs -------------------------------------------------------------------------


@pytest.fixture
def large_threshold(settings):
    settings.FOOTPRINT_IMPORT_INLINE_MAX_BYTES = 10


def test_large_api_import_answers_202_with_job(org, large_threshold, django_capture_on_commit_callbacks):
    api = api_client(org.iro_manager)
    content = csv_bytes([drp_row(reference=f"J-{n}") for n in range(3)])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/imports/", {"kind": "drp", "file": SimpleUploadedFile("big.csv", content)},
                            format="multipart")
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    body = response.json()
    assert body["id"] == job.pk and body["url"] == f"/api/imports/jobs/{job.pk}/"
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
        response = api.post("/api/imports/", {"kind": "drp", "file": SimpleUploadedFile("bad.csv", bad)},
                            format="multipart")
    refused = api.get(response.json()["url"]).json()
    assert refused["status"] == "refused" and refused["errors"][0]["column"] == "team"
    # A DO Manager's job of DO cases is theirs alone.
    do_api = api_client(org.do_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = do_api.post("/api/imports/", {"kind": "lado", "file": SimpleUploadedFile(
            "do.csv", csv_bytes([lado_row()], "lado"))}, format="multipart")
    assert response.status_code == 202 and do_api.get(response.json()["url"]).json()["status"] == "done"
    assert api.get(response.json()["url"]).status_code == 404


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
    assert api_client(org.business_support).post(f"/api/imports/jobs/{job.pk}/retry/").status_code == 404
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
    from tests.imports.test_imports import lado_row
    from tests.imports.test_imports import run as run_file

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
