"""System accounts in the browser (issue 14): the IRO Manager makes one for the case management
system from the menu, then, as the person responsible, issues its token, shown once. Every page
on the way is checked with axe-core against WCAG 2.2 A and AA."""

import re

import pytest

from people import roles

from .conftest import assert_accessible
from .test_drp_journey import assert_styled, go_to, sign_in, success_banner

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_iro_manager_makes_a_system_account_and_issues_its_token(org, page):
    sign_in(page, "iro-manager")
    go_to(page, "System accounts")
    expect(page.get_by_role("heading", level=1)).to_have_text("System accounts")
    assert_styled(page)
    page.get_by_role("button", name="Make system account").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, "the system accounts page with errors")
    page.get_by_label("Name of the system").fill("Mosaic")
    page.get_by_label("What it does with what it reads").fill("Writes each DRP onto the child's record")
    page.get_by_label("Username of the person responsible").fill("iro-manager")
    page.get_by_label(roles.SYSTEM_SCOPES[roles.SYSTEM_READ_DRPS]).check()
    page.get_by_role("button", name="Make system account").click()
    expect(success_banner(page)).to_have_text("System account Mosaic made")
    expect(page.locator("tbody")).to_contain_text("Mosaic")
    assert_accessible(page, "the system accounts page")
    page.get_by_role("link", name=re.compile(r"^Issue a token")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue a token for Mosaic")
    assert_accessible(page, "the issue-a-token page")
    page.get_by_role("button", name="Issue a token").click()
    expect(page.locator("#token")).to_have_text(re.compile(r"^\S{20,}$"))
    assert_accessible(page, "the token, shown once")
