"""Importing without fuss (issue 13): codes or the labels Footprint shows, either date form,
plausible dates, a template with an example row, and a preview that writes nothing."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.core.management import call_command

from children.models import Child
from drp.models import DisputeResolution, StageRecord
from drp.models import TimelineEvent as DrpEvent
from imports import services
from lado.models import Enquiry, Sector, SettingType
from lado.models import TimelineEvent as LadoEvent
from positive_practice.models import PositivePractice
from tests.support.import_files import (
    PAST,
    TODAY,
    client_for,
    csv_bytes,
    drp_row,
    errors_of,
    lado_row,
    pp_row,
    run,
    upload,
)

UK_PAST = PAST.strftime("%d/%m/%Y")


# --- Codes or labels, any case ---------------------------------------------------------------


def test_drp_row_given_in_labels_imports_as_the_same_row_in_codes(org):
    labelled = drp_row(reference="L-1", case_type="looked-after child", team="NORTH TEAM 1", start_stage="Stage 1",
                       themes="PLACEMENT;drift and delay", status="Resolved", raised_on=UK_PAST,
                       closed_on=TODAY.strftime("%d/%m/%Y"), closed_at_stage="stage 2")
    coded = drp_row(reference="C-1", case_type="CLA", team="north-1", start_stage="stage-1",
                    themes="placement;drift-and-delay", status="resolved", raised_on=PAST.isoformat(),
                    closed_on=TODAY.isoformat(), closed_at_stage="stage-2")
    result = run(org, "drp", [labelled, coded])
    assert result.errors == [] and result.created == 2
    fields = ("case_type", "team_id", "raised_on", "stage_id", "status", "closed_on", "closed_at_stage_id",
              "stage_due_date", "overall_due_date")
    one, other = (DisputeResolution.objects.values(*fields).get(reference=ref) for ref in ("L-1", "C-1"))
    assert one == other
    assert one["status"] == "resolved" and one["raised_on"] == PAST
    assert {t.slug for t in DisputeResolution.objects.get(reference="L-1").themes.all()} == {
        "placement", "drift-and-delay"}


def test_drp_case_type_by_the_words_people_use(org):
    result = run(org, "drp", [drp_row(reference="A", case_type="Looked after"),
                              drp_row(reference="B", case_type="child protection"),
                              drp_row(reference="C", case_type="cp")])
    assert result.errors == []
    assert dict(DisputeResolution.objects.values_list("reference", "case_type")) == {"A": "CLA", "B": "CP", "C": "CP"}


def test_an_unknown_label_names_row_column_and_the_allowed_values(org):
    result = run(org, "drp", [drp_row(), drp_row(reference="H-2", start_stage="Stage Nine", status="Closed")])
    messages = {(e["row"], e["column"]): e["message"] for e in result.errors}
    assert set(messages) == {(3, "start_stage"), (3, "status")}
    assert "informal, stage-1, stage-2" in messages[(3, "start_stage")]
    assert messages[(3, "status")] == "“Closed” is not a status: use open, resolved or withdrawn."
    assert not DisputeResolution.objects.exists()


def test_positive_practice_by_labels_and_uk_dates(org):
    result = run(org, "positive_practice", [pp_row(case_type="Child protection plan", team="north team 1",
                                                   recorded_on=UK_PAST)])
    assert result.errors == []
    pp = PositivePractice.objects.get()
    assert (pp.case_type, pp.team, pp.recorded_on) == ("CP", org.team, PAST)


def test_do_case_by_labels_yes_no_words_and_uk_dates(org):
    sector, setting = Sector.objects.get(slug="public"), SettingType.objects.get(slug="education")
    row = lado_row(sector=sector.name.upper(), setting=setting.name, threshold_met="Yes", received_on=UK_PAST,
                   decided_on=UK_PAST, concluded_on=TODAY.strftime("%d/%m/%Y"), outcome="Unsubstantiated")
    advice = lado_row(reference="DOH-2", threshold_met="NO", decided_on=PAST.isoformat())
    cancelled = lado_row(reference="DOH-3", outcome="CANCELLED", concluded_on=TODAY.isoformat())
    result = run(org, "lado", [row, advice, cancelled])
    assert result.errors == [], result.errors
    statuses = dict(Enquiry.objects.values_list("reference", "status"))
    assert statuses == {"DOH-1": "concluded", "DOH-2": "advice_given", "DOH-3": "cancelled"}
    concluded = Enquiry.objects.get(reference="DOH-1")
    assert (concluded.sector, concluded.setting, concluded.outcome) == (sector, setting, "unsubstantiated")
    assert concluded.received_on == PAST and concluded.closed_on == TODAY


@pytest.mark.parametrize("value, words", [
    ("31/02/2024", "not a real date"),
    ("02/2024", "must include a day"),
    ("2024-02", "must include a day"),
    ("/02/2024", "must include a day"),
    ("1/1/1900", "on or after 1 January 2004"),
    ("2003-12-31", "on or after 1 January 2004"),
])
def test_partial_and_absurd_dates_are_refused_naming_row_and_column(org, value, words):
    result = run(org, "drp", [drp_row(reference="OK"), drp_row(reference="BAD", raised_on=value)])
    assert errors_of(result) == {(3, "raised_on")}
    assert words in result.errors[0]["message"]
    assert not DisputeResolution.objects.exists()


def test_single_digit_day_and_month_read_as_day_first(org):
    result = run(org, "positive_practice", [pp_row(recorded_on="3/4/2024")])
    assert result.errors == []
    assert PositivePractice.objects.get().recorded_on == date(2024, 4, 3)


def test_do_dates_before_2000_are_refused(org):
    result = run(org, "lado", [lado_row(received_on="12/12/1999")])
    assert errors_of(result) == {(2, "received_on")}


# --- Template --------------------------------------------------------------------------------


def _kinds_for(org):
    return (("drp", org.iro_manager), ("positive_practice", org.iro_manager), ("lado", org.do_manager))


def test_each_template_has_an_example_row_that_imports_as_it_is(org):
    for kind, user in _kinds_for(org):
        header, example = services.template_rows(kind, user)
        assert len(header) == len(example) and all(example[:2])
        result = run(org, kind, [], user=user, name=f"{kind}-template.csv",
                     content=services.template_csv(kind, user).encode(), create_children=True)
        assert result.errors == [] and result.created == 1, (kind, result.errors)


def test_xlsx_template_reads_back_to_the_same_rows(org, client):
    client.force_login(org.iro_manager)
    response = client.get("/imports/templates/drp.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert rows == services.template_rows("drp", org.iro_manager)
    result = run(org, "drp", [], name="drp.xlsx", content=response.content, create_children=True)
    assert result.errors == [] and result.created == 1


def test_csv_template_download_parses_back(org, client):
    client.force_login(org.iro_manager)
    text = client.get("/imports/templates/positive_practice.csv").content.decode()
    assert list(csv.reader(io.StringIO(text))) == services.template_rows("positive_practice", org.iro_manager)


def test_upload_page_lists_each_column_with_values_from_the_data(org, client):
    client.force_login(org.iro_manager)
    page = client.get("/imports/").content.decode()
    for words in ("closed_at_stage", "stage-1, stage-2", "north-1 (North Team 1)", "CLA (Looked-after child)",
                  "open, resolved, withdrawn"):
        assert words in page
    org.team.name = "North Team One"
    org.team.save()
    assert "north-1 (North Team One)" in client.get("/imports/").content.decode()


# --- Preview ---------------------------------------------------------------------------------


def _counts():
    return (DisputeResolution.objects.count(), StageRecord.objects.count(), DrpEvent.objects.count(),
            Child.objects.count(), DisputeResolution.history.count(), LadoEvent.objects.count())


def test_preview_counts_creates_and_updates_and_writes_nothing(org):
    first = run(org, "drp", [drp_row(reference="OLD", status="resolved", closed_on=TODAY.isoformat())])
    assert first.created == 1
    before = _counts()
    rows = [drp_row(reference="OLD", status="withdrawn", closed_on=TODAY.isoformat()),
            *(drp_row(reference=f"NEW-{n}", child_references=f"C000001;UNKNOWN-{n % 2}") for n in range(12))]
    result = services.run_import(kind="drp", upload=upload(csv_bytes(rows)), filename="records.csv",
                                 actor=org.iro_manager, create_children=True, dry_run=True)
    assert result.errors == []
    assert (result.created, result.updated, result.new_children, result.rows) == (12, 1, 2, 13)
    assert len(result.preview) == services.PREVIEW_ROWS
    assert result.preview[0] == {"row": 2, "reference": "OLD", "action": "update", "values": rows[0]}
    assert result.preview[1]["action"] == "create"
    assert _counts() == before


def test_preview_refuses_unknown_children_by_default_naming_the_row(org):
    rows = [drp_row(reference="A"), drp_row(reference="B", child_references="FP99999")]
    result = services.run_import(kind="drp", upload=upload(csv_bytes(rows)), filename="records.csv",
                                 actor=org.iro_manager, dry_run=True)
    assert errors_of(result) == {(3, "child_references")}
    assert "FP99999" in result.errors[0]["message"]
    assert not Child.objects.filter(reference="FP99999").exists()


def test_api_dry_run_answers_the_preview_and_writes_nothing(org):
    api = client_for(org.iro_manager)
    content = csv_bytes([drp_row(), drp_row(reference="H-2")])
    response = api.post("/api/v1/imports/?dry_run=true", {"kind": "drp", "file": upload(content)}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["dry_run"], body["created"], body["updated"], body["errors"]) == (True, 2, 0, [])
    assert [row["reference"] for row in body["preview"]] == ["H-1", "H-2"]
    assert not DisputeResolution.objects.exists()
    refused = api.post("/api/v1/imports/?dry_run=true", {"kind": "drp", "file": upload(csv_bytes([drp_row(
        status="nope")]))}, format="multipart")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "status"
    bad_flag = api.post("/api/v1/imports/?dry_run=perhaps", {"kind": "drp", "file": upload(content)},
                        format="multipart")
    assert bad_flag.status_code == 400 and bad_flag.json()["errors"][0]["field"] == "dry_run"
    assert not DisputeResolution.objects.exists()


def test_command_dry_run_says_what_would_happen_and_writes_nothing(org, tmp_path):
    path = tmp_path / "drps.csv"
    path.write_bytes(csv_bytes([drp_row(), drp_row(reference="H-2", child_references="NEW-1")]))
    out = io.StringIO()
    call_command("import_records", "drp", str(path), "--user", org.iro_manager.username, "--create-children",
                 "--dry-run", stdout=out)
    assert "would create 2, update 0, and add 1 children" in out.getvalue()
    assert not DisputeResolution.objects.exists() and not Child.objects.filter(reference="NEW-1").exists()


def test_page_preview_then_import_confirms(org, client):
    client.force_login(org.iro_manager)
    content = csv_bytes([drp_row(), drp_row(reference="H-2")])
    preview = client.post("/imports/", {"kind": "drp", "file": upload(content), "step": "preview"})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Check what will be imported" in page and "H-2" in page
    assert preview.context["result"].created == 2
    assert not DisputeResolution.objects.exists()
    job = preview.context["job"]
    done = client.post(f"/imports/jobs/{job.pk}/confirm/")
    assert done.status_code == 200, done.content.decode()[:2000]
    assert done.context["result"].created == 2
    assert DisputeResolution.objects.count() == 2
    again = client.post(f"/imports/jobs/{job.pk}/confirm/")
    assert again.status_code == 409
    assert DisputeResolution.objects.count() == 2


def test_page_preview_of_a_wrong_file_lists_problems_and_keeps_nothing(org, client):
    from imports.models import ImportJob

    client.force_login(org.iro_manager)
    response = client.post("/imports/", {"kind": "drp", "file": upload(csv_bytes([drp_row(status="x")])),
                                         "step": "preview"})
    assert response.status_code == 400
    assert "Row 2, status" in response.content.decode()
    assert not ImportJob.objects.exclude(file="").exists()


def test_someone_else_cannot_confirm_a_preview(org, client):
    client.force_login(org.iro_manager)
    preview = client.post("/imports/", {"kind": "drp", "file": upload(csv_bytes([drp_row()])), "step": "preview"})
    job = preview.context["job"]
    client.force_login(org.business_support)
    assert client.post(f"/imports/jobs/{job.pk}/confirm/").status_code == 404
    assert not DisputeResolution.objects.exists()
