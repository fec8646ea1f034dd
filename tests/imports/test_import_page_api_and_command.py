"""Importing through the page, the API and the command (issue 5): the same permissions everywhere,
the template download, counts and errors on the page, the API's result and schema, the command;
and two years of DRPs imported showing the variance in the annual report."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from config.navigation import navigation
from drp.models import DisputeResolution
from imports import services
from reports import selectors as report_selectors
from reports.periods import reporting_year_of
from tests.support.auth import login
from tests.support.import_files import (
    COLUMNS,
    PAST,
    TODAY,
    client_for,
    csv_bytes,
    drp_row,
    lado_row,
    pp_row,
    run,
    upload,
    xlsx_bytes,
)

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
