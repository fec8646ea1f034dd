"""What an import may and may not change, tried as an attacker would (issue 11 §1), and how an
import survives an upload bomb and a NUL byte (its background jobs: test_import_background_jobs.py).

An import creates records, or updates records an import created that are closed and that
nobody has changed in Footprint since. It never changes a record made in Footprint, nor an open
one: such a row is an error naming the row and the reference, and the file writes nothing."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from children.models import Child
from drp import services as drp_services
from drp.models import DisputeResolution, Stage, Theme
from drp.models import TimelineEvent as DrpEvent
from imports import services
from imports.models import ImportJob
from lado import services as lado_services
from lado.models import DestructionLog, Enquiry
from positive_practice import services as pp_services
from positive_practice.models import PositivePractice
from tests.support.auth import login
from tests.support.factories import resolution
from tests.support.import_rules import PAST, api_client, columns, csv_bytes, drp_row, lado_row
from tests.support.lado_fixtures import concluded, in_progress
from workflows.exceptions import TransitionRefused


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
        "/api/v1/imports/", {"kind": "drp", "file": SimpleUploadedFile("r.csv", csv_bytes([row]))}, format="multipart")
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
    response = api.post("/api/v1/imports/", {"kind": "drp", "file": SimpleUploadedFile("r.csv", content)},
                        format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "child_references"
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
    response = api.post("/api/v1/imports/", {"kind": "drp", "file": SimpleUploadedFile("r.csv", second),
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
    api = api_client(org.iro_manager).post("/api/v1/imports/", {"kind": "drp", "file": SimpleUploadedFile(
        "nul.csv", content)}, format="multipart")
    assert api.status_code == 400 and api.json()["errors"][0] == {
        "row": 2, "field": "reference", "code": "invalid", "detail": result.errors[0]["message"]}
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
    api = api_client(org.iro_manager).post("/api/v1/imports/", {"kind": "drp", "file": SimpleUploadedFile(
        "bomb.xlsx", content)}, format="multipart")
    assert api.status_code == 400 and api.json()["errors"][0]["field"] == "file"
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
