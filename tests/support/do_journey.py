"""What a person does and sees on the Designated Officer's pages in the browser (the rest comes from
the DRP journey), and the enquiry the DO journey logs: the sub-navigation, dates, the enquiry's
timeline, two-step codes from an authenticator app, and a refused page. Shared by the browser
journeys (tests/browser/)."""

import base64
import re

from django_otp.oath import TOTP

from tests.browser.conftest import assert_accessible
from tests.browser.test_drp_journey import success_banner

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

LOG_WITHIN_SECONDS = 30

REFERRER = "Sarah Jones"
REFERRER_ORGANISATION = "Riverside Primary School"
SUBJECT = "Mark Taylor"
SUBJECT_ROLE = "Teaching assistant"
SUBJECT_EMPLOYER = "Riverside Primary School"
SUMMARY = "A pupil in Year 4 says the teaching assistant grabbed her arm hard in the corridor."
RATIONALE = "A bruise was seen by the class teacher; the pupil's account is consistent."
ATTENDEES = ["Jo Smith, Designated Officer", "Sarah Jones, Riverside Primary School",
             "DC Patel, Police"]
FIRST_DECISIONS = "Police to take no further action; the school to investigate under its procedures."
REVIEW_ATTENDEES = ["Jo Smith, Designated Officer", "Sarah Jones, Riverside Primary School"]
REVIEW_DECISIONS = "School investigation complete; an outcome can be recorded."
CONCLUSION_NOTE = "Witness accounts conflict; no CCTV of the corridor."
POLICE_REFERENCE = "CR/4471/26"

UNSUBSTANTIATED = ("There is insufficient evidence to either prove or disprove the allegation. "
                   "The term therefore does not imply guilt or innocence.")



# --- what a person does and sees (the rest comes from the DRP journey) --------------------

def long_date(day):
    return f"{day.day} {day:%B %Y}"


def sub_nav(page, item):
    """Follow a link in the Designated Officer sub-navigation."""
    nav = page.get_by_role("navigation", name="Designated Officer")
    nav.get_by_role("link", name=item, exact=True).click()
    expect(nav.get_by_role("link", name=item, exact=True)).to_have_attribute("aria-current", "page")


def menu(page):
    return page.get_by_role("navigation", name="Menu")


def case_buttons(page):
    """The "what you can do" buttons above the case's details."""
    return page.locator("main .govuk-button-group a.govuk-button")


def fill_date(page, legend, day):
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def expect_case_timeline(page, entries):
    """The case page's MOJ timeline, newest first: each entry's heading, who it is by, its note."""
    expect(page.get_by_role("heading", name="Timeline", level=2)).to_be_visible()
    items = page.locator(".moj-timeline__item")
    expect(items).to_have_count(len(entries))
    # Entries sit under the page's "Timeline" h2.
    expect(page.locator("h3.moj-timeline__title")).to_have_count(len(entries))
    for item, (title, actor, note) in zip(items.all(), entries):
        expect(item.locator(".moj-timeline__title")).to_have_text(title)
        expect(item.locator(".moj-timeline__byline")).to_have_text(f"by {actor}")
        expect(item.locator(".moj-timeline__date time")).to_have_attribute(
            "datetime", re.compile(r"^\d{4}-"))
        expect(item.locator(".moj-timeline__description")).to_have_text(note, use_inner_text=True)


def totp_code(key: bytes, step=30, t0=0, digits=6, drift=0) -> str:
    """The code an authenticator app shows now for this key."""
    return f"{TOTP(key, step, t0, digits, drift).token():0{digits}d}"


def enter_security_code(page, code):
    """After the password: the code from the authenticator app."""
    expect(page).to_have_url(re.compile(r"/accounts/two-step/verify/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Continue").click()


def set_up_two_step(page, check_accessible=False):
    """A DO role without an authenticator app is sent to set one up: here the setup key shown
    on the page is "typed into the app" and the app's code entered."""
    expect(page).to_have_url(re.compile(r"/accounts/two-step/set-up/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step verification")
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    expect(menu(page)).to_have_count(0)  # nothing else to go to until it is set up
    if check_accessible:
        assert_accessible(page, "the two-step set-up page")
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Security code").fill(totp_code(key))
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(success_banner(page)).to_have_text("Two-step verification is on")


def expect_forbidden(page, url, what):
    response = page.goto(url)
    assert response.status == 403, f"{what}: {url} answered {response.status}, not 403"
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You do not have permission to see this page")
    expect(page.locator("main")).not_to_contain_text(SUBJECT)
    expect(menu(page).get_by_role("link", name="Designated Officer")).to_have_count(0)

