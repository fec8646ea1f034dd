"""Browser fixtures: Debian's chromium driven by Playwright's sync API against the live server.

Nothing here downloads a browser: ``/usr/bin/chromium`` is used, or the test is skipped
(failed under FOOTPRINT_REQUIRE_SERVICES=1).
"""

import json
import os
from pathlib import Path

import pytest

from ..conftest import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.2 A and AA, as axe tags them.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def browser(live_server):
    """A headless chromium for one test, closed before the database is flushed.

    Make a test's records in fixtures that come before this one (``org``, or a fixture
    listed ahead of ``page``), not in the test's body: while Playwright's sync API is
    running, Django sees an event loop on the thread and refuses ORM calls
    (SynchronousOnlyOperation). Do not silence that with DJANGO_ALLOW_ASYNC_UNSAFE: the
    calls would then run on a second database connection (Django keeps connections per
    async context) that nothing closes, and on PostgreSQL the test database cannot be
    dropped at the end of the run.
    """
    if not CHROMIUM.exists():
        skip_or_fail("Debian's chromium is not installed at /usr/bin/chromium")
    if not AXE_JS.exists():
        skip_or_fail(f"axe-core is not installed at {AXE_JS} (run `npm install`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright Python package is not installed")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A page in a fresh context (its own cookies) with JavaScript on."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def assert_accessible(page, what: str):
    """Run axe-core (WCAG 2.2 A/AA) on the page as it stands; fail listing every violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as a <script>: the app's strict
        # Content-Security-Policy (script-src 'self') would block an inline script tag.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    violations = result["violations"]
    message = [f"{len(violations)} accessibility violation(s) on {what} ({page.url}):"]
    for v in violations:
        message.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            summary = node.get("failureSummary", "").strip()
            message.append(f"    {json.dumps(node['target'])}: {summary}")
    assert not violations, "\n".join(message)
    assert result["passes"], f"axe checked nothing on {what} ({page.url})"
    if os.environ.get("AXE_DEBUG"):  # AXE_DEBUG=1 pytest -s: what axe could not decide
        for item in result["incomplete"]:
            for node in item["nodes"]:
                reason = (node.get("any") or [{}])[0].get("message", "")
                print(f"[axe incomplete] {what}: {item['id']} {node['target']}: {reason}")
    # What axe could not decide (contrast beside the MOJ timeline's pseudo-element line, say)
    # is "incomplete": for a person to check, not a failure.
    return result
