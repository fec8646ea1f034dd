"""Report pages, downloads and API: permissions per role, 400 naming the field, the print view,
CSV injection, charts without script, and constant queries."""

import csv
import io
from datetime import date

import pytest

from config.navigation import navigation
from lado.models import Enquiry

from tests.support.auth import login
from tests.support.reports_helpers import drp, enquiry, practice
from tests.support.lado_fixtures import client_for

pytestmark = pytest.mark.django_db
PAGES = ["/reports/", "/reports/annual/?year=2017", "/reports/annual/?year=2017&print=1",
         "/reports/annual/?year=2017&format=csv", "/reports/annual/?year=2017&format=xlsx",
         "/reports/monthly/?month=2017-05", "/reports/monthly/?month=2017-05&format=csv",
         "/reports/monthly/?month=2017-05&format=xlsx", "/reports/learning/?year=2017",
         "/reports/learning/?year=2017&format=csv"]
APIS = ["/api/reports/annual/?year=2017", "/api/reports/monthly/?month=2017-05",
        "/api/reports/learning/?year=2017"]


def readers(org):
    return [org.iro_manager, org.do_manager, org.auditor]


def others(org):
    from tests.support.factories import UserFactory
    admin = UserFactory(username="superuser-no-role", is_staff=True, is_superuser=True)
    return [org.director, org.assistant_director, org.head_of_service, org.service_manager, org.team_manager,
            org.social_worker, org.iro, org.chair, org.designated_officer, org.complaints,
            org.business_support, admin]


@pytest.fixture
def data(org):
    drp(org, date(2017, 5, 3), "CLA", "stage-2", themes=("placement", "health"), closed_on=date(2017, 5, 20))
    drp(org, date(2016, 5, 3), "CP", themes=("child-protection-plan",))
    practice(org, date(2017, 5, 4), "CP")
    enquiry(org, date(2017, 5, 1), Enquiry.Status.CONCLUDED, threshold_met=True,
            outcome="substantiated", closed_on=date(2017, 5, 20))
    return org


def test_readers_get_every_page_and_endpoint(data, client):
    for user in readers(data):
        login(client, user)
        for url in PAGES:
            assert client.get(url).status_code == 200, (user.username, url)
        api = client_for(user)
        for url in APIS:
            assert api.get(url).status_code == 200, (user.username, url)


def test_every_other_role_is_refused(data, client):
    for user in others(data):
        login(client, user)
        for url in PAGES:
            assert client.get(url).status_code == 403, (user.username, url)
        api = client_for(user)
        for url in APIS:
            assert api.get(url).status_code == 403, (user.username, url)


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/reports/annual/").status_code == 302
    assert client.get("/api/reports/annual/").status_code in (401, 403)


def test_menu_item_only_for_report_readers(org, rf):
    def items(user):
        request = rf.get("/")
        request.user = user
        return [i["text"] for i in navigation(request)["nav_items"]]
    for user in readers(org):
        assert "Reports" in items(user)
    for user in others(org):
        assert "Reports" not in items(user)


def test_api_annual_returns_the_report(data):
    body = client_for(data.iro_manager).get("/api/reports/annual/?year=2017").json()
    assert body["period"] == {"start": "2017-04-01", "end": "2018-03-31"}
    assert body["drp"]["raised"]["CLA"] == {"this_year": 1, "last_year": 0, "variance": 1, "direction": "up"}
    assert body["drp"]["raised"]["CP"] == {"this_year": 0, "last_year": 1, "variance": -1, "direction": "down"}
    assert body["drp"]["closed_at_stage"]["CLA"]["stage-2"] == 1
    # One DO case: the IRO Manager sees it suppressed, the DO Manager exactly.
    assert body["designated_officer"]["outcomes"]["substantiated"] is None
    assert "outcomes.substantiated" in body["designated_officer_disclosure"]["suppressed"]
    body = client_for(data.do_manager).get("/api/reports/annual/?year=2017").json()
    assert body["designated_officer"]["outcomes"]["substantiated"] == 1
    assert body["designated_officer"]["timeliness"]["within_1_month"] == 100.0
    assert body["designated_officer_disclosure"] == {"level": "exact", "threshold": None, "suppressed": [],
                                                     "note": ""}


def test_api_monthly_returns_the_report(data):
    body = client_for(data.auditor).get("/api/reports/monthly/?month=2017-05").json()
    assert body["month"] == "2017-05" and body["raised"]["by_theme"]["placement"] == 1
    assert len(body["trend"]["months"]) == 12 and body["trend"]["months"][-1] == "2017-05"


@pytest.mark.parametrize("url,field", [("/api/reports/annual/?year=17", "year"),
                                       ("/api/reports/annual/?year=nope", "year"),
                                       ("/api/reports/monthly/?month=2017-13", "month"),
                                       ("/api/reports/monthly/?month=May", "month")])
def test_api_bad_input_is_400_naming_the_field(org, url, field):
    response = client_for(org.iro_manager).get(url)
    assert response.status_code == 400 and field in response.json()


def test_bad_year_on_the_page_is_400_with_an_error(org, client):
    client.force_login(org.iro_manager)
    response = client.get("/reports/annual/?year=abc")
    assert response.status_code == 400 and b"govuk-error-summary" in response.content


def test_annual_page_shows_tables_direction_and_accessible_charts(data, client):
    client.force_login(data.iro_manager)
    html = client.get("/reports/annual/?year=2017").content.decode()
    assert "Annual report 2017 to 2018" in html
    assert "Stage at which DRPs closed" in html and "Total closed" in html
    assert 'govuk-visually-hidden">Up on last year' in html and 'govuk-visually-hidden">Down on last year' in html
    # CLA themes are charted; no CP DRP was raised this year, so that chart says so instead
    assert html.count('class="app-report-chart__svg" role="img"') == 1
    assert "aria-label=\"Bar chart. DRP themes: Looked after (CLA)." in html and "Nothing to chart" in html
    assert "<details" in html and "Data for this chart" in html
    assert "<script>" not in html and "<script " not in html.replace('<script type="module" src=', "")
    assert "Designated Officer" in html and "Substantiated" in html
    assert "print=1" in html and "format=csv" in html and "format=xlsx" in html


def test_print_view_is_standalone_with_a4_css(data, client):
    client.force_login(data.auditor)
    html = client.get("/reports/annual/?year=2017&print=1").content.decode()
    assert "govuk-service-navigation" not in html and "<script" not in html
    assert "reports/reports.css" in html and html.count("app-report-section") >= 2
    from django.contrib.staticfiles import finders
    css = open(finders.find("reports/reports.css")).read()
    assert "@page { size: A4" in css and "break-before: page" in css


def test_monthly_page_flags_spikes_and_explains_the_rule(org, client):
    for _ in range(3):
        drp(org, date(2017, 5, 10), themes=("health",))
    client.force_login(org.iro_manager)
    html = client.get("/reports/monthly/?month=2017-05").content.decode()
    assert "Theme spike:" in html and "Health" in html
    assert "at least 3 DRPs" in html and "2 times its mean" in html
    assert 'type="month"' in html and 'value="2017-05"' in html
    assert 'class="app-report-chart__svg" role="img"' in html


def test_annual_csv_is_injection_safe(org, client):
    from drp.models import Theme
    Theme.objects.filter(slug="health").update(name="=HYPERLINK(\"http://x\")")
    drp(org, date(2017, 5, 3), themes=("health",))
    client.force_login(org.iro_manager)
    response = client.get("/reports/annual/?year=2017&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="annual-report-2017.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Case type", "This year", "Last year", "Variance", "Direction of travel"] in rows
    # The only DRP is this year's: last year is "not recorded", not 0 and "up".
    assert ["Looked after (CLA)", "1", "Not recorded", "", "not-recorded"] in rows
    assert not any(cell.startswith("=") for row in rows for cell in row)
    assert ["'=HYPERLINK(\"http://x\")", "0", "1"] in rows


def test_xlsx_downloads_open_with_openpyxl(data, client):
    from openpyxl import load_workbook
    login(client, data.do_manager)
    for url in ("/reports/annual/?year=2017&format=xlsx", "/reports/monthly/?month=2017-05&format=xlsx"):
        response = client.get(url)
        book = load_workbook(io.BytesIO(response.content))
        assert len(book.sheetnames) >= 5
    sheet = load_workbook(io.BytesIO(client.get(PAGES[4]).content))["DRPs raised"]
    assert [c.value for c in sheet[5]] == ["Looked after (CLA)", 1, 0, 1, "up"]


def test_learning_page_lists_teams_and_iros(data, client):
    client.force_login(data.iro_manager)
    html = client.get("/reports/learning/?year=2017").content.decode()
    assert "North Team 1" in html and "IRO/CC footprint" in html and "Placement (1)" in html
    assert data.child.name not in html


def _bulk(org, n):
    for i in range(n):
        day = date(2017, 4 + i % 9, 1 + i % 27)
        drp(org, day, "CP" if i % 2 else "CLA", themes=("placement",), closed_on=day if i % 3 == 0 else None)
        practice(org, day)
        enquiry(org, day, Enquiry.Status.CONCLUDED, threshold_met=True,
                outcome="substantiated", closed_on=day)


@pytest.mark.parametrize("n", [2, 30])
def test_pages_and_api_use_a_constant_number_of_queries(org, client, n, django_assert_max_num_queries):
    _bulk(org, n)
    client.force_login(org.iro_manager)
    api = client_for(org.iro_manager)
    for url, limit in (("/reports/annual/?year=2017", 35), ("/reports/annual/?year=2017&print=1", 35),
                       ("/reports/monthly/?month=2017-05", 25), ("/reports/learning/?year=2017", 20),
                       ("/api/reports/annual/?year=2017", 30), ("/api/reports/monthly/?month=2017-05", 20)):
        with django_assert_max_num_queries(limit):
            assert (api if url.startswith("/api") else client).get(url).status_code == 200


def test_query_counts_are_identical_at_two_sizes(org, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    client.force_login(org.iro_manager)
    urls = ["/reports/annual/?year=2017", "/reports/monthly/?month=2017-05", "/reports/learning/?year=2017"]
    counts = []
    for n in (1, 20):
        _bulk(org, n)
        sizes = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            sizes.append(len(ctx))
        counts.append(sizes)
    assert counts[0] == counts[1], counts


# --- Designated Officer figures for readers outside the DO team ---------------------------------------

def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_auditor_sees_no_live_do_figures(org, client):
    """An auditor compared the annual report before and after one new enquiry and read its
    category, source, sector and setting (and later its outcome). While the year runs, readers
    outside the DO team get no DO figures at all, on the page, in the API and in downloads."""
    from workflows.clocks import as_of

    enquiry(org, date(2017, 5, 1), Enquiry.Status.CONCLUDED, threshold_met=True, outcome="substantiated",
            closed_on=date(2017, 5, 20))
    with as_of(date(2018, 1, 15)):
        api = client_for(org.auditor)
        before = api.get("/api/reports/annual/?year=2017").json()
        enquiry(org, date(2018, 1, 15), category="sexual", setting="faith", sector="voluntary", source="police")
        after = api.get("/api/reports/annual/?year=2017").json()
        assert before == after
        assert after["designated_officer"] is None
        assert after["designated_officer_disclosure"]["level"] == "withheld"
        for user in (org.auditor, org.iro_manager):
            login(client, user)
            html = client.get("/reports/annual/?year=2017").content.decode()
            assert "Designated Officer figures are shown once the period has ended." in html
            assert 'id="table-do-' not in html and "Enquiries by category" not in html
            rows = _csv(client.get("/reports/annual/?year=2017&format=csv"))
            assert ["Designated Officer figures are shown once the period has ended."] in rows
            assert not any(row and row[0] in ("Enquiries received", "Sexual", "Faith") for row in rows)
        # The DO team still sees exact, live figures.
        exact = client_for(org.do_manager).get("/api/reports/annual/?year=2017").json()["designated_officer"]
        assert exact["enquiries"]["this_year"] == 2 and exact["by_category"] == {"physical": 1, "sexual": 1}
    # Once the year has ended the figures appear, small ones suppressed.
    with as_of(date(2018, 4, 1)):
        ended = client_for(org.auditor).get("/api/reports/annual/?year=2017").json()
        assert ended["designated_officer_disclosure"]["level"] == "suppressed"
        assert ended["designated_officer"]["by_category"]["sexual"] is None


def test_small_do_counts_suppressed_for_non_do_readers(org, client):
    """Counts below 5 (FOOTPRINT_SMALL_NUMBER_THRESHOLD) are "fewer than 5" on the page and in
    CSV/XLSX, and null with their paths listed in the API, for the IRO Manager and the auditor."""
    from openpyxl import load_workbook

    for day in range(1, 7):
        enquiry(org, date(2017, 6, day), Enquiry.Status.CONCLUDED, threshold_met=True, outcome="substantiated",
                closed_on=date(2017, 6, 20))
    enquiry(org, date(2017, 7, 1), Enquiry.Status.CONCLUDED, threshold_met=True, outcome="malicious",
            closed_on=date(2017, 7, 20), category="sexual", setting="faith")
    for user in (org.iro_manager, org.auditor):
        body = client_for(user).get("/api/reports/annual/?year=2017").json()
        do, how = body["designated_officer"], body["designated_officer_disclosure"]
        assert do["enquiries"]["this_year"] == 7 and do["outcomes"]["substantiated"] == 6
        assert do["outcomes"]["malicious"] is None and do["by_category"]["sexual"] is None
        assert do["by_setting"]["faith"] is None and do["by_category"]["physical"] == 6
        assert {"outcomes.malicious", "by_category.sexual", "by_setting.faith", "enquiries.last_year"} <= set(
            how["suppressed"])
        assert how["level"] == "suppressed" and how["threshold"] == 5
        login(client, user)
        html = client.get("/reports/annual/?year=2017").content.decode()
        assert "fewer than 5" in html and "Counts below 5 are shown as" in html
        assert "No enquiries were received" not in html
        rows = _csv(client.get("/reports/annual/?year=2017&format=csv"))
        assert ["Malicious", "fewer than 5"] in rows and ["Substantiated", "6"] in rows
        assert ["Sexual abuse", "fewer than 5"] in rows and ["Physical abuse", "6"] in rows
        assert ["Faith", "fewer than 5"] in rows and ["Enquiries received", "7", "fewer than 5", "not shown",
                                                     "not shown"] in rows
        book = load_workbook(io.BytesIO(client.get("/reports/annual/?year=2017&format=xlsx").content))
        values = [[c.value for c in row] for row in book["Enquiries by category"].iter_rows()]
        assert ["Sexual abuse", "fewer than 5"] in values and ["Physical abuse", 6] in values
    # The DO Manager sees every count as it is.
    exact = client_for(org.do_manager).get("/api/reports/annual/?year=2017").json()
    assert exact["designated_officer"]["outcomes"]["malicious"] == 1
    assert exact["designated_officer_disclosure"]["level"] == "exact"
    login(client, org.do_manager)
    assert "fewer than" not in client.get("/reports/annual/?year=2017").content.decode()


def test_the_api_documents_suppressed_do_figures(org, client):
    import json

    client.force_login(org.iro_manager)
    schema = json.loads(client.get("/api/schema/?format=json").content)
    components = schema["components"]["schemas"]
    assert "designated_officer_disclosure" in components["AnnualReport"]["properties"]
    figures = components["DesignatedOfficerFigures"]["properties"]
    assert figures["met_threshold"]["nullable"] is True and "suppressed" in figures["met_threshold"]["description"]
    assert components["Disclosure"]["properties"]["suppressed"]["type"] == "array"
