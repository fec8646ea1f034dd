"""Default deny in the browser: no role outside the DO team, not even a superuser, opens a Designated
Officer page or is offered one in the navigation (each refusal page checked with axe-core)."""

import re

import pytest

from tests.support.do_journey import (
    SUBJECT,
    SUBJECT_EMPLOYER,
    SUMMARY,
    expect_forbidden,
    menu,
    set_up_two_step,
)

from .conftest import assert_accessible
from .test_drp_journey import sign_in

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


# --- default deny -------------------------------------------------------------------------

@pytest.fixture
def logged_enquiry(org):
    """An enquiry logged by the DO, made before the browser starts."""
    from lado import services

    return services.enquiry_log(actor=org.designated_officer, summary=SUMMARY, subject_name=SUBJECT,
                                subject_employer=SUBJECT_EMPLOYER)


@pytest.fixture
def superuser(org):
    from tests.support.factories import UserFactory

    return UserFactory(username="admin", is_staff=True, is_superuser=True)


#: Everyone outside the DO team, a superuser included.
OUTSIDERS = ["iro", "team-manager", "social-worker", "complaints", "auditor", "admin"]


def test_the_do_pages_are_closed_to_everyone_else(org, superuser, logged_enquiry, browser, live_server):
    """Default deny: no role outside the DO team, not even a superuser, opens a DO page or is
    offered one in the navigation."""
    pk = logged_enquiry.pk
    for username in OUTSIDERS:
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            sign_in(page, username)
            if username == "admin":  # administrators must use two-step verification
                set_up_two_step(page)
            expect(menu(page).get_by_role("link", name="Designated Officer")).to_have_count(0)
            urls = [f"/lado/{pk}/", "/lado/"]
            if username in ("iro", "admin"):  # every kind of DO page, for two of them
                urls += [f"/lado/{pk}/decide/", f"/lado/{pk}/access-log/", "/lado/log/",
                         "/lado/retention/", "/lado/access-log/", "/lado/team/", "/lado/retention/rules/"]
            for url in urls:
                expect_forbidden(page, url, username)
        finally:
            context.close()

    # Refused before the case was looked up, so none of those requests was a read.
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, "do-manager")
        set_up_two_step(page)
        page.goto(f"/lado/{pk}/access-log/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Who has read this enquiry")
        # Only the DO Manager's own reads: this page, and their work tray on signing in.
        expect(page.locator("tbody tr td:nth-child(3)")).to_have_text(["lado:access-log", "lado:tray"])
        expect(page.locator("tbody tr td:nth-child(2)")).to_have_text([re.compile(r"\(do-manager\)$")] * 2)
        assert_accessible(page, "the access log of a case no one else could open")
    finally:
        context.close()
