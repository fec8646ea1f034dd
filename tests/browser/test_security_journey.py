"""The strict Content-Security-Policy in a real browser: nothing on the way is blocked.

chromium reports every script, style or image the policy refuses on the console; these pages
(and the API docs, whose Swagger UI starts from a script served at its own URL) must report none.
"""

import re

import pytest

from .conftest import assert_accessible
from .test_drp_journey import sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def watch_for_blocking(page) -> list[str]:
    blocked = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    return blocked


def test_the_api_docs_and_two_step_pages_run_under_the_policy(org, page):
    blocked = watch_for_blocking(page)
    sign_in(page, "iro")

    response = page.goto("/api/v1/docs/")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .title")).to_contain_text("Footprint API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()

    page.goto("/accounts/two-step/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    assert_accessible(page, "the two-step verification page (off)")
    page.get_by_role("link", name="Set up two-step verification").click()
    expect(page).to_have_url(re.compile(r"/accounts/two-step/set-up/"))
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page).to_have_title(re.compile(r"^Error: Set up two-step verification"))
    assert_accessible(page, "the set-up page with an error")

    assert not blocked, "\n".join(blocked)
