"""Positive practice in the browser: recorded by the IRO, read by those who were told.

The IRO records positive practice from Amy's page (C000001); Amy's social worker is told, opens
the record from the notification and so reads it; the complaints team is told too, finds it in
the positive practice list by case type and downloads it as CSV. Every page on the way is
checked with axe-core against WCAG 2.2 A and AA. A second test records positive practice for a
sibling group with JavaScript switched off.
"""

import csv
import re

import pytest

from .conftest import assert_accessible
from .test_drp_journey import (
    assert_styled,
    caption,
    expect_timeline,
    go_to,
    sign_in,
    sign_out,
    success_banner,
    summary_value,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

# As for the DRP journey: the live server answers from another thread, so data is committed,
# and the tables the migrations seeded are restored after the flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WHAT_HAPPENED = "Visited Amy every week through her exams and kept her school place."
IMPACT = "Amy sat all her GCSEs and stayed with her friends."
def who_was_told(org) -> str:
    """The banner names who was told: the social worker, their team manager, the complaints team."""
    return f"{org.social_worker}, {org.team_manager} and {org.complaints} have been told"
SIBLINGS_WHAT = "Kept Amy and Ben together through a placement move."
SIBLINGS_IMPACT = "Amy and Ben still live together and see their mum each week."
FOSTER_CARER = "Mrs Patel, foster carer"
CSV_HEADER = ["reference", "recorded_on", "case_type", "children", "recognised", "team",
              "what_happened", "impact", "drp", "recorded_by"]
ZED_WHAT = "Chaired Zed's conference with Zed's own words first."


# --- what a person does and sees (the rest comes from the DRP journey) --------------------

def find_child(page, name):
    """Search for a child on the Children page."""
    go_to(page, "Children")
    page.get_by_label("Search by case reference or name").fill(name)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody").get_by_role("link", name=name, exact=True)).to_have_count(1)


def open_child(page, name):
    """Open a child's record from the children found."""
    page.locator("tbody").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def unread_count(page):
    return page.locator("header .app-unread-count")


def open_notifications(page):
    page.locator("header").get_by_role("link", name=re.compile(r"^Notifications\b")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")


def notification(page, reference):
    """The notification about one case, on the Notifications page."""
    item = page.locator(".footprint-notifications > li").filter(
        has=page.get_by_role("heading", name=re.compile(rf"\({re.escape(reference)}\)$")))
    expect(item).to_have_count(1)
    return item


def error_links(page):
    return page.locator(".govuk-error-summary").get_by_role("link")


def expect_record(page, recognised, recorded_by):
    """Amy's positive practice record, as everyone who may read it sees it."""
    expect(caption(page)).to_have_text("Positive practice · Looked-after child")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^PP-\d{5}$"))
    expect(summary_value(page, "Child").get_by_role("listitem")).to_have_text(
        ["Amy Example (C000001)"])
    expect(summary_value(page, "Recognised")).to_have_text(recognised)
    expect(summary_value(page, "What they did")).to_have_text(WHAT_HAPPENED)
    expect(summary_value(page, "Impact for the child")).to_have_text(IMPACT)
    expect(summary_value(page, "Recorded")).to_have_text(
        re.compile(rf" by {re.escape(str(recorded_by))}$"))
    expect(page.locator(".moj-timeline__title")).to_have_text(["Recorded"])
    expect_timeline(page, [(None, recorded_by, WHAT_HAPPENED)])


# --- records made before the browser starts -----------------------------------------------

@pytest.fixture
def zeds_record(org):
    """Earlier positive practice on a child protection case, for Zed in another team, which the
    complaints team has already read: the list has something to filter out."""
    from notifications import services as notifications
    from positive_practice import services

    pp = services.positive_practice_record(
        actor=org.chair, children=[org.other_child], case_type="CP", what_happened=ZED_WHAT,
        impact="Zed felt heard.")
    notifications.mark_all_read(user=org.complaints)
    return pp


# --- the journey --------------------------------------------------------------------------

def test_positive_practice_from_record_to_csv(org, zeds_record, page, tmp_path):
    iro, social_worker = org.iro, org.social_worker
    recognised = f"{social_worker}, {org.team}"

    # The IRO signs in and opens Amy's page.
    sign_in(page, "iro")
    assert_styled(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Needs my action")
    assert_accessible(page, "the IRO's DRP list")
    find_child(page, "Amy Example")
    assert_accessible(page, "the children found")
    open_child(page, "Amy Example")
    assert_accessible(page, "Amy's page")

    # "Record positive practice": Amy's reference and case type are already filled in.
    page.get_by_role("link", name="Record positive practice for Amy Example").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record positive practice")
    expect(page.get_by_label("Child's case reference")).to_have_value("C000001")
    case_type = page.get_by_role("group", name="Case type")
    expect(case_type.get_by_label("Looked-after child")).to_be_checked()
    expect(case_type.get_by_label("Child protection plan")).not_to_be_checked()
    assert_accessible(page, "the record form")

    # Submitted without saying what they did or its impact: both are asked for.
    page.get_by_role("button", name="Record positive practice").click()
    expect(page).to_have_title(re.compile(r"^Error: Record positive practice"))
    expect(error_links(page)).to_have_text(
        ["Describe what they did", "Describe the impact for the child"])
    expect(page.get_by_label("Child's case reference")).to_have_value("C000001")
    expect(case_type.get_by_label("Looked-after child")).to_be_checked()
    assert_accessible(page, "the record form with errors")
    error_links(page).get_by_text("Describe what they did").click()
    expect(page.get_by_label("What did they do?")).to_be_focused()

    # What they did and the difference it made, and it is recorded.
    page.get_by_label("What did they do?").fill(WHAT_HAPPENED)
    page.get_by_label("What difference did it make for the child?").fill(IMPACT)
    page.get_by_role("button", name="Record positive practice").click()
    expect(success_banner(page)).to_have_text(re.compile(rf"^PP-\d{{5}} recorded: {re.escape(who_was_told(org))}$"))
    reference = page.get_by_role("heading", level=1).inner_text()
    assert re.fullmatch(r"PP-\d{5}", reference), reference
    pp_url = page.url
    expect(page).to_have_url(re.compile(r"/positive-practice/\d+/$"))
    expect_record(page, recognised, iro)
    assert_accessible(page, "the positive practice record")
    sign_out(page)

    # Amy's social worker signs in: there is one unread notification.
    sign_in(page, "social-worker")
    expect(page.get_by_role("heading", level=1)).to_have_text("Challenges awaiting my response")
    expect(unread_count(page)).to_have_text("1 unread")
    assert_accessible(page, "the social worker's first page, with an unread notification")
    open_notifications(page)
    told = notification(page, reference)
    expect(told.get_by_role("heading")).to_have_text(f"New Positive practice recognised ({reference})")
    expect(told).to_contain_text(f"{iro} has recorded positive practice by {recognised} ({reference}).")
    # What happened, not the child's name or the record's words: the record has those.
    expect(told).not_to_contain_text("Amy Example")
    expect(told).not_to_contain_text(WHAT_HAPPENED)
    assert_accessible(page, "the social worker's notifications")

    # Opening the case from the notification marks it read.
    told.get_by_role("button", name=re.compile(r"^Open the case\b")).click()
    expect(page).to_have_url(pp_url)
    expect_record(page, recognised, iro)
    expect(unread_count(page)).to_have_count(0)
    expect(page.locator("header").get_by_role(
        "link", name="Notifications", exact=True)).to_be_visible()
    assert_accessible(page, "the positive practice record, for the social worker")
    open_notifications(page)
    expect(notification(page, reference).locator(".govuk-tag")).to_have_count(0)
    assert_accessible(page, "the social worker's notifications, all read")
    sign_out(page)

    # The complaints team signs in: they were told too.
    sign_in(page, "complaints")
    expect(unread_count(page)).to_have_text("1 unread")
    assert_accessible(page, "the complaints team's first page")
    open_notifications(page)
    expect(notification(page, reference).get_by_role("heading")).to_have_text(
        f"New Positive practice recognised ({reference})")
    expect(notification(page, zeds_record.reference).locator(".govuk-tag")).to_have_count(0)
    assert_accessible(page, "the complaints team's notifications")

    # Their email preferences (straight away, unless they choose a daily digest).
    page.get_by_role("link", name="Email preferences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email preferences")
    expect(page.get_by_role("group", name="How should we email you?").get_by_label(
        "Send each email straight away")).to_be_checked()
    assert_accessible(page, "the email preferences page")
    page.get_by_role("link", name="Back to notifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")

    # The positive practice list, filtered to looked-after children.
    go_to(page, "Positive practice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Positive practice")
    expect(page.get_by_role("link", name="Record positive practice")).to_have_count(0)
    expect(page.locator("caption")).to_have_text("2 records")
    assert_accessible(page, "the positive practice list")
    page.get_by_label("Case type").select_option("CLA")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]case_type=CLA(&|$)"))
    expect(page.get_by_label("Case type")).to_have_value("CLA")
    expect(page.locator("caption")).to_have_text("1 record")
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link")).to_have_text(reference)
    expect(row).to_contain_text("CLA")
    expect(row).to_contain_text(recognised)
    assert_accessible(page, "the positive practice list, filtered")

    # ... and downloaded as CSV: the header row and Amy's record, not Zed's.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV (these results)").click()
    download = download_info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename == "positive-practice.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as f:
        header, *rows = csv.reader(f)
    assert header == CSV_HEADER
    assert [row[0] for row in rows] == [reference], rows
    amy = dict(zip(header, rows[0]))
    assert amy["case_type"] == "CLA"
    assert amy["children"] == "C000001"
    assert amy["recognised"] == recognised
    assert amy["team"] == str(org.team)
    assert amy["what_happened"] == WHAT_HAPPENED
    assert amy["impact"] == IMPACT
    assert amy["drp"] == ""
    assert amy["recorded_by"] == str(iro)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", amy["recorded_on"]), amy["recorded_on"]

    # The complaints team can read the record itself.
    row.get_by_role("link", name=reference).click()
    expect_record(page, recognised, iro)
    assert_accessible(page, "the positive practice record, for the complaints team")


def test_record_positive_practice_without_javascript(org, browser, live_server):
    """The record form posts, its "Who is recognised" details open, and the record shows,
    all without JavaScript."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, "iro")
        expect(page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))
        find_child(page, "Amy Example")
        open_child(page, "Amy Example")
        page.get_by_role("link", name="Record positive practice for Amy Example").click()
        expect(page.get_by_label("Child's case reference")).to_have_value("C000001")
        expect(page.get_by_role("group", name="Case type").get_by_label(
            "Looked-after child")).to_be_checked()

        # Submitted empty first: the server says what is missing.
        page.get_by_role("button", name="Record positive practice").click()
        expect(page).to_have_title(re.compile(r"^Error: Record positive practice"))
        expect(error_links(page)).to_have_text(
            ["Describe what they did", "Describe the impact for the child"])

        # Amy and Ben together, recognising their foster carer.
        page.get_by_label("Child's case reference").fill("C000001, C000002")
        page.get_by_label("What did they do?").fill(SIBLINGS_WHAT)
        page.get_by_label("What difference did it make for the child?").fill(SIBLINGS_IMPACT)
        page.get_by_text("Who is recognised, and the DRP it arose from").click()
        page.get_by_label("Someone outside the authority").fill(FOSTER_CARER)
        page.get_by_role("button", name="Record positive practice").click()

        expect(success_banner(page)).to_have_text(re.compile(rf"^PP-\d{{5}} recorded: {re.escape(who_was_told(org))}$"))
        expect(caption(page)).to_have_text("Positive practice · Looked-after child")
        expect(summary_value(page, "Children").get_by_role("listitem")).to_have_text(
            ["Amy Example (C000001)", "Ben Example (C000002)"])
        expect(summary_value(page, "Recognised")).to_have_text(FOSTER_CARER)
        expect(summary_value(page, "What they did")).to_have_text(SIBLINGS_WHAT)
        expect(summary_value(page, "Impact for the child")).to_have_text(SIBLINGS_IMPACT)
        expect_timeline(page, [(None, org.iro, SIBLINGS_WHAT)])
    finally:
        context.close()
