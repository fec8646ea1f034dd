import re
from tests.browser.conftest import *
def test_spike(org, page):
    responses = []
    page.on("response", lambda r: responses.append((r.status, r.url)))
    page.goto("/accounts/login/")
    print(responses)
    print(page.evaluate("() => [getComputedStyle(document.querySelector('h1')).fontFamily, getComputedStyle(document.querySelector('.govuk-header')).backgroundColor, getComputedStyle(document.body).backgroundColor, document.body.className]"))
