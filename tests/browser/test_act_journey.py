"""Acting on cases in the browser, at desktop width and on a phone (390 px), issue 13.

The IRO Manager finds a DRP in the list (filters behind "Show filters" on a phone, no sideways
scrolling), reassigns it to another IRO, copies its summary for the child's file and opens the
print version, and reads the annual report (year to date) and the monthly report. A team
manager arranges cover for their DRPs, then ends it early. The IRO reopens a resolved DRP. The Designated Officer
reads the work tray on a phone and concludes a case with open actions, saying what happens to
each. Every page on the way is checked with axe-core (WCAG 2.2 A and AA) at both widths, and
the sign-in page with its errors too.
"""

import re
from datetime import date

import pytest

from tests.support.do_journey import enter_security_code, totp_code

from .conftest import assert_accessible
from .test_drp_journey import assert_styled, open_action, sign_in, success_banner

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def check_both_widths(page, what, no_sideways_scroll=False):
    """axe at desktop width and at 390 px; on the phone, optionally, no horizontal scroll."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_accessible(page, f"{what} at {size['width']} px")
        if no_sideways_scroll and size is PHONE:
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, f"{what} scrolls sideways at 390 px (scrollWidth {width})"
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def act_data(org):
    """Made before the browser starts (see the ``browser`` fixture)."""
    from drp import services as drp_services
    from drp.models import Stage, Theme
    from lado import services as lado_services
    from people import roles
    from tests.support.auth import totp_device
    from tests.support.factories import UserFactory, resolution
    from tests.support.lado_fixtures import in_progress

    theme = [Theme.objects.get(slug="placement")]
    open_drp = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA", themes=theme,
                                      concern="Placement plan has drifted", stage=Stage.objects.get(key="stage-1"))
    drp_services.drp_respond(drp=open_drp, actor=org.team_manager, response="Panel date requested")
    closed = drp_services.drp_raise(actor=org.iro, children=[org.sibling], case_type="CLA", themes=theme,
                                    concern="Health assessment overdue")
    drp_services.drp_resolve(drp=closed, actor=org.iro, **resolution())
    colleague = UserFactory(username="cover-manager", first_name="Casey", last_name="Cover",
                            roles=[roles.TEAM_MANAGER], team=org.other_team)
    enquiry = in_progress(org)
    police = lado_services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer,
                                              kind="police-investigation", owner_name="DC Rowe")
    suspension = lado_services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer,
                                                  kind="suspension", owner_name="Head teacher")
    device = totp_device(org.designated_officer)
    return {"open": open_drp.pk, "open_reference": open_drp.reference, "closed": closed.pk,
            "chair": str(org.chair), "colleague": str(colleague), "enquiry": enquiry.pk,
            "police": police.pk, "suspension": suspension.pk,
            "authenticator": {"key": device.bin_key, "step": device.step, "t0": device.t0,
                              "digits": device.digits, "drift": device.drift}}


def test_sign_in_page_and_its_errors_in_gov_uk_style(org, page):
    page.goto("/accounts/login/")
    assert_styled(page)
    expect(page.locator(".govuk-header")).not_to_contain_text("GOV.UK")
    check_both_widths(page, "the sign-in page")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(page.locator(".govuk-error-summary").get_by_role("link")).to_have_text(
        ["Enter your username", "Enter your password"])
    check_both_widths(page, "the sign-in page with errors")


def test_iro_manager_reassigns_and_records_the_summary_on_the_childs_file(org, act_data, page):
    sign_in(page, "iro-manager")
    page.goto("/drps/")
    expect(page.get_by_role("link", name=act_data["open_reference"])).to_be_visible()
    check_both_widths(page, "the DRP list", no_sideways_scroll=True)
    # On a phone the filters wait behind "Show filters".
    page.set_viewport_size(PHONE)
    expect(page.get_by_role("button", name="Apply filters")).to_be_hidden()
    page.get_by_role("button", name="Show filters").click()
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()
    assert_accessible(page, "the DRP list's filters on a phone")
    page.set_viewport_size(DESKTOP)
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()

    page.goto(f"/drps/{act_data['open']}/")
    details = open_action(page, "Reassign to another IRO")
    details.get_by_label("Give the DRP to").select_option(label=act_data["chair"])
    details.get_by_label("Reason for reassigning").fill("Caseload balance while Sam is on leave")
    details.get_by_role("button", name="Reassign DRP").click()
    expect(success_banner(page)).to_have_text("DRP reassigned")
    expect(page.locator(".moj-timeline__item").first).to_contain_text("Reassigned")
    check_both_widths(page, "the DRP page after reassigning")

    page.get_by_role("link", name="Summary for the child's file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Summary for the child's file")
    text = page.get_by_label("Text for the child's file").input_value()
    assert "Placement plan has drifted" in text and "Panel date requested" in text
    copy = page.get_by_role("button", name="Copy text")
    expect(copy).to_be_visible()  # shown once JavaScript runs
    copy.click()
    expect(page.locator("#summary-copy-status")).not_to_be_empty()
    check_both_widths(page, "the summary for the child's file", no_sideways_scroll=True)
    page.get_by_role("link", name="open the print version").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("record for the child's file")
    check_both_widths(page, "the print version of the summary")
    page.emulate_media(media="print")
    expect(page.locator(".govuk-header")).to_be_hidden()
    page.emulate_media(media="screen")

    page.goto("/reports/annual/")
    expect(page.locator("#year-to-date")).to_contain_text("Year to date")
    check_both_widths(page, "the annual report (year to date)")
    page.goto("/reports/monthly/")
    check_both_widths(page, "the monthly report")


def test_team_manager_arranges_cover_for_their_drps(org, act_data, page):
    sign_in(page, "team-manager")
    page.goto("/drps/awaiting-my-response/")
    page.get_by_role("link", name="Cover for my DRPs while I am away").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cover for my DRPs")
    check_both_widths(page, "the cover page", no_sideways_scroll=True)
    page.get_by_label("Colleague who will cover").select_option(label=act_data["colleague"])
    year = str(date.today().year + 1)
    for legend, day in (("Cover starts", "5"), ("Cover ends", "9")):
        group = page.get_by_role("group", name=legend)
        group.get_by_label("Day").fill(day)
        group.get_by_label("Month").fill("1")
        group.get_by_label("Year").fill(year)
    page.get_by_role("button", name="Arrange cover").click()
    expect(success_banner(page)).to_contain_text("Casey Cover will cover your DRPs")
    expect(page.locator("table")).to_contain_text("Casey Cover")
    check_both_widths(page, "the cover page with a cover arranged", no_sideways_scroll=True)
    # Leave cancelled: the cover is ended before it begins, with a reason.
    page.get_by_role("link", name=re.compile("^End early")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("End cover early")
    page.get_by_role("button", name="End cover").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why the cover is ending early")
    check_both_widths(page, "ending a cover early, with an error", no_sideways_scroll=True)
    page.get_by_label("Why is the cover ending early?").fill("Leave cancelled")
    page.get_by_role("button", name="End cover").click()
    expect(success_banner(page)).to_contain_text("Casey Cover no longer covers for")
    expect(page.get_by_text("No cover is arranged.")).to_be_visible()


def test_iro_reopens_a_resolved_drp(org, act_data, page):
    sign_in(page, "iro")
    page.goto(f"/drps/{act_data['closed']}/")
    details = open_action(page, "Reopen")
    details.get_by_label("Reason").fill("The health assessment still has not happened")
    details.get_by_role("button", name="Reopen DRP").click()
    expect(success_banner(page)).to_have_text("DRP reopened")
    expect(page.locator("h1 .govuk-tag").first).to_have_text("Awaiting response")
    check_both_widths(page, "the reopened DRP")


def test_designated_officer_concludes_a_case_saying_what_happens_to_each_open_action(org, act_data, page):
    sign_in(page, "designated-officer")
    enter_security_code(page, totp_code(**act_data["authenticator"]))
    page.goto("/lado/")
    check_both_widths(page, "the DO work tray", no_sideways_scroll=True)
    page.goto(f"/lado/{act_data['enquiry']}/conclude/")
    expect(page.get_by_role("heading", name="Open actions")).to_be_visible()
    check_both_widths(page, "the conclude page with open actions")
    page.get_by_role("radio", name="Unfounded").check()
    page.get_by_role("button", name="Conclude enquiry").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what happens to Police investigation")
    check_both_widths(page, "the conclude page with errors")
    page.get_by_role("radio", name="Unfounded").check()
    police = page.get_by_role("group", name=re.compile(r"^Police investigation"))
    police.get_by_role("radio", name="Done", exact=True).check()
    suspension = page.get_by_role("group", name=re.compile(r"^Suspension"))
    suspension.get_by_role("radio", name="Carries on after the enquiry closes").check()
    page.get_by_role("button", name="Conclude enquiry").click()
    expect(success_banner(page)).to_have_text("Enquiry concluded")
    expect(page.locator("main")).to_contain_text("Carries on after the enquiry closes")
    check_both_widths(page, "the concluded case")
