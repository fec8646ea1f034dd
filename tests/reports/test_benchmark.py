"""The benchmark file (issue 16): headline figures with definitions in one CSV to share, the
import of another authority's file, and the side-by-side page and API."""

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lado.models import Enquiry
from reports import benchmark
from reports.models import BenchmarkFigure
from tests.reports.test_drp_indicators import REPORT_DAY, november  # noqa: F401 (a fixture)
from tests.support.auth import login
from tests.support.lado_fixtures import client_for
from tests.support.reports_helpers import enquiry
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db


def figures(year, on=REPORT_DAY):
    with as_of(on):
        return {f["key"]: (f["value"], f["shown_as"]) for f in benchmark.headline_figures(year)}


def test_headline_figures_match_the_hand_count_and_leave_out_do_while_the_year_runs(november):  # noqa: F811
    got = figures(2026)
    assert got["drp.raised.cp"] == (2, "") and got["drp.raised.cla"] == (2, "")
    assert got["drp.children_affected"] == (4, "")
    assert got["drp.median_days_to_agreed_actions"] == (2, "")
    assert got["drp.median_days_to_resolution"] == (11.5, "")
    assert got["drp.stage_deadlines_met_percent"] == (33.3, "")
    assert got["drp.agreed_actions_done_on_time_percent"] == (33.3, "")
    assert got["drp.partner_agency_drps"] == (2, "")
    assert got["positive_practice.cla"] == (1, "")
    assert not [key for key in got if key.startswith("do.")]
    assert figures(2025)["drp.median_days_to_resolution"] == (None, "none to measure")


def test_do_counts_below_the_threshold_are_not_given_in_the_file(org):
    for day in (3, 4, 5, 6, 7, 10):
        enquiry(org, date(2025, 6, day), Enquiry.Status.ADVICE_GIVEN, threshold_met=False,
                closed_on=date(2025, 6, day))
    got = figures(2025, on=date(2026, 5, 1))
    assert got["do.enquiries"] == (6, "")
    # None met the threshold (fewer than 5): advice given (6) would give it back from the total.
    assert got["do.met_threshold"] == (None, "not shown") and got["do.advice_given"] == (None, "not shown")
    assert got["do.suspensions"] == (None, "not shown")


def test_file_downloaded_by_one_authority_imports_side_by_side_at_another(november, client, settings):  # noqa: F811
    settings.FOOTPRINT_AUTHORITY_NAME = "Medway"
    login(client, november.iro_manager)
    with as_of(REPORT_DAY):
        download = client.get("/reports/benchmark/?year=2026&format=csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == benchmark.COLUMNS
    assert ["Medway", "2026", "drp.median_days_to_resolution", "Median working days from raised to resolution",
            "11.5"] == rows[6][:5]
    # Kent sends the same shape: imported, it sits beside ours.
    kent = "\n".join([",".join(benchmark.COLUMNS),
                      'Kent,2026,drp.median_days_to_resolution,Median working days from raised to resolution,9,x',
                      'Kent,2026,do.enquiries,DO enquiries received,fewer than 5,y',
                      'Kent,2026,kent.extra,A figure of their own,3,z'])
    with as_of(REPORT_DAY):
        response = client.post("/reports/benchmark/", {"file": SimpleUploadedFile("kent.csv", kent.encode())})
        assert response.status_code == 302 and response["Location"].endswith("?year=2026")
        page = client.get("/reports/benchmark/?year=2026").content.decode()
        body = client_for(november.iro_manager).get("/api/v1/reports/benchmark/?year=2026").json()
    assert "Kent" in page and "A figure of their own" in page
    assert BenchmarkFigure.objects.filter(authority="Kent").count() == 3
    [other] = body["others"]
    assert other["authority"] == "Kent"
    assert other["figures"]["drp.median_days_to_resolution"]["value"] == 9
    assert other["figures"]["do.enquiries"] == {"value": None, "shown_as": "fewer than 5", "label": "DO enquiries received"}
    # Ours has no DO figures while the year runs: Kent's DO figure is listed as one only they give.
    assert body["other_keys"] == [{"key": "do.enquiries", "label": "DO enquiries received"},
                                  {"key": "kent.extra", "label": "A figure of their own"}]


def test_a_bad_file_is_refused_naming_row_and_column_and_auditors_only_read(org, client):
    login(client, org.iro_manager)
    bad = "\n".join([",".join(benchmark.COLUMNS), "Kent,20x6,drp.raised.cp,CP,3,x", ",2026,,CP,3,x"])
    response = client.post("/reports/benchmark/", {"file": SimpleUploadedFile("bad.csv", bad.encode())})
    text = response.content.decode()
    assert response.status_code == 400
    assert "Row 2, reporting_year" in text and "Row 3, authority" in text and "Row 3, figure" in text
    assert client.post("/reports/benchmark/", {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2")}).status_code == 400
    assert not BenchmarkFigure.objects.exists()
    login(client, org.auditor)
    assert client.get("/reports/benchmark/").status_code == 200
    assert client.post("/reports/benchmark/", {}).status_code == 403
