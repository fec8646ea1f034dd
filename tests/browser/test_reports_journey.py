"""The reports as an IRO Manager uses them in the browser, checked with axe (WCAG 2.2 A/AA).

The IRO Manager signs in through the form, picks last reporting year's annual report (with
records in that year and the one before, so every row has a variance and a direction of
travel), downloads it as CSV and XLSX, opens the print-ready version under print media,
then the monthly theme report for a month with a theme spike, then service learning and the
IRO/CC footprint. A second test does the same without JavaScript: every report is plain
links, forms and downloads, so nothing may depend on script.
"""

import csv
import io
import re
from datetime import date

import pytest

from .conftest import assert_accessible

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "footprint-test"


# --- records: made before the browser starts (see tests/browser/conftest.py) --------------

@pytest.fixture
def report_year():
    """Last complete reporting year: in the year picker, and with a year before it."""
    from reports.periods import reporting_year_of
    from workflows.clocks import today

    return reporting_year_of(today()) - 1


@pytest.fixture
def spike_month(report_year):
    return date(report_year, 10, 1)


@pytest.fixture
def report_data(org, report_year, spike_month):
    """This year: 3 CLA DRPs about health in the spike month (none in the 11 months before),
    1 CP DRP closed at Stage 1, positive practice and two DO enquiries. Last year: 1 CLA and
    2 CP DRPs, positive practice and one DO enquiry. So CLA is up, CP down, practice level."""
    from lado.models import Enquiry
    from tests.support.reports_helpers import drp, enquiry, practice

    year, last = report_year, report_year - 1
    for day in (3, 10, 17):
        drp(org, spike_month.replace(day=day), "CLA", themes=("health",))
    drp(org, date(year, 5, 3), "CP", "stage-1", themes=("placement",), closed_on=date(year, 5, 20))
    drp(org, date(last, 6, 1), "CLA", themes=("placement",))
    drp(org, date(last, 6, 2), "CP", themes=("placement",), closed_on=date(last, 7, 1))
    drp(org, date(last, 9, 9), "CP", themes=("drift-and-delay",))
    practice(org, date(year, 5, 4), "CP")
    practice(org, date(last, 5, 4), "CP")
    enquiry(org, date(year, 4, 10), Enquiry.Status.CONCLUDED, threshold_met=True, outcome="substantiated",
            closed_on=date(year, 4, 30))
    enquiry(org, date(year, 6, 1), Enquiry.Status.ADVICE_GIVEN, threshold_met=False, closed_on=date(year, 6, 2))
    enquiry(org, date(last, 6, 1))
    return org


# --- what a person does -------------------------------------------------------------------

def sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".app-service-navigation__user")).to_be_visible()


def download(page, link_name):
    """Click a download link; return (suggested file name, bytes)."""
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(rf"^{re.escape(link_name)}")).click()
    got = info.value
    with open(got.path(), "rb") as handle:
        return got.suggested_filename, handle.read()


def table_rows(page, table_id):
    """The body rows of a report table, as lists of cell texts (visually hidden text included)."""
    return page.locator(f"#table-{table_id} tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))")


def open_chart_data(page):
    for details in page.locator("details.app-report-chart__data").all():
        if details.get_attribute("open") is None:
            details.locator("summary").click()
            expect(details).to_have_attribute("open", "")


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


# --- the journeys ---------------------------------------------------------------------------

def test_iro_manager_reads_every_report(report_data, report_year, spike_month, page):
    year = report_year
    sign_in(page, "iro-manager")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    assert_accessible(page, "the reports index")

    # The annual report: open the current year, then choose last full year in the picker.
    page.get_by_role("link", name=f"1 April {year + 1} to 31 March {year + 2}").click()
    page.get_by_label("Reporting year (starting 1 April)").select_option(str(year))
    page.get_by_role("button", name="Show year").click()
    expect(page).to_have_url(re.compile(rf"year={year}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Annual report {year} to {year + 1}")
    raised = {row[0]: row[1:] for row in table_rows(page, "drps-raised")}
    assert raised["Looked after (CLA)"][:3] == ["3", "1", "2"], raised
    assert raised["Child protection (CP)"][:3] == ["1", "2", "-1"], raised
    expect(page.locator("#table-drps-raised .app-direction--up")).to_contain_text("Up on last year")
    expect(page.locator("#table-drps-raised .app-direction--down")).to_contain_text("Down on last year")
    # Positive practice: CP 1 and 1, CLA 0 and 0; both the same as last year.
    expect(page.locator("#table-positive-practice .app-direction--same")).to_have_count(2)
    # Each theme chart is an image with a name, and its figures are in a table beside it.
    charts = page.locator("svg.app-report-chart__svg[role=img]")
    expect(charts).to_have_count(2)
    expect(charts.first).to_have_attribute("aria-label", re.compile(r"^Bar chart\. DRP themes: "))
    open_chart_data(page)
    cla_data = page.locator("figure", has_text="DRP themes: Looked after (CLA)").locator("table")
    expect(cla_data.locator("tr", has_text="Health").locator("td")).to_have_text("3")
    # Two DO enquiries this year and one last: fewer than 5, so the IRO Manager sees neither count
    # nor the direction (reports.disclosure); the DO team sees them exactly.
    expect(page.locator("#table-do-enquiries")).to_contain_text("fewer than 5")
    expect(page.locator("#table-do-enquiries")).not_to_contain_text("Up on last year")
    expect(page.locator("#do-suppressed")).to_contain_text("Counts below 5")
    assert_accessible(page, "the annual report with the chart data open")

    name, content = download(page, "Download as CSV")
    assert name == f"annual-report-{year}.csv"
    rows = csv_rows(content)
    assert ["Looked after (CLA)", "3", "1", "2", "up"] in rows
    assert ["Child protection (CP)", "1", "2", "-1", "down"] in rows
    name, content = download(page, "Download as Excel (XLSX)")
    assert name == f"annual-report-{year}.xlsx"
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(content))["DRPs raised"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["Looked after (CLA)", 3, 1, 2, "up"] in values, values

    # The print-ready version: standalone, A4, each section on a new page.
    page.get_by_role("link", name=re.compile(r"^Print-ready version")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Annual report {year} to {year + 1}")
    expect(page.get_by_role("navigation", name="Menu")).to_have_count(0)
    assert_accessible(page, "the print-ready annual report on screen")
    page.emulate_media(media="print")
    assert page.evaluate("""() => Array.from(document.styleSheets).some(sheet => {
        try { return Array.from(sheet.cssRules).some(rule => rule instanceof CSSPageRule
                                                     && /A4/i.test(rule.style.getPropertyValue('size'))); }
        catch (e) { return false; } })"""), "no @page { size: A4 } rule"
    breaks = page.locator(".app-report-section").evaluate_all(
        "sections => sections.map(s => getComputedStyle(s).breakBefore)")
    assert breaks == ["auto", "page"], breaks
    expect(page.locator(".app-print__screen-only")).to_be_hidden()
    expect(page.locator("#table-closed-at-stage")).to_be_visible()
    expect(page.locator("#table-do-outcomes")).to_contain_text("Substantiated")
    assert_accessible(page, "the print-ready annual report under print media")
    page.emulate_media(media="screen")

    # The monthly theme report for the month with the spike.
    page.goto("/reports/")
    page.get_by_role("link", name="Last month", exact=True).click()
    page.get_by_label("Month", exact=True).fill(f"{spike_month:%Y-%m}")
    page.get_by_role("button", name="Show month").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Monthly theme report: {spike_month:%B %Y}")
    expect(page.locator(".govuk-inset-text")).to_contain_text("Theme spike: Health.")
    expect(page.locator(".govuk-summary-list__row", has_text="DRPs raised").locator("dd")).to_have_text("3")
    expect(page.locator("figcaption", has_text="Health: DRPs raised per month")).to_have_count(1)
    open_chart_data(page)
    assert_accessible(page, "the monthly theme report with a spike")
    name, content = download(page, "Download as CSV")
    assert name == f"monthly-report-{spike_month:%Y-%m}.csv"
    assert any(row and row[0] == "Health" and "3" in row[1:] for row in csv_rows(content))

    # Service learning and the IRO/CC footprint.
    page.goto("/reports/")
    page.get_by_role("link", name="This reporting year", exact=True).click()
    page.get_by_label("Reporting year (starting 1 April)").select_option(str(year))
    page.get_by_role("button", name="Show year").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Service learning and IRO/CC footprint {year} to {year + 1}")
    expect(page.locator("#table-team-learning")).to_contain_text("North Team 1")
    expect(page.locator("#table-iro-footprint tbody tr")).to_have_count(1)
    expect(page.locator("#table-iro-footprint")).not_to_contain_text("Amy Example")  # no child's details
    assert_accessible(page, "service learning and the IRO/CC footprint")


def test_reports_work_without_javascript(report_data, report_year, spike_month, browser, live_server):
    year = report_year
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, "iro-manager")
        page.goto("/reports/annual/")
        page.get_by_label("Reporting year (starting 1 April)").select_option(str(year))
        page.get_by_role("button", name="Show year").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Annual report {year} to {year + 1}")
        # The chart's data is in a <details>: readable without script (summary toggles natively).
        page.locator("details.app-report-chart__data summary").first.click()
        expect(page.locator("details.app-report-chart__data").first).to_have_attribute("open", "")
        _, content = download(page, "Download as CSV")
        assert ["Looked after (CLA)", "3", "1", "2", "up"] in csv_rows(content)
        _, content = download(page, "Download as Excel (XLSX)")
        assert content[:2] == b"PK"  # a zip: the XLSX container

        page.get_by_role("link", name=re.compile(r"^Print-ready version")).click()
        expect(page.locator(".app-report-section")).to_have_count(2)

        page.goto("/reports/monthly/")
        page.get_by_label("Month", exact=True).fill(f"{spike_month:%Y-%m}")
        page.get_by_role("button", name="Show month").click()
        expect(page.locator(".govuk-inset-text")).to_contain_text("Theme spike: Health.")
        _, content = download(page, "Download as CSV")
        assert any(row and row[0] == "Health" for row in csv_rows(content))

        page.goto(f"/reports/learning/?year={year}")
        expect(page.locator("#table-iro-footprint tbody tr")).to_have_count(1)
        _, content = download(page, "Download as CSV")
        assert any("North Team 1" in row for row in csv_rows(content))
    finally:
        context.close()
