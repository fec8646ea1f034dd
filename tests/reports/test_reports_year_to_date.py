"""The annual report for a year not yet over: "year to date", compared with the same months of
last year, on the page, in the downloads and in the API (issue 13)."""

from datetime import date

import pytest

from reports import selectors
from tests.drp.test_drp_api import client_for
from tests.support.auth import login
from tests.support.reports_helpers import drp
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db

ON = date(2026, 12, 2)  # reporting year 2026 (1 April 2026 to 31 March 2027) is running


@pytest.fixture
def raised(org):
    drp(org, date(2026, 4, 10))           # this year, to date
    drp(org, date(2026, 11, 30))          # this year, to date
    drp(org, date(2025, 6, 1))            # last year, in the same months
    drp(org, date(2025, 12, 2))           # last year, on the same day
    drp(org, date(2026, 1, 15))           # last year, after the same day: not compared


def test_a_running_year_is_compared_with_the_same_months_of_last_year(org, raised):
    with as_of(ON):
        report = selectors.annual_report(2026)
    assert report["year_to_date"] is True
    assert report["period"] == {"start": "2026-04-01", "end": "2026-12-02"}
    assert report["compared_with"] == {"start": "2025-04-01", "end": "2025-12-02"}
    cla = report["drp"]["raised"]["CLA"]
    assert (cla["this_year"], cla["last_year"], cla["variance"]) == (2, 2, 0)


def test_a_finished_year_is_compared_with_the_whole_of_last_year(org, raised):
    with as_of(ON):
        report = selectors.annual_report(2025)
    assert report["year_to_date"] is False
    assert report["compared_with"] == {"start": "2024-04-01", "end": "2025-03-31"}
    assert report["drp"]["raised"]["CLA"]["this_year"] == 3


def test_a_leap_day_is_compared_with_the_28th(org):
    with as_of(date(2028, 2, 29)):
        assert selectors.annual_report(2027)["compared_with"]["end"] == "2027-02-28"


def test_year_to_date_on_the_page_the_downloads_and_the_api(client, org, raised):
    login(client, org.iro_manager)
    with as_of(ON):
        page = client.get("/reports/annual/?year=2026").content.decode()
        csv = client.get("/reports/annual/?year=2026&format=csv").content.decode()
        api = client_for(org.iro_manager).get("/api/v1/reports/annual/?year=2026").json()
        finished = client.get("/reports/annual/?year=2025").content.decode()
    assert "Annual report 2026 to 2027: year to date" in page
    assert "1 April 2026 to 2 December 2026" in page and "1 April 2025 to 2 December 2025" in page
    assert "This year to date" in page and "Same months last year" in page
    assert "year to date" in csv and "This year to date" in csv
    assert api["year_to_date"] is True and api["compared_with"] == {"start": "2025-04-01", "end": "2025-12-02"}
    assert "year to date" not in finished and "This year to date" not in finished
