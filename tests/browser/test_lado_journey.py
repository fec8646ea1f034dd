"""A Designated Officer case in the browser, from the phone call to the outcome.

The Designated Officer signs in to the work tray, logs an enquiry while the referrer is on the
phone (with the date of the incident and the day the employer became aware), decides the harm
test is met (the first meeting clock starts: 5 working days), records the initial allegation
management meeting (the clock stops, met) and a review meeting, records who has been told and
the police reference, and concludes the case as unsubstantiated (choosing against the Keeping
Children Safe in Education definitions); with no date of birth the case is flagged for
retention. The DO Manager then reads who opened the case, the retention review list and the
retention rules, with the longer period for a category. DO roles must use two-step verification: the Designated Officer enters the
code from an authenticator app after the password (a wrong code first), and the DO Manager, who
has none yet, sets one up with the setup key shown on the page. Someone outside the DO team is refused the case and is not offered the
Designated Officer pages. Every page on the way is checked with axe-core against WCAG 2.2 A and
AA, with the real stylesheet loaded.
"""

import re
import time
from datetime import timedelta

import pytest

from tests.support.do_journey import (
    ATTENDEES,
    CONCLUSION_NOTE,
    FIRST_DECISIONS,
    LOG_WITHIN_SECONDS,
    POLICE_REFERENCE,
    RATIONALE,
    REFERRER,
    REFERRER_ORGANISATION,
    REVIEW_ATTENDEES,
    REVIEW_DECISIONS,
    SUBJECT,
    SUBJECT_EMPLOYER,
    SUBJECT_ROLE,
    SUMMARY,
    UNSUBSTANTIATED,
    case_buttons,
    enter_security_code,
    expect_case_timeline,
    expect_forbidden,
    fill_date,
    long_date,
    menu,
    set_up_two_step,
    sub_nav,
    totp_code,
)
from workflows.calendar import WorkingDayCalendar

from .conftest import assert_accessible
from .test_drp_journey import (
    assert_styled,
    caption,
    go_to,
    sign_in,
    sign_out,
    status_tag,
    success_banner,
    summary_value,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

# As for the DRP journey: the live server answers from another thread, so data is committed,
# and the tables the migrations seeded (roles, the DO vocabularies, retention rules) are
# restored after the flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# --- the journey --------------------------------------------------------------------------

@pytest.fixture
def officer_authenticator(org):
    """The Designated Officer's authenticator app (made before the browser starts): what the
    test needs to work out its codes, as the app on their phone would."""
    from tests.support.auth import totp_device

    device = totp_device(org.designated_officer)
    return {"key": device.bin_key, "step": device.step, "t0": device.t0,
            "digits": device.digits, "drift": device.drift}


def test_do_case_from_phone_call_to_unsubstantiated(org, officer_authenticator, page):
    officer = org.designated_officer
    from workflows.clocks import today  # pure date arithmetic: no database

    on = today()
    first_review, second_review = on + timedelta(days=28), on + timedelta(days=56)
    incident = on - timedelta(days=2)
    # 5 working days after the threshold decision (no closure days here: the calendar alone).
    first_meeting_due = WorkingDayCalendar().add_working_days(on, 5)
    do_reads = []  # the pages the DO opens the case through, oldest first
    # Anything the Content-Security-Policy blocks, chromium reports on the console.
    blocked = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)

    # The Designated Officer signs in: after the password, the code from their authenticator
    # app. A mistyped code is refused first, naming the problem.
    sign_in(page, "designated-officer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    expect(menu(page)).to_have_count(0)
    assert_styled(page)
    assert_accessible(page, "the security code page")
    right_code = totp_code(**officer_authenticator)
    enter_security_code(page, "000000" if right_code != "000000" else "111111")
    expect(page).to_have_title(re.compile(r"^Error: Enter your security code"))
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link")).to_have_text(
        ["The code is not right or has expired. Enter the code your authenticator app shows now"])
    assert_accessible(page, "the security code page with an error")
    page.wait_for_timeout(1100)  # django-otp refuses every code for a second after a wrong one
    enter_security_code(page, totp_code(**officer_authenticator))

    # ... and lands on the work tray.
    expect(page).to_have_url(re.compile(r"/lado/$"))
    assert_styled(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Work tray")
    expect(menu(page).get_by_role("link", name="Designated Officer")).to_have_attribute(
        "aria-current", "page")
    sub = page.get_by_role("navigation", name="Designated Officer")
    expect(sub.get_by_role("link")).to_have_text(["Work tray", "Log an enquiry", "Advice-only consultations",
                                                  "Indicators"])  # not a manager
    expect(sub.get_by_role("link", name="Work tray")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No open enquiries.")).to_be_visible()
    assert_accessible(page, "the DO work tray (empty)")

    # Log an enquiry: a first try with nothing filled in names the one thing needed now.
    sub_nav(page, "Log an enquiry")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an enquiry")
    expect(page.get_by_role("group", name="How was it received?").get_by_label("Phone")).to_be_checked()
    assert_accessible(page, "the log form")
    page.get_by_role("button", name="Log enquiry").click()
    expect(page).to_have_title(re.compile(r"^Error: Log an enquiry"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text(["Summarise the concern"])
    assert_accessible(page, "the log form with errors")
    summary.get_by_role("link", name="Summarise the concern").click()
    expect(page.get_by_label("What is alleged?")).to_be_focused()

    # ... and the enquiry itself, with what the phone call gives, timed to the success banner.
    started = time.monotonic()
    sub_nav(page, "Log an enquiry")
    page.get_by_label("Referrer's name").fill(REFERRER)
    page.get_by_label("Referrer's organisation").fill(REFERRER_ORGANISATION)
    page.get_by_label("Referral source").select_option(label="Education")
    page.get_by_label("What is alleged?").fill(SUMMARY)
    page.get_by_role("group", name="Category", exact=True).get_by_label("Physical abuse").check()
    person = page.get_by_role("group", name="The person the allegation is about")
    person.get_by_label("Name", exact=True).fill(SUBJECT)
    person.get_by_label("Role", exact=True).fill(SUBJECT_ROLE)
    person.get_by_label("Employer or organisation").fill(SUBJECT_EMPLOYER)
    person.get_by_label("Organisation's sector").select_option(label="Public")
    person.get_by_label("Setting").select_option(label="Education")
    fill_date(page, "Date of the alleged incident", incident)
    fill_date(page, "Date the employer became aware", on)
    page.get_by_role("button", name="Log enquiry").click()
    expect(success_banner(page)).to_have_text(re.compile(r"^DO-\d{5} logged$"))
    took = time.monotonic() - started
    print(f"Logging an enquiry took {took:.1f}s from opening the form to the success banner")
    assert took < LOG_WITHIN_SECONDS, f"logging an enquiry took {took:.1f}s"
    do_reads.append("lado:detail")

    # The case page.
    reference = success_banner(page).inner_text().removesuffix(" logged")
    case_url = page.url
    expect(page).to_have_url(re.compile(r"/lado/\d+/$"))
    expect(page).to_have_title(re.compile(rf"^{reference} – Footprint$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(status_tag(page)).to_have_text("Awaiting threshold decision")
    expect(caption(page)).to_have_text("Designated Officer enquiry · Physical abuse")
    expect(summary_value(page, "Referrer")).to_contain_text(f"{REFERRER}, {REFERRER_ORGANISATION}")
    expect(summary_value(page, "Referrer")).to_contain_text("Source: Education")
    expect(summary_value(page, "What is alleged")).to_have_text(SUMMARY)
    expect(summary_value(page, "Category")).to_have_text("Physical abuse")
    expect(summary_value(page, "Officer")).to_contain_text(str(officer))
    expect(summary_value(page, "Name")).to_have_text(SUBJECT)
    expect(summary_value(page, "Role")).to_have_text(SUBJECT_ROLE)
    expect(summary_value(page, "Employer")).to_contain_text(SUBJECT_EMPLOYER)
    expect(summary_value(page, "Employer")).to_contain_text("Public sector · Education")
    expect(summary_value(page, "Alleged incident")).to_have_text(long_date(incident))
    expect(summary_value(page, "Employer became aware")).to_contain_text(long_date(on))
    expect(summary_value(page, "Employer became aware")).to_contain_text("Referred within one working day")
    expect(page.locator("#retention-date-of-birth-flag")).to_have_count(0)  # not yet: threshold undecided
    expect(page.get_by_text("No meetings recorded.")).to_be_visible()
    expect(case_buttons(page)).to_have_text(
        ["Record the threshold decision", "Update details", "Place a legal hold", "Cancel the enquiry"])
    logged = ("Enquiry logged at Awaiting threshold decision", officer, SUMMARY)
    expect_case_timeline(page, [logged])
    assert_accessible(page, "the case page, just logged")

    # The harm test: a "yes" with no criterion is refused, naming what is missing.
    case_buttons(page).filter(has_text="Record the threshold decision").click()
    do_reads.append("lado:decide")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the threshold decision")
    expect(caption(page)).to_have_text(f"{reference} · Awaiting threshold decision")
    expect(summary_value(page, "What is alleged")).to_have_text(SUMMARY)
    assert_accessible(page, "the decision form")
    page.get_by_role("group", name="Is the harm test met?").get_by_label(
        "Yes: the threshold is met").check()
    page.get_by_label("Rationale").fill(RATIONALE)
    page.get_by_role("button", name="Record decision").click()
    do_reads.append("lado:decide")
    expect(page).to_have_title(re.compile(rf"^Error: Record the threshold decision – {reference}"))
    expect(page.locator(".govuk-error-summary").get_by_role("link")).to_have_text(
        [re.compile(r"^The threshold is met only when at least one harm test criterion applies")])
    assert_accessible(page, "the decision form with errors")
    criteria = page.get_by_role("group", name="Which criteria apply?")
    criteria.get_by_label("Harmed a child").check()
    criteria.get_by_label("Risk of harm").check()
    expect(page.get_by_label("Rationale")).to_have_value(RATIONALE)
    page.get_by_role("button", name="Record decision").click()
    do_reads.append("lado:detail")
    expect(page).to_have_url(case_url)
    expect(success_banner(page)).to_have_text("Threshold decision recorded")
    expect(status_tag(page)).to_have_text("Awaiting meeting")
    expect(summary_value(page, "Decision")).to_contain_text("Threshold met")
    expect(summary_value(page, "Decision")).to_contain_text(f"{long_date(on)} by {officer}")
    expect(summary_value(page, "Criteria").get_by_role("listitem")).to_have_text(
        ["Harmed a child", "Risk of harm"])
    expect(summary_value(page, "Rationale")).to_have_text(RATIONALE)
    expect(case_buttons(page)).to_have_text(
        ["Record a meeting", "Record an action", "Conclude without a meeting", "Update details",
         "Place a legal hold", "Cancel the enquiry"])
    threshold_met = ("Threshold met from Awaiting threshold decision to Awaiting meeting", officer,
                     f"Criteria: Harmed a child; Risk of harm.\n\n{RATIONALE}\n\nFirst allegation management "
                     f"meeting or strategy discussion due by {long_date(first_meeting_due)}.")
    expect_case_timeline(page, [threshold_met, logged])
    # The first meeting clock runs: due 5 working days after the decision.
    expect(summary_value(page, "First meeting").locator("time")).to_have_attribute(
        "datetime", first_meeting_due.isoformat())
    expect(summary_value(page, "First meeting").locator(".govuk-tag")).to_have_text(
        re.compile(r"^Due in \d working days?$"))
    # No date of birth: if substantiated, unsubstantiated or unfounded the case is kept until the
    # subject's pension age, which cannot be worked out. The page says so.
    expect(page.locator("#retention-date-of-birth-flag")).to_contain_text("No date of birth for the subject")
    expect(summary_value(page, "Date of birth")).to_contain_text("Needed for retention")
    assert_accessible(page, "the case page, threshold met")

    # The initial allegation management meeting.
    case_buttons(page).filter(has_text="Record a meeting").click()
    do_reads.append("lado:meeting")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a meeting")
    expect(caption(page)).to_have_text(f"{reference} · Awaiting meeting")
    kind = page.get_by_role("group", name="Meeting", exact=True)
    expect(kind.get_by_label("Initial allegation management meeting")).to_be_checked()
    held = page.get_by_role("group", name="Date held")
    expect(held.get_by_label("Day")).to_have_value(str(on.day))
    assert_accessible(page, "the meeting form (initial)")
    page.get_by_label("Attendees").fill("\n".join(ATTENDEES))
    page.get_by_label("Decisions").fill(FIRST_DECISIONS)
    fill_date(page, "Next review meeting", first_review)
    page.get_by_role("button", name="Record meeting").click()
    do_reads.append("lado:detail")
    expect(page).to_have_url(case_url)
    expect(success_banner(page)).to_have_text("Meeting recorded")
    expect(status_tag(page)).to_have_text("In progress")
    initial_card = page.locator(".govuk-summary-card").filter(
        has=page.get_by_role("heading", name=f"Initial allegation management meeting, {long_date(on)}"))
    expect(initial_card).to_have_count(1)
    expect(summary_value(initial_card, "Attendees").get_by_role("listitem")).to_have_text(ATTENDEES)
    expect(summary_value(initial_card, "Decisions")).to_have_text(FIRST_DECISIONS)
    expect(summary_value(initial_card, "Next review")).to_have_text(long_date(first_review))
    expect(summary_value(page, "Next review meeting").locator("time")).to_have_attribute(
        "datetime", first_review.isoformat())
    first_meeting = ("Meeting held from Awaiting meeting to In progress", officer,
                     f"Initial allegation management meeting held on {long_date(on)}.\n\n"
                     f"Decisions: {FIRST_DECISIONS}\n\nNext review: {long_date(first_review)}.")
    expect_case_timeline(page, [first_meeting, threshold_met, logged])
    expect(case_buttons(page)).to_have_text(
        ["Record a meeting", "Record an action", "Conclude the enquiry", "Update details",
         "Place a legal hold", "Cancel the enquiry"])
    expect(summary_value(page, "First meeting")).to_contain_text(f"Held {on:%-d %b %Y}")
    expect(summary_value(page, "First meeting").locator(".govuk-tag")).to_have_count(0)  # on time
    assert_accessible(page, "the case page, in progress")

    # Who has been told, and the police reference, completed on the details form.
    case_buttons(page).filter(has_text="Update details").click()
    do_reads.append("lado:edit")
    police = page.get_by_role("group", name="Police, who has been told, and the DBS")
    police.get_by_label("Police reference").fill(POLICE_REFERENCE)
    police.get_by_role("group", name="Has the subject been told of the allegation?").get_by_label(
        "Yes").check()
    assert_accessible(page, "the details form with the record Working Together needs")
    page.get_by_role("button", name="Save changes").click()
    do_reads.append("lado:edit")
    expect(page.locator(".govuk-error-summary").get_by_role("link")).to_have_text(
        ["Enter the date the subject was told."])
    assert_accessible(page, "the details form with an error")
    fill_date(page, "Date the subject was told", on)
    page.get_by_role("button", name="Save changes").click()
    do_reads.append("lado:detail")
    expect(success_banner(page)).to_have_text("Details updated")
    expect(summary_value(page, "Police reference")).to_have_text(POLICE_REFERENCE)
    expect(summary_value(page, "Subject told")).to_have_text(f"Yes, {long_date(on)}")
    details_updated = ("Details updated", officer,
                       "Changed: police reference, subject told, date the subject was told.")

    # A review meeting: the form now offers a review by default.
    case_buttons(page).filter(has_text="Record a meeting").click()
    do_reads.append("lado:meeting")
    expect(caption(page)).to_have_text(f"{reference} · In progress")
    expect(page.get_by_role("group", name="Meeting", exact=True).get_by_label("Review meeting")).to_be_checked()
    assert_accessible(page, "the meeting form (review)")
    page.get_by_label("Attendees").fill("\n".join(REVIEW_ATTENDEES))
    page.get_by_label("Decisions").fill(REVIEW_DECISIONS)
    fill_date(page, "Next review meeting", second_review)
    page.get_by_role("button", name="Record meeting").click()
    do_reads.append("lado:detail")
    expect(success_banner(page)).to_have_text("Meeting recorded")
    expect(status_tag(page)).to_have_text("In progress")
    review_card = page.locator(".govuk-summary-card").filter(
        has=page.get_by_role("heading", name=f"Review meeting, {long_date(on)}"))
    expect(summary_value(review_card, "Attendees").get_by_role("listitem")).to_have_text(
        REVIEW_ATTENDEES)
    expect(summary_value(review_card, "Decisions")).to_have_text(REVIEW_DECISIONS)
    expect(summary_value(page, "Next review meeting").locator("time")).to_have_attribute(
        "datetime", second_review.isoformat())
    review_meeting = ("Meeting held", officer,
                      f"Review meeting held on {long_date(on)}.\n\nDecisions: {REVIEW_DECISIONS}"
                      f"\n\nNext review: {long_date(second_review)}.")
    expect_case_timeline(page, [review_meeting, details_updated, first_meeting, threshold_met, logged])
    assert_accessible(page, "the case page after a review meeting")

    # The outcome, chosen against the KCSIE definitions shown beside each choice.
    case_buttons(page).filter(has_text="Conclude the enquiry").click()
    do_reads.append("lado:conclude")
    expect(page.get_by_role("heading", level=1)).to_have_text("Conclude the enquiry")
    outcomes = page.get_by_role("group", name="Outcome", exact=True)
    expect(outcomes.get_by_role("radio")).to_have_count(5)
    choice = outcomes.locator(".govuk-radios__item").filter(
        has=page.get_by_label("Unsubstantiated", exact=True))
    expect(choice.locator(".govuk-radios__hint")).to_have_text(UNSUBSTANTIATED)
    expect(choice.locator(".govuk-radios__hint")).to_be_visible()
    expect(outcomes.get_by_role("radio", name="Unsubstantiated")).to_have_accessible_description(
        UNSUBSTANTIATED)
    expect(outcomes.get_by_text("The definitions are from Keeping Children Safe in Education, Part 4.")
           ).to_be_visible()
    assert_accessible(page, "the conclude form")
    outcomes.get_by_label("Unsubstantiated", exact=True).check()
    page.get_by_label("Notes (optional)").fill(CONCLUSION_NOTE)
    page.get_by_role("button", name="Conclude enquiry").click()
    do_reads.append("lado:detail")
    expect(page).to_have_url(case_url)
    expect(success_banner(page)).to_have_text("Enquiry concluded")
    expect(page.locator("h1 .govuk-tag")).to_have_text(["Concluded", "Unsubstantiated"])
    expect(summary_value(page, "Outcome")).to_contain_text("Unsubstantiated")
    expect(summary_value(page, "Outcome").locator(".govuk-hint")).to_have_text(UNSUBSTANTIATED)
    expect(summary_value(page, "Closed")).to_have_text(long_date(on))
    # Unsubstantiated: kept until the subject's pension age or ten years from the allegation; with
    # no date of birth only the ten years can be counted, and the case is flagged.
    expect(summary_value(page, "Retention review")).to_contain_text(
        long_date(on.replace(year=on.year + 10)) if (on.month, on.day) != (2, 29)
        else long_date(on.replace(year=on.year + 10, day=28)))
    expect(summary_value(page, "Retention review").locator(".govuk-tag")).to_have_text("No date of birth")
    expect(page.locator("#retention-date-of-birth-flag")).to_contain_text(
        "This enquiry is kept until the subject's normal pension age")
    concluded = ("Concluded from In progress to Concluded", officer,
                 f"Outcome: Unsubstantiated.\n\n{CONCLUSION_NOTE}")
    expect_case_timeline(page, [concluded, review_meeting, details_updated, first_meeting, threshold_met, logged])
    expect(case_buttons(page)).to_have_text(["Place a legal hold"])
    assert_accessible(page, "the concluded case page")

    # Off the open tray, onto the closed one.
    go_to(page, "Designated Officer")
    expect(page.get_by_text("No open enquiries.")).to_be_visible()
    page.get_by_role("link", name="Show closed enquiries").click()
    do_reads.append("lado:tray closed")  # the closed list shows the case: a read
    expect(page.get_by_role("heading", level=1)).to_have_text("Closed enquiries")
    row = page.locator("tbody tr").filter(has_text=reference)
    expect(row).to_contain_text("Concluded: Unsubstantiated")
    expect(row).to_contain_text(SUBJECT)
    assert_accessible(page, "the DO's closed cases")
    sign_out(page)

    # The DO Manager reads who opened the case, after setting up two-step verification.
    manager = org.do_manager
    sign_in(page, "do-manager")
    set_up_two_step(page, check_accessible=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Work tray")
    assert_accessible(page, "the work tray with two-step verification just turned on")
    expect(page.get_by_role("navigation", name="Designated Officer").get_by_role("link")).to_have_text(
        ["Work tray", "Log an enquiry", "Advice-only consultations", "Indicators", "Retention review", "Access log", "Enquiry-opened alerts", "DO team",
         "Access review", "Retention rules"])
    page.get_by_role("link", name="Show closed enquiries").click()
    page.locator("tbody").get_by_role("link", name=reference).click()
    expect(page).to_have_url(case_url)
    page.get_by_role("link", name="Who has read this enquiry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who has read this enquiry")
    expect(caption(page)).to_have_text(reference)
    rows = page.locator("tbody tr")
    expected = [(manager, "do-manager", "lado:access-log"), (manager, "do-manager", "lado:detail"),
                (manager, "do-manager", "lado:tray closed")]
    expected += [(officer, "designated-officer", view) for view in reversed(do_reads)]
    expect(page.locator("caption")).to_have_text(f"{len(expected)} reads")
    expect(rows).to_have_count(len(expected))
    expect(rows.locator("td:nth-child(2)")).to_have_text(
        [f"{who} ({username})" for who, username, _ in expected])
    expect(rows.locator("td:nth-child(3)")).to_have_text([view for _, _, view in expected])
    expect(rows.locator("td:nth-child(1) time").first).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-"))
    assert_accessible(page, "the case's access log")

    # Every read by the DO, across cases.
    rows.filter(has_text="designated-officer").first.get_by_role("link", name=str(officer)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access log")
    expect(page.get_by_role("heading", level=2, name=f"Reads by {officer}")).to_be_visible()
    expect(page.get_by_label("Person").locator("option:checked")).to_have_text(
        f"{officer} (designated-officer)")
    expect(page.locator("tbody tr")).to_have_count(len(do_reads))
    expect(page.locator("tbody tr td:nth-child(2)")).to_have_text([reference] * len(do_reads))
    assert_accessible(page, "the access log by person")

    # The retention review list: nothing due yet (the case is kept ten years).
    sub_nav(page, "Retention review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Retention review")
    expect(page.get_by_text("No enquiries are due for retention review.")).to_be_visible()
    expect(page.get_by_text("No enquiry is on legal hold.")).to_be_visible()
    assert_accessible(page, "the retention review list")

    # The DO Manager's own pages: who holds a DO role, the yearly review, the retention rules.
    sub_nav(page, "DO team")
    expect(page.get_by_role("heading", level=1)).to_have_text("DO team")
    expect(page.locator("tbody tr").filter(has_text="designated-officer")).to_contain_text("Designated Officer")
    page.get_by_role("button", name="Grant role").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the username of the person")
    assert_accessible(page, "the DO team page with its errors")
    sub_nav(page, "Access review")
    expect(page.get_by_text("No access review has been recorded yet.")).to_be_visible()
    assert_accessible(page, "the access review")
    sub_nav(page, "Retention rules")
    expect(page.locator("tbody tr").filter(has_text="Unfounded")).to_contain_text(
        "10 years after the allegation, or at normal pension age (67) if later")
    page.get_by_role("link", name="Change the rule for Unfounded").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enquiries closed as unfounded")
    assert_accessible(page, "a retention rule's form")
    # A rule shorter than Keeping Children Safe in Education allows is refused, saying why.
    page.get_by_label("Years").fill("1")
    page.get_by_label("Reason for the change").fill("Shorter")
    page.get_by_role("button", name="Change the rule").click()
    expect(page.locator(".govuk-error-summary").get_by_role("link")).to_have_text(
        [re.compile(r"^Keeping Children Safe in Education keeps substantiated, unsubstantiated and unfounded")])
    assert_accessible(page, "a retention rule's form refusing a rule below the statutory minimum")
    page.get_by_role("link", name="Back to retention rules").click()
    page.get_by_role("link", name="Change the period for Sexual abuse").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Allegations of sexual abuse")
    assert_accessible(page, "a category's retention period form")
    page.get_by_label("Years from the allegation").fill("25")
    page.get_by_label("Reason for the change").fill("Local policy for sexual abuse")
    page.get_by_role("button", name="Change the rule").click()
    expect(success_banner(page)).to_contain_text("Rule changed: Sexual abuse")
    expect(page.locator("tbody tr").filter(has_text="Sexual abuse").first).to_contain_text(
        "25 years from the allegation")
    assert_accessible(page, "the retention rules with a category's longer period")
    sign_out(page)

    # The IRO is not in the DO team: no Designated Officer item, and the case is refused.
    sign_in(page, "iro")
    expect(page.get_by_role("heading", level=1)).to_have_text("Needs my action")
    expect(menu(page).get_by_role("link")).not_to_have_count(0)
    expect(menu(page).get_by_role("link", name="Designated Officer")).to_have_count(0)
    expect_forbidden(page, case_url, "the IRO")
    assert_accessible(page, "the 403 page for a DO case")
    assert not blocked, "\n".join(blocked)


