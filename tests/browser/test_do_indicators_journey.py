"""The Designated Officer indicators in the browser (issue 16), checked with axe (WCAG 2.2 A/AA)
at desktop width and at 390 px.

The DO Manager logs an advice-only consultation (refused first without the advice), records the
reason an enquiry is past its first target, and reads the indicators by year and by month; an
IRO Manager reads last year's from the reports index, small counts not shown."""

from datetime import timedelta

import pytest

from tests.support.do_journey import set_up_two_step, sub_nav

from .test_act_journey import check_both_widths
from .test_drp_journey import sign_in, sign_out, success_banner

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def late_enquiry(org):
    """An enquiry received two months ago and still awaiting its decision: past its first target."""
    from tests.support.lado_fixtures import at, log
    from workflows.clocks import today

    received = today() - timedelta(days=61)
    enquiry = log(org, received_at=at(received))
    return {"pk": enquiry.pk, "reference": enquiry.reference,
            "month": (today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")}


def test_do_manager_logs_a_consultation_records_a_delay_and_reads_the_indicators(late_enquiry, page):
    sign_in(page, "do-manager")
    set_up_two_step(page)

    sub_nav(page, "Advice-only consultations")
    expect(page.get_by_role("heading", level=1)).to_have_text("Advice-only consultations")
    expect(page.get_by_text("No consultations logged yet.")).to_be_visible()
    check_both_widths(page, "the consultations list (empty)", no_sideways_scroll=True)
    page.get_by_role("button", name="Log a consultation").click()
    page.get_by_role("button", name="Log consultation").click()  # no advice
    expect(page.locator(".govuk-error-summary")).to_contain_text("Record the advice given")
    check_both_widths(page, "the consultation form with an error")
    page.get_by_label("Who called").fill("Jane Head")
    page.get_by_label("Setting").select_option("education")
    page.get_by_label("School phase").select_option("primary")
    page.get_by_label("Advice given").fill("Follow the behaviour policy; call back if it happens again.")
    page.get_by_role("button", name="Log consultation").click()
    expect(success_banner(page)).to_have_text("Consultation logged")
    expect(page.locator("table.govuk-table")).to_contain_text("Education (Primary)")
    check_both_widths(page, "the consultations list", no_sideways_scroll=True)

    page.goto(f"/lado/{late_enquiry['pk']}/")
    expect(page.locator(".govuk-tag--orange", has_text="Not recorded")).to_be_visible()  # the reason for delay
    page.get_by_role("link", name="Record the reason for delay").first.click()
    page.get_by_role("button", name="Record reason for delay").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the reason for the delay")
    check_both_widths(page, "the reason for delay form with an error")
    page.get_by_label("Awaiting information").check()
    page.get_by_label("Say more").fill("Statements from the school")
    page.get_by_role("button", name="Record reason for delay").click()
    expect(success_banner(page)).to_have_text("Reason for delay recorded")
    expect(page.locator("main")).to_contain_text("Awaiting information: Statements from the school")
    check_both_widths(page, "an enquiry with its reason for delay")

    page.goto("/lado/")
    page.get_by_role("navigation", name="Designated Officer").get_by_role("link", name="Indicators", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Designated Officer indicators")
    expect(page.locator("#table-do-indicators")).to_contain_text("Advice-only consultations")
    expect(page.locator("#table-do-trend")).to_contain_text("Five-year trend")
    check_both_widths(page, "the DO indicators for this year")
    page.get_by_label("Month, with the year to date").fill(late_enquiry["month"])
    page.get_by_role("button", name="Show month").click()
    expect(page.locator("#table-do-indicators thead")).to_contain_text("Year to date")
    check_both_widths(page, "the DO indicators for a month")
    page.goto("/reports/do-indicators/?month=2026-13")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a month as YYYY-MM")
    check_both_widths(page, "the DO indicators with a wrong month")
    sign_out(page)


def test_iro_manager_reads_last_years_do_indicators_with_small_numbers_not_shown(late_enquiry, page):
    sign_in(page, "iro-manager")
    page.goto("/reports/")
    page.get_by_role("link", name="Designated Officer indicators for last reporting year").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Designated Officer indicators")
    expect(page.locator("#table-do-indicators")).to_contain_text("fewer than 5")
    expect(page.get_by_label("Month, with the year to date")).to_have_count(0)  # months are the DO team's
    check_both_widths(page, "the DO indicators for last year, suppressed")
