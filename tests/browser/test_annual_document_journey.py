"""The annual report document in the browser (issue 16), checked with axe at desktop width and
at 390 px: the IRO Manager opens last year's document from Reports, writes the DRP section's
commentary (an error first), switches to the version for publication (small numbers "fewer than
5"), downloads the Word file and opens the print version under print media. Then an IRO raises a
DRP addressed to a partner agency's contact from the raise page (the missing "what is asked"
first, on its field)."""

import io
import re

import pytest

from .conftest import assert_accessible
from .test_act_journey import DESKTOP, check_both_widths
from .test_reports_journey import (  # noqa: F401
    download,
    report_data,
    report_year,
    sign_in,
    spike_month,
    table_rows,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def school_nurse(org):
    from drp.models import AgencyContact, PartnerAgency

    return AgencyContact.objects.create(agency=PartnerAgency.objects.get(slug="health"), name="Pat Nurse",
                                        job_title="School nurse", email="pat.nurse@health.example")


def test_iro_manager_writes_and_publishes_the_annual_report_document(report_data, report_year, page):  # noqa: F811 (fixtures imported above)
    year = report_year
    sign_in(page, "iro-manager")
    page.goto("/reports/")
    page.get_by_role("link", name=f"Annual report document {year} to {year + 1}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Annual report {year} to {year + 1}")
    for heading in ("Dispute Resolution Procedure", "Positive practice", "Designated Officer"):
        expect(page.get_by_role("heading", level=2, name=heading, exact=True)).to_be_visible()
    raised = {row[0]: row[1:] for row in table_rows(page, "drps-raised")}
    assert raised["Looked after (CLA)"][:3] == ["3", "1", "2"], raised  # the annual report's numbers
    expect(page.locator("svg.app-report-chart__svg[role=img]").first).to_be_visible()
    # The IRO Manager writes the DRP and positive-practice sections, not the DO's.
    expect(page.get_by_role("link", name=re.compile("commentary for Designated Officer"))).to_have_count(0)
    check_both_widths(page, "the annual report document")

    page.get_by_role("link", name="Write the commentary for Dispute Resolution Procedure").click()
    page.get_by_label(re.compile("Dispute Resolution Procedure commentary")).fill("x" * 20_001)
    page.get_by_role("button", name="Save commentary").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("20,000 characters or fewer")
    check_both_widths(page, "the commentary page with an error")
    page.get_by_role("link", name=re.compile("20,000 characters")).click()
    expect(page.locator("#text")).to_be_focused()
    page.get_by_label(re.compile("Dispute Resolution Procedure commentary")).fill(
        "Challenge rose this year.\n\nPlacement stability led the themes.")
    page.get_by_role("button", name="Save commentary").click()
    expect(page.locator("#commentary-drp")).to_contain_text("Placement stability led the themes.")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("commentary saved")

    page.get_by_label("For publication").check()
    page.get_by_role("button", name="Show report").click()
    expect(page).to_have_url(re.compile("publication=1"))
    expect(page.locator("#publication-note")).to_contain_text("fewer than 5")
    raised = {row[0]: row[1:] for row in table_rows(page, "drps-raised")}
    assert raised["Looked after (CLA)"][:4] == ["fewer than 5"] * 2 + ["not shown"] * 2, raised
    expect(page.locator("#table-iros-year")).to_have_count(0)
    check_both_widths(page, "the annual report document for publication")

    name, content = download(page, "Download as Word (DOCX)")
    assert name == f"annual-report-{year}-for-publication.docx"
    from docx import Document
    word = Document(io.BytesIO(content))
    assert "Placement stability led the themes." in [p.text for p in word.paragraphs]
    cla = next(row for table in word.tables for row in table.rows if row.cells[0].text == "Looked after (CLA)")
    assert [c.text for c in cla.cells][1:3] == ["fewer than 5", "fewer than 5"]

    page.get_by_role("link", name=re.compile(r"^Print-ready version")).click()
    expect(page.get_by_role("navigation", name="Menu")).to_have_count(0)
    check_both_widths(page, "the print version on screen")
    page.emulate_media(media="print")
    breaks = page.locator(".app-report-section").evaluate_all(
        "sections => sections.map(s => getComputedStyle(s).breakBefore)")
    assert breaks == ["auto", "page", "page"], breaks
    expect(page.get_by_role("link", name=re.compile("commentary"))).to_have_count(0)
    assert_accessible(page, "the print version under print media")
    page.emulate_media(media="screen")


def test_iro_raises_a_drp_to_a_partner_agency(org, school_nurse, page):
    sign_in(page, "iro")
    page.goto("/drps/raise/")
    page.get_by_label("Child's case reference").fill("C000001")
    page.get_by_role("group", name="Case type").get_by_label("Looked-after child").check()
    page.get_by_role("group", name="Themes").get_by_label("Health", exact=True).check()
    page.get_by_label("What is the concern?").fill("Health assessment overdue")
    page.get_by_text("Address it to a partner agency").click()
    page.get_by_label("Address it to", exact=True).select_option(str(school_nurse.pk))
    page.get_by_role("button", name="Raise DRP").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say what Health is asked to do")
    check_both_widths(page, "the raise page with the agency error")
    page.get_by_role("link", name="Say what Health is asked to do").click()
    expect(page.locator("#id_asked")).to_be_focused()
    page.locator("#id_asked").fill("Arrange the overdue health assessment")
    page.get_by_role("button", name="Raise DRP").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DRP-")
    expect(page.locator("main")).to_contain_text("Pat Nurse")
    page.set_viewport_size(DESKTOP)
