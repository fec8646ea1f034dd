"""Importing historical DRPs (issue 5): every column, the errors naming the row and column with
nothing written, the header, unreadable files; importing twice, XLSX like CSV, references."""

from datetime import timedelta

import pytest
from django.core import mail

from children.models import Child
from drp.models import DisputeResolution, StageRecord
from drp.models import TimelineEvent as DrpEvent
from notifications.models import Notification
from tests.support.import_files import (
    COLUMNS,
    PAST,
    TODAY,
    csv_bytes,
    drp_row,
    errors_of,
    pp_row,
    run,
    upload,
    xlsx_bytes,
)
from workflows.calendar import add_working_days
from workflows.models import ReferenceSequence


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
