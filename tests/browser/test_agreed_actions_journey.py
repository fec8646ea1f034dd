"""Agreed actions and the DRP indicators in the browser, checked with axe (WCAG 2.2 A/AA).

The IRO opens a DRP, records an action agreed with the social worker, then marks it done; the
IRO Manager reads the DRP indicators for the month and the year to date, and downloads them."""

import re
from datetime import timedelta

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


@pytest.fixture
def open_drp(org):
    """A DRP at Stage 1, and a health contact, made before the browser starts."""
    from drp import services
    from drp.models import AgencyContact, PartnerAgency, Stage, Theme
    from workflows.calendar import add_working_days
    from workflows.clocks import today

    AgencyContact.objects.create(agency=PartnerAgency.objects.get(slug="health"), name="Pat Nurse",
                                 job_title="School nurse", email="pat@health.example")
    drp = services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                             themes=[Theme.objects.get(slug="placement")], concern="Placement at risk",
                             stage=Stage.objects.get(key="stage-1"))
    return {"drp": drp.pk, "reference": drp.reference, "owner": f"user:{org.social_worker.pk}",
            "due": add_working_days(today(), 10), "month": (today().replace(day=1) - timedelta(days=1))}


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".app-service-navigation__user")).to_be_visible()


def test_iro_records_an_agreed_action_and_marks_it_done(open_drp, page):
    sign_in(page, "iro")
    page.goto(f"/drps/{open_drp['drp']}/")
    expect(page.get_by_role("heading", name="Agreed actions")).to_be_visible()
    assert_accessible(page, "a DRP with no agreed action yet")

    page.get_by_text("Record an agreed action").click()
    form = page.locator(f"form[action='/drps/{open_drp['drp']}/actions/']")
    form.get_by_role("button", name="Record agreed action").click()  # nothing filled in
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what has been agreed")
    assert_accessible(page, "the agreed action form with errors")

    form = page.locator(f"form[action='/drps/{open_drp['drp']}/actions/']")
    form.get_by_label("What has been agreed").fill("Convene a placement stability meeting")
    form.get_by_label("Who owns it").select_option(open_drp["owner"])
    due = open_drp["due"]
    form.locator("[name=due_on_0]").fill(str(due.day))
    form.locator("[name=due_on_1]").fill(str(due.month))
    form.locator("[name=due_on_2]").fill(str(due.year))
    form.get_by_role("button", name="Record agreed action").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Agreed action recorded")
    row = page.locator("table.govuk-table tr", has_text="Convene a placement stability meeting")
    expect(row).to_contain_text(re.compile(r"Due in \d+ working days?"))
    assert_accessible(page, "a DRP with an open agreed action")

    page.get_by_text(re.compile("Record whether .Convene a placement stability meeting. was done")).click()
    record = page.locator("form[action*='/record/']")
    record.get_by_label("Yes").check()
    record.get_by_label("What happened").fill("Held with the carers")
    record.get_by_role("button", name="Record").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Action recorded")
    expect(page.locator("table.govuk-table tr", has_text="Convene a placement stability meeting")).to_contain_text(
        "Done")
    assert_accessible(page, "a DRP with a done agreed action")


def test_iro_manager_reads_the_drp_indicators(open_drp, page):
    sign_in(page, "iro-manager")
    page.goto("/reports/")
    page.get_by_role("link", name="DRP indicators for this reporting year").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DRP indicators")
    expect(page.locator("#table-drp-indicators")).to_contain_text("Children affected: CLA")
    assert_accessible(page, "the DRP indicators for the year")
    page.get_by_label("Month, with the year to date").fill(open_drp["month"].strftime("%Y-%m"))
    page.get_by_role("button", name="Show month").click()
    expect(page.locator("#table-drp-indicators thead")).to_contain_text("Year to date")
    assert_accessible(page, "the DRP indicators for a month")
    page.goto("/reports/drp-indicators/?month=2026-13")  # a month picker cannot type this; a link can
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a month as YYYY-MM")
    assert_accessible(page, "the DRP indicators with a wrong month")
