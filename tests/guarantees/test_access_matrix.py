"""The role × endpoint matrix: every page and API operation, tried as every role, a superuser
with no role, and a signed-out person, against the explicit table in tests/support/access_rules.py.

Pages and endpoints are discovered from the URL resolver and the OpenAPI schema, so a new one
without a rule fails ``test_every_endpoint_has_exactly_one_rule``. Each request runs in a
savepoint that is rolled back, so a POST that succeeds (an escalation, a sign-out) changes
nothing the next request sees; the objects are built once per test. Nobody outside the DO team
may see a DO case's reference, subject or summary in any response, and no admin page shows
them to anyone: every admin page (list, add, change, delete, history) is requested with a real
object of its model, and none offers a DO role or shows an API token's key.

Run with ``pytest tests/guarantees/test_access_matrix.py -s`` to see the number of checks."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction

from drp.models import DisputeResolution
from lado.models import Enquiry
from tests.support import access_rules as rules
from tests.support.access_matrix import DO_ROLE_CHOICE, Actors, Endpoint, discover, rules_for

pytestmark = pytest.mark.django_db


TWO_STEP_GATE = ("/accounts/two-step/verify/", "/accounts/two-step/set-up/")


# --- Discovery ----------------------------------------------------------------------------------

def methods_tried(rule: rules.Rule, endpoint: Endpoint) -> list[str]:
    return sorted(endpoint.methods & set(rule.methods) if rule.methods else endpoint.methods)


def test_every_endpoint_has_exactly_one_rule():
    """A new page, endpoint or method without a decision in access_rules.py fails here."""
    endpoints = discover()
    problems = []
    used = set()
    for template, endpoint in sorted(endpoints.items()):
        matched = rules_for(template)
        used.update(rule.name for rule in matched)
        if len(matched) != 1:
            problems.append(f"{template}: {len(matched)} rules match ({[r.name for r in matched]})")
            continue
        rule = matched[0]
        for case in rule.cases:
            undecided = set(methods_tried(rule, endpoint)) - set(case.access)
            if undecided:
                problems.append(f"{template}: no decision for {sorted(undecided)} in {rule.name!r}")
            unfilled = [p for p in endpoint.params if p not in case.values]
            if unfilled:
                problems.append(f"{template}: {rule.name!r} gives no value for {unfilled}")
    for rule in rules.RULES:
        if rule.name not in used:
            problems.append(f"rule {rule.name!r} matches no endpoint (stale)")
    assert not problems, "\n".join(problems)
    api = {t: e for t, e in endpoints.items() if e.api}
    print(f"\ndiscovered {len(endpoints)} URL patterns ({len(endpoints) - len(api)} pages and admin, {len(api)} API "
          f"paths with {sum(len(e.methods) for e in api.values())} operations), all covered by {len(rules.RULES)} rules")
    assert {"/api/v1/drps/{id}/", "/api/v1/lado/enquiries/{id}/actions/{action_id}/", "/drps/{id}/{transition}/",
            "/lado/{id}/actions/{action_pk}/", "/admin/"} <= set(endpoints)
    assert sum(len(e.methods) for t, e in endpoints.items() if t.startswith("/api/v1/")) >= 40


# --- Running the matrix --------------------------------------------------------------------------

def outcome(response, method: str) -> str:
    """What the gate said. A GET that is let through must show something (2xx/3xx); a POST,
    PATCH or DELETE that is let through may still be refused for its input (400) or for the
    case's state (409): that is past the permission gate."""
    code = response.status_code
    if code >= 500 or (method == "GET" and code in (400, 409)):
        return str(code)
    if code in (301, 302, 303, 307):
        location = urlparse(response["Location"])
        target = location.path
        if target == settings.LOGIN_URL or target == "/accounts/login/":
            return rules.LOGIN
        if target == "/admin/login/":
            return rules.ADMIN_LOGIN
        if target in TWO_STEP_GATE and "next=" in location.query:
            return "two-step"  # the two-step middleware stopped the request
        return rules.ALLOW
    if code == 401:
        return rules.UNAUTHENTICATED
    if code == 403:
        return rules.FORBIDDEN
    if code == 404:
        return rules.HIDDEN
    if code == 405:
        return rules.WRONG_METHOD
    return rules.ALLOW


def agrees(expected: str, got: str) -> bool:
    if got == rules.WRONG_METHOD:
        return expected in (rules.ALLOW, rules.FORBIDDEN, rules.HIDDEN)
    if expected == rules.UNAUTHENTICATED:
        return got in (rules.UNAUTHENTICATED, rules.FORBIDDEN)
    if expected == rules.ANY_LOGIN:
        return got in (rules.LOGIN, rules.ADMIN_LOGIN)
    return expected == got


def send(actors: Actors, actor: str, method: str, url: str, api: bool, body, fmt: str):
    """One request in a savepoint that is rolled back; returns (outcome, status, body text)."""
    client = actors.api[actor] if api else actors.pages[actor]
    try:
        with transaction.atomic():
            call = getattr(client, method.lower())
            if method == "GET":
                response = call(url)
            elif api:
                response = call(url, body or {}, format=fmt)
            else:
                response = call(url, body or {})
            content = b"".join(response.streaming_content) if response.streaming else response.content
            transaction.set_rollback(True)
    except Exception as exc:  # a 500: the test client re-raises the view's exception
        return "500", 500, repr(exc)
    finally:
        actors.restore(actor)
    return outcome(response, method), response.status_code, content.decode("utf-8", "replace")


@dataclass
class Tally:
    checks: int = 0
    by_group: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def tally():
    counts = Tally()
    yield counts
    if counts.checks:
        groups = ", ".join(f"{group} {n}" for group, n in sorted(counts.by_group.items()))
        print(f"\nrole × endpoint matrix: {counts.checks} checks ({groups}); {len(rules.ACTORS)} actors")


def group_of(template: str) -> str:
    if template.startswith("/api/"):
        return "api"
    if template.startswith("/admin/"):
        return "admin"
    return "pages"


@pytest.fixture
def quiet_refusals():
    """Thousands of expected 403s need no warning each in the log."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def admin_offers(template: str, actor: str, url: str, text: str, token_keys: list[str]) -> list[str]:
    """What an admin page must not offer: a DO role as a choice (any page), or a token's key
    (an add or change page)."""
    found = [f"DO ROLE OFFERED: {actor} GET {url} has {match.group()}" for match in DO_ROLE_CHOICE.finditer(text)]
    if template.endswith(("/add/", "/change/")):
        found += [f"TOKEN KEY SHOWN: {actor} GET {url}" for key in token_keys if key in text]
    return found


@pytest.mark.parametrize("group", ["pages", "api", "admin"])
def test_role_endpoint_matrix(group, world, tally, quiet_refusals):
    """0 unexpected allows, 0 unexpected denies, no 500s, no DO case data outside the DO team."""
    actors = Actors(world)
    mismatches, leaks = [], []
    checks = shown_to_do_team = 0
    for template, endpoint in sorted(discover().items()):
        if group_of(template) != group:
            continue
        matched = rules_for(template)
        if len(matched) != 1:
            continue  # test_every_endpoint_has_exactly_one_rule names it
        rule = matched[0]
        for case in rule.cases:
            for actor in rules.ACTORS:
                url = template
                for param in endpoint.params:
                    url = url.replace(f"{{{param}}}", world.value(case.values[param], actor, template))
                if case.query:
                    url = f"{url}?{case.query}"
                for method in methods_tried(rule, endpoint):
                    expected = case.expect(actor, method, endpoint.api)
                    body = case.body.get(method)
                    body = body(world) if callable(body) else body
                    got, status, text = send(actors, actor, method, url, endpoint.api, body, case.format)
                    checks += 1
                    if case.signs_out and expected == rules.ALLOW and got == rules.LOGIN:
                        got = rules.ALLOW  # signed out, and sent to sign in again
                    if not agrees(expected, got):
                        kind = ("UNEXPECTED ALLOW" if got == rules.ALLOW else
                                "UNEXPECTED DENY" if expected == rules.ALLOW else "WRONG REFUSAL")
                        mismatches.append(f"{kind}: {actor} {method} {url} [{rule.name}"
                                          f"{': ' + case.label if case.label else ''}] expected {expected}, "
                                          f"got {status} ({got}) {text[:120] if status >= 500 or got == str(status) else ''}")
                    leaked = [secret for secret in world.secrets() if secret in text]
                    if leaked and actor in rules.DO_TEAM and group != "admin":
                        shown_to_do_team += 1
                    elif leaked:
                        leaks.append(f"DO DATA SEEN: {actor} {method} {url} shows {leaked}")
                    if group == "admin":
                        leaks.extend(admin_offers(template, actor, url, text, actors.token_keys))
    tally.checks += checks
    tally.by_group[group] = checks
    print(f"\n{group}: {checks} checks, {len(mismatches)} mismatches, {len(leaks)} leaks")
    assert checks > 0
    # The leak check looks for the right words: the DO team's own pages and API show them.
    assert shown_to_do_team > 0 or group == "admin"
    if group == "admin":  # ... and on the admin, it looked at real pages of every model
        assert checks >= len(admin.site._registry) * 5 * len(rules.ACTORS)
    unexpected_allows = [m for m in mismatches if m.startswith("UNEXPECTED ALLOW")]
    unexpected_denies = [m for m in mismatches if m.startswith("UNEXPECTED DENY")]
    assert not mismatches and not leaks, (
        f"{len(unexpected_allows)} unexpected allows, {len(unexpected_denies)} unexpected denies, "
        f"{len(mismatches) - len(unexpected_allows) - len(unexpected_denies)} other, {len(leaks)} leaks "
        f"in {checks} checks:\n" + "\n".join(mismatches + leaks))
    # Every request was rolled back: the DRP still awaits a response and the DO case is whole.
    assert DisputeResolution.objects.get(pk=world.drp).status == DisputeResolution.Status.AWAITING_RESPONSE
    assert Enquiry.objects.get(pk=world.enquiry).status == Enquiry.Status.IN_PROGRESS
