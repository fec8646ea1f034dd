"""Importing historical DRPs, positive practice and Designated Officer cases (issue 5)."""

import csv
import io
import time
from datetime import date, timedelta

import openpyxl
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from rest_framework.test import APIClient

from children.models import Child
from config.navigation import navigation
from drp.models import DisputeResolution, StageRecord
from drp.models import TimelineEvent as DrpEvent
from imports import jobs, registry, services
from imports.models import ImportJob
from lado.models import Enquiry
from lado.models import TimelineEvent as LadoEvent
from notifications.models import Notification
from positive_practice.models import PositivePractice
from positive_practice.models import TimelineEvent as PpEvent
from reports import selectors as report_selectors
from reports.periods import reporting_year_of
from tests.support.auth import api_token, login
from workflows.calendar import add_working_days
from workflows.clocks import today
from workflows.models import ReferenceSequence

TODAY = today()
PAST = TODAY - timedelta(days=60)
COLUMNS = {kind.name: list(kind.columns) for kind in registry.registered()}


def csv_bytes(rows, header=None, kind="drp"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or COLUMNS[kind])
    for row in rows:
        writer.writerow(row if isinstance(row, list) else [row.get(c, "") for c in (header or COLUMNS[kind])])
    return out.getvalue().encode()


def xlsx_bytes(rows, kind="drp"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS[kind])
    for row in rows:
        sheet.append([row.get(c, "") for c in COLUMNS[kind]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content, name="records.csv"):
    return SimpleUploadedFile(name, content)


def drp_row(**kw):
    row = {"reference": "H-1", "case_type": "CLA", "child_references": "C000001;C000002", "team": "north-1",
           "raised_on": PAST.isoformat(), "start_stage": "informal", "themes": "placement;Drift and delay",
           "status": "open", "closed_on": "", "closed_at_stage": ""}
    row.update(kw)
    return row


def pp_row(**kw):
    row = {"reference": "PPH-1", "case_type": "CP", "child_references": "C000001", "team": "North Team 1",
           "recorded_on": PAST.isoformat(), "practitioner": "A foster carer", "summary": "Kept the child safe"}
    row.update(kw)
    return row


def lado_row(**kw):
    row = {"reference": "DOH-1", "received_on": PAST.isoformat(), "sector": "public", "setting": "education",
           "category": "physical", "referral_source": "police", "threshold_met": "", "decided_on": "",
           "concluded_on": "", "outcome": ""}
    row.update(kw)
    return row


def run(org, kind, rows, user=None, name="records.csv", content=None, create_children=False):
    content = content if content is not None else csv_bytes(rows, kind=kind)
    return services.run_import(kind=kind, upload=upload(content, name), filename=name,
                               actor=user or (org.do_manager if kind == "lado" else org.iro_manager),
                               create_children=create_children)


def errors_of(result):
    return {(e["row"], e["column"]) for e in result.errors}


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def test_a_long_file_name_fits_the_history_reason(org):
    """The change reason column holds 100 characters (PostgreSQL refuses longer)."""
    name = "drp-records-exported-from-the-old-spreadsheet-" + "x" * 120 + ".csv"
    result = run(org, "drp", [drp_row()], name=name)
    assert result.as_dict()["created"] == 1
    reason = DisputeResolution.objects.get().history.first().history_change_reason
    assert reason == f"Imported from {name}"[:100]


# --- DRPs: every column ----------------------------------------------------------------------


def test_drp_open_row_imports_every_column(org):
    result = run(org, "drp", [drp_row(child_references="C000001; NEW-9", start_stage="stage-1")],
                 create_children=True)
    assert result.as_dict() == {"created": 1, "updated": 0, "errors": []}
    drp = DisputeResolution.objects.get(reference="H-1")
    assert drp.case_type == "CLA"
    assert sorted(drp.children.values_list("reference", flat=True)) == ["C000001", "NEW-9"]
    assert drp.team == org.team
    assert drp.raised_on == PAST and drp.raised_by == org.iro_manager
    assert drp.stage.key == "stage-1" and drp.status == DisputeResolution.Status.AWAITING_RESPONSE
    assert drp.stage_due_date == add_working_days(PAST, 5)
    assert drp.formal_started_on == PAST and drp.overall_due_date == add_working_days(PAST, 20)
    assert drp.addressee == org.team_manager
    assert set(drp.themes.values_list("slug", flat=True)) == {"placement", "drift-and-delay"}
    assert drp.closed_on is None and drp.closed_at_stage is None
    new_child = Child.objects.get(reference="NEW-9")
    assert new_child.name == "NEW-9" and new_child.case_type == "CLA"
    history = drp.history.first()
    assert history.history_user == org.iro_manager and history.history_change_reason == "Imported from records.csv"
    event = drp.timeline.get()
    assert event.action == DrpEvent.Action.IMPORTED and event.actor == org.iro_manager
    assert StageRecord.objects.get(drp=drp).started_on == PAST


def test_drp_informal_start_has_no_formal_clock(org):
    run(org, "drp", [drp_row()])
    drp = DisputeResolution.objects.get(reference="H-1")
    assert drp.stage.key == "informal" and drp.formal_started_on is None and drp.overall_due_date is None


def test_drp_start_stage_defaults_to_the_first_stage(org):
    run(org, "drp", [drp_row(start_stage="")])
    assert DisputeResolution.objects.get(reference="H-1").stage.key == "informal"


def test_drp_closed_rows(org):
    result = run(org, "drp", [
        drp_row(reference="R", status="resolved", closed_on=TODAY.isoformat(), closed_at_stage="stage-2"),
        drp_row(reference="W", status="withdrawn", closed_on=TODAY.isoformat(), team=""),
    ])
    assert result.ok, result.errors
    resolved = DisputeResolution.objects.get(reference="R")
    assert resolved.status == "resolved" and resolved.closed_on == TODAY
    assert resolved.closed_at_stage.key == "stage-2" and resolved.stage.key == "stage-2"
    assert resolved.formal_started_on == PAST
    withdrawn = DisputeResolution.objects.get(reference="W")
    assert withdrawn.status == "withdrawn" and withdrawn.closed_at_stage.key == "informal"
    assert withdrawn.team == org.team  # the children's team when none given
    assert StageRecord.objects.get(drp=withdrawn).ended_on == TODAY


@pytest.mark.parametrize("change, column", [
    ({"raised_on": "2024-13-01"}, "raised_on"),
    ({"raised_on": "02/30/2024"}, "raised_on"),  # DD/MM/YYYY, not the American order
    ({"raised_on": "05/2024"}, "raised_on"),  # the day left out
    ({"raised_on": "2024-05"}, "raised_on"),
    ({"raised_on": "01/01/1900"}, "raised_on"),  # before IROs existed
    ({"raised_on": "2003-12-31"}, "raised_on"),
    ({"raised_on": (TODAY + timedelta(days=1)).isoformat()}, "raised_on"),
    ({"raised_on": ""}, "raised_on"),
    ({"start_stage": "stage-9"}, "start_stage"),
    ({"themes": "placement;not-a-theme"}, "themes"),
    ({"themes": ""}, "themes"),
    ({"status": "closed"}, "status"),
    ({"status": ""}, "status"),
    ({"case_type": "XX"}, "case_type"),
    ({"case_type": ""}, "case_type"),
    ({"team": "Nowhere Team"}, "team"),
    ({"reference": ""}, "reference"),
    ({"reference": "R" * 41}, "reference"),
    ({"child_references": ""}, "child_references"),
    ({"child_references": " ; "}, "child_references"),
    ({"status": "resolved", "closed_on": ""}, "closed_on"),
    ({"status": "resolved", "closed_on": (PAST - timedelta(days=1)).isoformat()}, "closed_on"),
    ({"status": "resolved", "closed_on": (TODAY + timedelta(days=2)).isoformat()}, "closed_on"),
    ({"status": "open", "closed_on": TODAY.isoformat()}, "closed_on"),
    ({"status": "open", "closed_at_stage": "stage-1"}, "closed_at_stage"),
    ({"status": "resolved", "closed_on": TODAY.isoformat(), "closed_at_stage": "nope"}, "closed_at_stage"),
    ({"status": "resolved", "closed_on": TODAY.isoformat(), "start_stage": "stage-2",
      "closed_at_stage": "stage-1"}, "closed_at_stage"),
])
def test_drp_row_errors_name_row_and_column_and_write_nothing(org, change, column):
    result = run(org, "drp", [drp_row(reference="OK-1"), drp_row(**change)])
    assert (3, column) in errors_of(result), result.errors
    assert all(e["message"] for e in result.errors)
    assert result.created == result.updated == 0
    assert not DisputeResolution.objects.exists()
    assert not Child.objects.filter(reference__startswith="NEW").exists()


def test_every_error_is_reported_at_once(org):
    result = run(org, "drp", [drp_row(reference="A", raised_on="bad", status="nope"),
                              drp_row(reference="B", themes="zzz")])
    assert {(2, "raised_on"), (2, "status"), (3, "themes")} <= errors_of(result)


def test_duplicate_reference_in_the_file(org):
    result = run(org, "drp", [drp_row(reference="D"), drp_row(), drp_row(reference="D")])
    assert errors_of(result) == {(4, "reference")}
    assert "row 2" in result.errors[0]["message"]
    assert not DisputeResolution.objects.exists()


@pytest.mark.parametrize("header, column, message", [
    (COLUMNS["drp"] + ["notes"], "notes", "Unexpected column"),
    (COLUMNS["drp"][:-1], "closed_at_stage", "Missing column"),
    (COLUMNS["drp"] + ["team"], "team", "appears twice"),
])
def test_header_must_be_exactly_the_template(org, header, column, message):
    content = csv_bytes([[""] * len(header)], header=header)
    result = run(org, "drp", [], content=content)
    assert (1, column) in errors_of(result)
    assert any(message in e["message"] for e in result.errors)


def test_columns_may_come_in_any_order(org):
    header = list(reversed(COLUMNS["drp"]))
    result = run(org, "drp", [], content=csv_bytes([drp_row()], header=header))
    assert result.created == 1


@pytest.mark.parametrize("content, name, message", [
    (b"", "empty.csv", "empty"),
    (",".join(COLUMNS["drp"]).encode(), "header-only.csv", "no records"),
    (b"reference\n\xff\xfe bad", "latin.csv", "UTF-8"),
    (b"not a workbook", "bad.xlsx", "XLSX"),
    (b"x", "records.txt", "CSV"),
])
def test_unreadable_files_are_refused(org, content, name, message):
    result = run(org, "drp", [], name=name, content=content)
    assert not result.ok and message in result.errors[0]["message"]


def test_a_row_longer_than_the_header_is_refused(org):
    content = csv_bytes([list(drp_row().values()) + ["extra"]])
    result = run(org, "drp", [], content=content)
    assert result.errors[0]["row"] == 2 and not DisputeResolution.objects.exists()


# --- Idempotence, XLSX, references ----------------------------------------------------------


def test_importing_twice_updates_and_creates_no_duplicates(org):
    rows = [drp_row(reference=f"H-{n}", child_references=f"NEW-{n}", status="resolved",
                    closed_on=TODAY.isoformat()) for n in range(3)]
    first = run(org, "drp", rows, create_children=True)
    second = run(org, "drp", rows)
    assert (first.created, first.updated) == (3, 0)
    assert (second.created, second.updated) == (0, 3)
    assert DisputeResolution.objects.count() == 3
    assert Child.objects.filter(reference__startswith="NEW-").count() == 3
    assert StageRecord.objects.count() == 3
    assert DrpEvent.objects.filter(action="imported").count() == 6


def test_reimport_changes_the_record(org):
    run(org, "drp", [drp_row(status="withdrawn", closed_on=PAST.isoformat())])
    run(org, "drp", [drp_row(status="resolved", closed_on=TODAY.isoformat(), themes="health")])
    drp = DisputeResolution.objects.get(reference="H-1")
    assert drp.status == "resolved" and list(drp.themes.values_list("slug", flat=True)) == ["health"]
    assert drp.history.count() == 2


def test_xlsx_imports_like_csv(org):
    content = xlsx_bytes([drp_row(), drp_row(reference="H-2", raised_on=PAST)])  # a real date cell too
    result = run(org, "drp", [], name="records.xlsx", content=content)
    assert result.as_dict() == {"created": 2, "updated": 0, "errors": []}
    assert DisputeResolution.objects.get(reference="H-2").raised_on == PAST


def test_xlsx_errors_name_the_row(org):
    content = xlsx_bytes([drp_row(), drp_row(reference="H-2", status="maybe")])
    result = run(org, "drp", [], name="records.xlsx", content=content)
    assert errors_of(result) == {(3, "status")}


def test_a_large_upload_spooled_to_disk_streams_through_both_passes(org, client, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # force Django's temporary-file upload
    rows = [drp_row(reference=f"BIG-{n}", child_references=f"C000001;BIG-CHILD-{n % 7}") for n in range(300)]
    content = csv_bytes(rows)
    assert len(content) > 1024
    client.force_login(org.iro_manager)
    response = client.post("/imports/", {"kind": "drp", "file": upload(content, "big.csv"),
                                         "create_children": "yes"})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert response.context["result"].created == 300
    assert Child.objects.filter(reference__startswith="BIG-CHILD-").count() == 7


def test_app_style_references_move_the_counter_on(org):
    run(org, "drp", [drp_row(reference="DRP-00042")])
    assert ReferenceSequence.objects.get(name="drp").last == 42


def test_imports_send_no_notifications(org):
    run(org, "drp", [drp_row()])
    run(org, "positive_practice", [pp_row()])
    assert not Notification.objects.exists() and not mail.outbox


# --- Positive practice -----------------------------------------------------------------------


def test_positive_practice_every_column(org):
    result = run(org, "positive_practice", [pp_row(child_references="C000001;NEW-PP")], name="pp.csv",
                 create_children=True)
    assert result.as_dict() == {"created": 1, "updated": 0, "errors": []}
    pp = PositivePractice.objects.get(reference="PPH-1")
    assert pp.case_type == "CP" and pp.team == org.team and pp.recorded_on == PAST
    assert pp.practitioner_name == "A foster carer" and pp.what_happened == "Kept the child safe"
    assert pp.impact == "Not recorded" and pp.recorded_by == org.iro_manager
    assert sorted(pp.children.values_list("reference", flat=True)) == ["C000001", "NEW-PP"]
    assert pp.history.first().history_change_reason == "Imported from pp.csv"
    assert pp.timeline.get().action == PpEvent.Action.IMPORTED
    again = run(org, "positive_practice", [pp_row(team="", practitioner="", summary="Changed")])
    assert (again.created, again.updated) == (0, 1)
    pp.refresh_from_db()
    assert pp.team is None and pp.practitioner_name == "" and pp.what_happened == "Changed"


@pytest.mark.parametrize("change, column", [
    ({"recorded_on": "yesterday"}, "recorded_on"),
    ({"recorded_on": (TODAY + timedelta(days=1)).isoformat()}, "recorded_on"),
    ({"summary": ""}, "summary"),
    ({"case_type": "LAC"}, "case_type"),
    ({"team": "unknown"}, "team"),
    ({"child_references": ""}, "child_references"),
    ({"practitioner": "x" * 201}, "practitioner"),
])
def test_positive_practice_errors(org, change, column):
    result = run(org, "positive_practice", [pp_row(**change)])
    assert (2, column) in errors_of(result)
    assert not PositivePractice.objects.exists()


# --- Designated Officer ----------------------------------------------------------------------


def test_lado_statuses_and_clocks(org):
    decided = PAST + timedelta(days=1)
    concluded = PAST + timedelta(days=20)
    rows = [
        lado_row(reference="AWAIT", sector="", setting="", category="", referral_source=""),
        lado_row(reference="ADVICE", threshold_met="no", decided_on=decided.isoformat()),
        lado_row(reference="PROGRESS", threshold_met="yes", decided_on=decided.isoformat()),
        lado_row(reference="DONE", threshold_met="yes", decided_on=decided.isoformat(),
                 concluded_on=concluded.isoformat(), outcome="unfounded"),
        lado_row(reference="CANCEL", threshold_met="yes", decided_on=decided.isoformat(),
                 concluded_on=concluded.isoformat(), outcome="cancelled"),
    ]
    result = run(org, "lado", rows, name="do.csv")
    assert result.as_dict() == {"created": 5, "updated": 0, "errors": []}
    by_ref = {e.reference: e for e in Enquiry.objects.all()}
    assert by_ref["AWAIT"].status == "awaiting_decision" and by_ref["AWAIT"].sector is None
    assert by_ref["ADVICE"].status == "advice_given" and by_ref["ADVICE"].closed_on == decided
    assert by_ref["ADVICE"].threshold_met is False and by_ref["ADVICE"].retention_review_on is not None
    assert by_ref["PROGRESS"].status == "in_progress" and by_ref["PROGRESS"].closed_on is None
    assert by_ref["DONE"].status == "concluded" and by_ref["DONE"].outcome == "unfounded"
    assert by_ref["DONE"].closed_on == concluded
    assert by_ref["CANCEL"].status == "cancelled" and by_ref["CANCEL"].closed_on == concluded
    done = by_ref["DONE"]
    assert done.received_on == PAST and done.decided_on == decided
    assert done.sector.slug == "public" and done.setting.slug == "education"
    assert done.category.slug == "physical" and done.referral_source.slug == "police"
    assert done.decision_due == add_working_days(PAST, 1)
    assert done.target_1_due > PAST and done.target_3_due > done.target_2_due > done.target_1_due
    assert done.logged_by == org.do_manager
    assert done.history.first().history_change_reason == "Imported from do.csv"
    assert done.timeline.get().action == LadoEvent.Event.IMPORTED
    closed = [row for row in rows if row["reference"] in ("ADVICE", "DONE", "CANCEL")]
    again = run(org, "lado", closed)
    assert (again.created, again.updated) == (0, 3) and Enquiry.objects.count() == 5
    # The open ones (rows 2 and 4) are not an import's to change any more.
    assert {(2, "reference"), (4, "reference")} == errors_of(run(org, "lado", rows))


@pytest.mark.parametrize("change, column", [
    ({"received_on": "2020-02-30"}, "received_on"),
    ({"received_on": ""}, "received_on"),
    ({"received_on": (TODAY + timedelta(days=1)).isoformat()}, "received_on"),
    ({"sector": "mars"}, "sector"),
    ({"setting": "moon"}, "setting"),
    ({"category": "x"}, "category"),
    ({"referral_source": "y"}, "referral_source"),
    ({"threshold_met": "maybe"}, "threshold_met"),
    ({"threshold_met": "yes"}, "decided_on"),
    ({"decided_on": PAST.isoformat()}, "decided_on"),
    ({"threshold_met": "yes", "decided_on": (PAST - timedelta(days=1)).isoformat()}, "decided_on"),
    ({"threshold_met": "yes", "decided_on": PAST.isoformat(), "category": ""}, "category"),
    ({"threshold_met": "yes", "decided_on": PAST.isoformat(), "outcome": "guilty",
      "concluded_on": PAST.isoformat()}, "outcome"),
    ({"threshold_met": "no", "decided_on": PAST.isoformat(), "outcome": "false",
      "concluded_on": PAST.isoformat()}, "outcome"),
    ({"threshold_met": "yes", "decided_on": PAST.isoformat(), "outcome": "false"}, "concluded_on"),
    ({"threshold_met": "yes", "decided_on": PAST.isoformat(), "concluded_on": PAST.isoformat()}, "concluded_on"),
    ({"threshold_met": "yes", "decided_on": PAST.isoformat(), "outcome": "false",
      "concluded_on": (PAST - timedelta(days=3)).isoformat()}, "concluded_on"),
])
def test_lado_errors(org, change, column):
    result = run(org, "lado", [lado_row(**change)])
    assert (2, column) in errors_of(result), result.errors
    assert not Enquiry.objects.exists()


# --- Permissions, page, API, command ---------------------------------------------------------


@pytest.mark.parametrize("role, kinds", [
    ("iro_manager", ["drp", "positive_practice"]),
    ("business_support", ["drp", "positive_practice"]),
    ("do_manager", ["lado"]),
    ("iro", []), ("designated_officer", []), ("auditor", []), ("social_worker", []), ("complaints", []),
])
def test_permissions_are_the_same_everywhere(org, client, tmp_path, role, kinds):
    user = getattr(org, role)
    assert [kind.name for kind in services.kinds_for(user)] == kinds
    login(client, user)
    page = client.get("/imports/")
    assert page.status_code == (200 if kinds else 403)
    request = RequestFactory().get("/")
    request.user = user
    nav = [item["text"] for item in navigation(request)["nav_items"]]
    assert ("Import" in nav) == bool(kinds)
    # Closed records, so that importing each file three times updates the same record.
    rows = {"drp": drp_row(status="resolved", closed_on=PAST.isoformat()), "positive_practice": pp_row(),
            "lado": lado_row(threshold_met="no", decided_on=PAST.isoformat())}
    for kind in ("drp", "positive_practice", "lado"):
        allowed = kind in kinds
        content = csv_bytes([rows[kind]], kind=kind)
        api = client_for(user).post("/api/v1/imports/", {"kind": kind, "file": upload(content)}, format="multipart")
        assert api.status_code == (201 if allowed else 403), api.content
        web = client.post("/imports/", {"kind": kind, "file": upload(content)})
        assert web.status_code in ((200,) if allowed else (403,))
        assert client.get(f"/imports/templates/{kind}.csv").status_code == (200 if allowed else 403)
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(content)
        if allowed:
            call_command("import_records", kind, str(path), "--user", user.username, stdout=io.StringIO())
        else:
            with pytest.raises(CommandError):
                call_command("import_records", kind, str(path), "--user", user.username, stdout=io.StringIO())


def test_superuser_without_the_role_cannot_import(org):
    org.iro.is_superuser = True
    org.iro.save()
    assert [kind.name for kind in services.kinds_for(org.iro)] == []


def test_template_download_is_the_header_row_and_an_example(org, client):
    client.force_login(org.iro_manager)
    for kind in ("drp", "positive_practice"):
        response = client.get(f"/imports/templates/{kind}.csv")
        assert response["Content-Type"] == "text/csv"
        header, example = list(csv.reader(io.StringIO(response.content.decode())))
        assert header == COLUMNS[kind] and len(example) == len(header)
    assert client.get("/imports/templates/nope.csv").status_code == 404


def test_page_upload_shows_counts(org, client):
    client.force_login(org.business_support)
    page = client.get("/imports/").content.decode()
    assert "/imports/templates/drp.csv" in page and "/imports/templates/lado.csv" not in page
    response = client.post("/imports/", {"kind": "drp", "file": upload(csv_bytes([drp_row()]))})
    assert response.status_code == 200
    assert response.context["result"].created == 1
    assert '<dd class="govuk-summary-list__value" id="created">1</dd>' in response.content.decode()


def test_page_shows_every_error_in_a_govuk_error_summary(org, client):
    client.force_login(org.iro_manager)
    content = csv_bytes([drp_row(raised_on="31-01-2024"), drp_row(reference="H-2", team="nowhere")])
    response = client.post("/imports/", {"kind": "drp", "file": upload(content)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html and "nothing was imported" in html
    assert "Row 2, raised_on" in html and "Row 3, team" in html
    assert 'id="import-errors"' in html
    assert not DisputeResolution.objects.exists()


def test_page_needs_a_kind_and_a_file(org, client):
    client.force_login(org.iro_manager)
    response = client.post("/imports/", {})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose what you are importing." in html and "Choose a CSV or XLSX file." in html


def test_api_result_and_errors(org):
    api = client_for(org.iro_manager)
    content = csv_bytes([drp_row(status="resolved", closed_on=TODAY.isoformat())])
    first = api.post("/api/v1/imports/", {"kind": "drp", "file": upload(content)}, format="multipart")
    assert first.status_code == 201 and first.json() == {"created": 1, "updated": 0, "errors": []}
    second = api.post("/api/v1/imports/", {"kind": "drp", "file": upload(content)}, format="multipart")
    assert second.status_code == 200 and second.json() == {"created": 0, "updated": 1, "errors": []}
    bad = api.post("/api/v1/imports/", {"kind": "drp", "file": upload(csv_bytes([drp_row(status="x")]))},
                   format="multipart")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert bad.json() == {
        "type": "urn:footprint:problem:import_refused", "title": "The file was not imported",
        "status": 400, "code": "import_refused", "created": 0, "updated": 0,
        "detail": "Nothing was imported: 1 error (first: row 2, status: “x” is not a status: use open, "
                  "resolved or withdrawn.)",
        "errors": [{"row": 2, "field": "status", "code": "invalid",
                    "detail": "“x” is not a status: use open, resolved or withdrawn."}]}
    xlsx = api.post("/api/v1/imports/", {"kind": "drp", "file": upload(xlsx_bytes([drp_row(reference="X")]),
                                                                     "r.xlsx")}, format="multipart")
    assert xlsx.status_code == 201
    assert api.post("/api/v1/imports/", {"kind": "other"}, format="multipart").status_code == 400
    assert api.post("/api/v1/imports/", {"kind": "drp"}, format="multipart").json()["errors"][0]["field"] == "file"


def test_api_is_documented(org):
    paths = client_for(org.iro_manager).get("/api/v1/schema/?format=json").json()["paths"]
    assert "/api/v1/imports/" in paths


def test_command_reports_errors_and_writes_nothing(org, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([drp_row(), drp_row(reference="B", raised_on="nope")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_records", "drp", str(path), "--user", "iro-manager", stderr=err)
    assert "row 3, raised_on" in err.getvalue()
    assert not DisputeResolution.objects.exists()
    with pytest.raises(CommandError, match="no user"):
        call_command("import_records", "drp", str(path), "--user", "nobody")


def test_command_imports_xlsx_and_reports_progress(org, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(services, "CHUNK_SIZE", 2)
    path = tmp_path / "many.xlsx"
    path.write_bytes(xlsx_bytes([drp_row(reference=f"M-{n}") for n in range(5)]))
    out = io.StringIO()
    call_command("import_records", "drp", str(path), "--user", "iro-manager", stdout=out)
    text = out.getvalue()
    assert "2 rows checked" in text and "4 rows written" in text and "created 5, updated 0" in text
    assert DisputeResolution.objects.get(reference="M-0").history.first().history_change_reason == \
        "Imported from many.xlsx"


# --- Two years of records and the annual report ----------------------------------------------


def test_two_years_of_drps_import_and_the_annual_report_shows_the_variance(org):
    year = reporting_year_of(TODAY)
    this_start, last_start = date(year, 4, 1), date(year - 1, 4, 1)
    rows = []
    # Last year: 6 CLA and 2 CP; this year (up to today): 3 CLA and 4 CP.
    for n in range(6):
        rows.append(drp_row(reference=f"L-CLA-{n}", case_type="CLA", raised_on=(last_start + timedelta(days=n)).isoformat()))
    for n in range(2):
        rows.append(drp_row(reference=f"L-CP-{n}", case_type="CP", raised_on=(last_start + timedelta(days=30 + n)).isoformat(),
                            status="resolved", closed_on=(last_start + timedelta(days=40)).isoformat()))
    for n in range(3):
        rows.append(drp_row(reference=f"T-CLA-{n}", case_type="CLA", raised_on=min(this_start + timedelta(days=n), TODAY).isoformat()))
    for n in range(4):
        rows.append(drp_row(reference=f"T-CP-{n}", case_type="CP", raised_on=this_start.isoformat(), themes="health"))
    result = run(org, "drp", rows, name="two-years.csv")
    assert result.created == 15, result.errors
    report = report_selectors.annual_report(year)
    raised = report["drp"]["raised"]
    assert raised["CLA"] == {"this_year": 3, "last_year": 6, "variance": -3, "direction": "down"}
    assert raised["CP"] == {"this_year": 4, "last_year": 2, "variance": 2, "direction": "up"}
    assert report["drp"]["themes"]["CP"]["health"] == 4
    last = report_selectors.annual_report(year - 1)
    assert last["drp"]["closed_at_stage"]["CP"]["informal"] == 2


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
