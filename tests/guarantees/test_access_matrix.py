"""The role × endpoint matrix: every page and API operation, tried as every role, a superuser
with no role, and a signed-out person, against the explicit table in tests/support/access_rules.py.

Pages and endpoints are discovered from the URL resolver and the OpenAPI schema, so a new one
without a rule fails ``test_every_endpoint_has_exactly_one_rule``. Each request runs in a
savepoint that is rolled back, so a POST that succeeds (an escalation, a sign-out) changes
nothing the next request sees; the objects are built once per test. Nobody outside the DO team
may see a DO case's reference, subject or summary in any response, and no admin page shows
them to anyone: every admin page (list, add, change, delete, history) is requested with a real
object of its model, and none offers a DO role or shows an API token's key.

Run with ``pytest tests/guarantees/test_access_matrix.py -s`` to see the number of checks.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from drp import cover as drp_cover
from drp import services as drp_services
from drp.models import DisputeResolution, Theme
from imports.models import ImportJob
from lado import services as lado_services
from lado.models import Category, Enquiry, RetentionRule
from notifications.models import Notification
from people import roles
from positive_practice import services as pp_services
from subject_access import services as sar_services
from tests.support import access_rules as rules
from tests.support.auth import api_token, login
from tests.support.factories import UserFactory
from tests.support.lado_fixtures import in_progress
from workflows.audit import record_read
from workflows.clocks import today
from workflows.models import CaseRead, ClosureDay

pytestmark = pytest.mark.django_db

PAGE_METHODS = ("GET", "POST")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
TWO_STEP_GATE = ("/accounts/two-step/verify/", "/accounts/two-step/set-up/")
DO_SECRETS = ("Secret Subjectname", "Confidential allegation text", "Head teacher Hilda")
#: A DO import's file name and a cell value quoted in its errors: DO data too.
DO_IMPORT_SECRETS = ("do-allegation-ron-miles.xlsx", "Ronald Miles Cellvalue")
#: What an admin page must never offer: a DO role as a choice (a select option, a checkbox).
DO_ROLE_CHOICE = re.compile("|".join(rf'<option value="{slug}"|<input type="(?:checkbox|radio)"[^>]*value="{slug}"'
                                     for slug in sorted(roles.DO_TEAM)))


# --- Discovery ----------------------------------------------------------------------------------

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_UNNAMED_GROUP = re.compile(r"\((?!\?)[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def path_template(route: str) -> str:
    """``drps/<int:pk>/`` and ``api/^drps/(?P<pk>[^/.]+)/$`` become ``/drps/{id}/``, as the
    OpenAPI schema writes paths; unnamed groups (django-simple-history's admin) become
    ``{arg0}``, ``{arg1}`` ..."""
    template = _CONVERTER.sub(r"{\1}", _GROUP.sub(r"{\1}", route))
    numbers = iter(range(10))
    template = _UNNAMED_GROUP.sub(lambda match: f"{{arg{next(numbers)}}}", template)
    return "/" + template.replace("^", "").replace("$", "").replace("{pk}", "{id}")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _view_methods(callback) -> set[str]:
    """The HTTP methods a DRF view answers (a viewset route knows its own)."""
    if getattr(callback, "actions", None):
        # DRF adds "head" to a viewset's actions on its first GET; HEAD is GET's, not a method
        # of its own, so it must not depend on which tests ran first.
        return {method.upper() for method in callback.actions if method != "head"}
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return {"GET"}
    return {method for method in HTTP_METHODS if hasattr(view_class, method.lower())}


def schema_operations() -> dict[str, set[str]]:
    """Every API path and its methods, from the OpenAPI schema generated in-process."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {path: {m.upper() for m in ops if m.upper() in HTTP_METHODS} for path, ops in schema["paths"].items()}


@dataclass
class Endpoint:
    template: str
    methods: set[str] = field(default_factory=set)

    @property
    def api(self) -> bool:
        return self.template.startswith("/api/")

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.template)


@functools.cache
def discover() -> dict[str, Endpoint]:
    """Every URL pattern (pages: GET and POST) and every API operation, by path template."""
    found: dict[str, Endpoint] = {}
    for route, callback in _walk(get_resolver().url_patterns):
        endpoint = found.setdefault(path_template(route), Endpoint(path_template(route)))
        endpoint.methods |= _view_methods(callback) if endpoint.api else set(PAGE_METHODS)
    for template, methods in schema_operations().items():
        found.setdefault(template, Endpoint(template)).methods |= methods
    return found


def rules_for(template: str) -> list[rules.Rule]:
    return [rule for rule in rules.RULES if rule.matches(template)]


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


# --- The objects the URLs name ----------------------------------------------------------------------


class World:
    """One of everything a URL can name, built through the real services."""

    def __init__(self, org):
        self.org = org
        self.superuser = UserFactory(username="superuser-no-role", is_staff=True, is_superuser=True)
        self.users = {slug: getattr(org, slug.replace("-", "_")) for slug in roles.ALL}
        self.users[rules.SUPERUSER] = self.superuser
        self.child, self.other_child = org.child.pk, org.other_child.pk
        theme = Theme.objects.filter(active=True).first()
        self.theme = theme.slug
        drp = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA", themes=[theme],
                                     concern="Plan drifting for Amy")
        other = drp_services.drp_raise(actor=org.iro, children=[org.other_child], case_type="CLA",
                                       themes=[theme], concern="Plan drifting for Zed")
        self.drp, self.other_drp = drp.pk, other.pk
        due = today() + timedelta(days=7)
        self.action_due_on = due.isoformat()
        self.agreed_action = drp_services.drp_agree_action(drp=drp, actor=org.iro, what="Convene a meeting",
                                                           due_on=due, owner=org.social_worker).pk
        self.drp_reference, self.other_drp_reference = drp.reference, other.reference
        self.cover = drp_cover.cover_set_up(actor=org.team_manager, absent=org.team_manager,
                                            colleague=org.other_social_worker, starts_on=today(),
                                            ends_on=today() + timedelta(days=7)).pk
        pp = pp_services.positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                                                  what_happened="Visited weekly", impact="Felt heard")
        other_pp = pp_services.positive_practice_record(actor=org.iro, children=[org.other_child],
                                                        case_type="CLA", what_happened="Kept in touch",
                                                        impact="Settled")
        self.pp, self.other_pp = pp.pk, other_pp.pk
        self.pp_reference, self.other_pp_reference = pp.reference, other_pp.reference
        enquiry = in_progress(org, subject_name="Secret Subjectname", summary="Confidential allegation text",
                              children=[org.child])
        action = lado_services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer,
                                                  kind="suspension", owner_name="Head teacher Hilda")
        self.enquiry, self.action, self.enquiry_reference = enquiry.pk, action.pk, enquiry.reference
        self.notification = {
            actor: Notification.objects.create(recipient=user, kind="test", subject=f"For {actor}").pk
            for actor, user in self.users.items()}
        self.others_notification = Notification.objects.create(
            recipient=org.other_social_worker, kind="test", subject="Not yours").pk
        self.import_job = ImportJob.objects.create(kind="drp", filename="drps.csv", uploaded_by=org.iro_manager,
                                                   status=ImportJob.Status.DONE).pk
        self.do_import_job = ImportJob.objects.create(
            kind="lado", filename=DO_IMPORT_SECRETS[0], uploaded_by=org.do_manager, status=ImportJob.Status.REFUSED,
            errors=[{"row": 2, "column": "subject_name", "message": f"“{DO_IMPORT_SECRETS[1]}” appears twice"}]).pk
        self.sar_child = sar_services.request_start(actor=org.iro_manager, requester_name="Amy's advocate",
                                                    received_on=today(), child=org.child).pk
        self.sar_do = sar_services.request_start(actor=org.do_manager, requester_name="A solicitor",
                                                 received_on=today(), enquiry=enquiry).pk
        # Something in the access log of each kind.
        record_read(org.designated_officer, enquiry, "lado:detail")
        record_read(org.iro, drp, "drp:detail")
        # The DO Manager's pages: a DO officer's role, a retention rule, a role change.
        self.do_officer, self.auditor = org.designated_officer.pk, org.auditor.pk
        self.retention_rule = RetentionRule.objects.get(closure="substantiated").pk
        self.category = Category.objects.get(slug="sexual").pk
        lado_services.do_role_grant(actor=org.do_manager, person=org.iro_manager, role=roles.DESIGNATED_OFFICER,
                                    reason="Covering leave")
        lado_services.do_role_remove(actor=org.do_manager, person=org.iro_manager, role=roles.DESIGNATED_OFFICER,
                                     reason="Back from leave")
        # Issue 14: a system account (owned by the IRO Manager) and webhook subscriptions.
        from integrations.models import WebhookSubscription
        from people.services import service_account_create

        self.service_account = service_account_create(
            actor=org.iro_manager, name="Mosaic", purpose="Case records", owner=org.iro_manager,
            scopes=[roles.SYSTEM_READ_DRPS]).pk
        self.subscription = WebhookSubscription.objects.create(
            name="Mosaic", url="https://mosaic.example/", secret="s", owner=org.iro_manager).pk
        self.do_subscription = WebhookSubscription.objects.create(
            name="DO system", url="https://do.example/", secret="s", owner=org.do_manager, scope="do").pk
        self.admin_objects = self._admin_objects(org, enquiry)

    def _admin_objects(self, org, enquiry) -> dict[str, object]:
        """One object per registered admin model (model label -> primary key), built here where
        the test data has none, and linked to the DO case wherever there is a choice."""
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
        from django_celery_beat.models import ClockedSchedule, SolarSchedule

        from reports.models import RecordingStart

        ClosureDay.objects.create(date=today(), description="Office closed")
        from drp.models import AgencyContact, PartnerAgency

        AgencyContact.objects.create(agency=PartnerAgency.objects.get(slug="health"), name="Pat Nurse",
                                     email="pat.nurse@health.example")
        RecordingStart.objects.create(record_type="positive-practice", began_on=today().replace(month=4, day=1))
        Group.objects.create(name="Administrators")
        ClockedSchedule.objects.create(clocked_time=timezone.now())
        SolarSchedule.objects.create(event="sunrise", latitude=51.5, longitude=-0.1)
        sign_in = {"username": "do-manager", "ip_address": "10.0.0.1", "user_agent": "Firefox", "http_accept": "*/*",
                   "path_info": "/accounts/login/"}
        AccessAttempt.objects.create(**sign_in, failures_since_start=1)
        AccessLog.objects.create(**sign_in)
        AccessFailureLog.objects.create(username="do-manager", ip_address="10.0.0.1", user_agent="Firefox",
                                        http_accept="*/*", path_info="/accounts/login/", locked_out=False)
        chosen = {
            "people.user": org.designated_officer.pk,  # logged the DO case, read it, holds a DO role
            "people.role": roles.IRO_MANAGER,  # the DO roles are not in the admin
            "people.team": org.team.pk,
            "children.child": org.child.pk,  # a child in the DO case
            "lado.sector": enquiry.sector_id, "lado.settingtype": enquiry.setting_id,
            "lado.category": enquiry.category_id, "lado.referralsource": enquiry.referral_source_id,
            "lado.employmentbasis": enquiry.employment_basis_id,
            "imports.importjob": self.import_job,  # the DO import is not in the admin
            "workflows.caseread": CaseRead.objects.filter(case_kind="drp.disputeresolution").first().pk,
        }
        api_client_for(org.designated_officer)  # a DO officer's API token
        found = {}
        for model in admin.site._registry:
            label = model._meta.label_lower
            found[label] = chosen.get(label) or getattr(model._default_manager.order_by("pk").first(), "pk", None)
        return found

    def admin_value(self, spec: str, template: str) -> str:
        """An admin address's object: ``/admin/<app>/<model>/{object_id}/...`` gets that model's
        object; ``admin_version`` its latest history row; ``/admin/r/...`` the DRP import."""
        if template.startswith("/admin/r/"):
            if spec == "admin_content_type":
                return str(ContentType.objects.get_for_model(ImportJob).pk)
            return str(self.import_job)
        app_label, model_name = template.split("/")[2:4]
        label = f"{app_label}.{model_name}"
        pk = self.admin_objects[label]
        if spec == "admin_version":
            model = apps.get_model(app_label, model_name)
            # The object's own id (a history row's pk is its history_id, which matches the id
            # only while no earlier test has taken numbers from the history table's sequence).
            return str(model.history.filter(**{model._meta.pk.attname: pk}).latest("history_date").history_id)
        return str(pk)

    def value(self, spec: str, actor: str, template: str = "") -> str:
        if spec.startswith("="):
            return spec[1:]
        if spec.startswith("admin_"):
            return self.admin_value(spec, template)
        value = getattr(self, spec)
        if isinstance(value, dict):  # one each (a signed-out person tries the IRO's)
            value = value.get(actor, value[roles.IRO])
        return str(value)

    def secrets(self) -> tuple[str, ...]:
        return (self.enquiry_reference, *DO_SECRETS, *DO_IMPORT_SECRETS)


@pytest.fixture
def world(org):
    return World(org)


# --- Running the matrix --------------------------------------------------------------------------


_HANDLERS: dict[type, object] = {}


def new_client(cls=Client):
    """A test client sharing one request handler per class: each new handler would load the
    middleware again, and WhiteNoise scans every static file each time (~2 s)."""
    client = cls()
    client.handler = _HANDLERS.setdefault(cls, client.handler)
    return client


def api_client_for(user) -> APIClient:
    client = new_client(APIClient)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


class Actors:
    """A browser (session) and an API client (token) per actor, signed in once."""

    def __init__(self, world: World):
        self.pages, self.api, self.sessions = {}, {}, {}
        self.token_keys = []  # every API token's key, which no admin page may show
        for actor in rules.ACTORS:
            user = world.users.get(actor)
            page_client = new_client()
            api_client = api_client_for(user) if user else new_client(APIClient)
            if user is not None:
                self.token_keys.append(api_client._credentials["HTTP_AUTHORIZATION"].split()[-1])
            if user is not None:
                login(page_client, user)
                self.sessions[actor] = page_client.cookies[settings.SESSION_COOKIE_NAME].value
            self.pages[actor], self.api[actor] = page_client, api_client

    def restore(self, actor: str):
        """Back to just the session cookie (a sign-out or a flash message changes nothing next)."""
        client = self.pages[actor]
        client.cookies.clear()
        if actor in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[actor]


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


# --- Object-level rules ---------------------------------------------------------------------------


def _api_ids(world, actor, url) -> set[int]:
    response = api_client_for(world.users[actor]).get(url)
    assert response.status_code == 200, (actor, url, response.status_code)
    data = response.json()
    return {row["id"] for row in (data["results"] if isinstance(data, dict) else data)}


def _page(world, actor, url) -> str:
    client = login(new_client(), world.users[actor])
    response = client.get(url)
    assert response.status_code == 200, (actor, url, response.status_code)
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def test_social_care_lists_hold_only_their_teams_drps(world):
    """A social worker and their team manager see North Team 1's DRP, never South Team 1's; the
    Director, over both, and the reviewing team see both; roles that see no DRP get an empty list."""
    ours, theirs = world.drp, world.other_drp
    for actor in (roles.SOCIAL_WORKER, roles.TEAM_MANAGER, roles.SERVICE_MANAGER):
        assert _api_ids(world, actor, "/api/v1/drps/") == {ours}, actor
        page = _page(world, actor, "/drps/")
        assert world.drp_reference in page and world.other_drp_reference not in page, actor
        assert _api_ids(world, actor, "/api/v1/positive-practice/") == {world.pp}, actor
        csv = _page(world, actor, "/positive-practice/?format=csv")
        assert world.pp_reference in csv and world.other_pp_reference not in csv, actor
        assert _api_ids(world, actor, "/api/v1/children/") == {world.child, world.org.sibling.pk}, actor
    for actor in (roles.DIRECTOR, roles.IRO_MANAGER, roles.AUDITOR, roles.BUSINESS_SUPPORT):
        assert _api_ids(world, actor, "/api/v1/drps/") == {ours, theirs}, actor
    for actor in (roles.COMPLAINTS, roles.DESIGNATED_OFFICER, roles.DO_MANAGER, rules.SUPERUSER):
        assert _api_ids(world, actor, "/api/v1/drps/") == set(), actor
    for actor in (roles.COMPLAINTS, rules.SUPERUSER):
        assert _api_ids(world, actor, "/api/v1/children/") == set(), actor
    for actor in (roles.DESIGNATED_OFFICER, roles.DO_MANAGER, rules.SUPERUSER):
        assert _api_ids(world, actor, "/api/v1/positive-practice/") == set(), actor


def test_who_may_create_is_decided_before_the_input_is_read(org):
    """A person who may not create gets 403 whatever they send, never a 400 about the input."""
    superuser = UserFactory(username="superuser-no-role", is_staff=True, is_superuser=True)
    for user in (org.complaints, org.auditor, superuser):
        client = api_client_for(user)
        for url in ("/api/v1/drps/", "/api/v1/positive-practice/", "/api/v1/children/"):
            assert client.post(url, {}, format="json").status_code == 403, (user.username, url)


def test_a_child_page_shows_only_the_drps_the_person_may_see(world):
    """The DO team may open a child's record (to link an enquiry) but sees none of their DRPs."""
    page = _page(world, roles.DESIGNATED_OFFICER, f"/children/{world.child}/")
    assert "Amy Example" in page and world.drp_reference not in page
    assert world.drp_reference in _page(world, roles.SOCIAL_WORKER, f"/children/{world.child}/")


def test_the_annual_report_gives_the_do_section_as_figures_only(world):
    """IRO Managers, DO Managers and auditors read the annual report, whose DO section counts
    cases and names none; a Designated Officer and everyone else are refused."""
    def leaves(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        else:
            yield value

    for actor in sorted(rules.REPORT_READERS):
        report = api_client_for(world.users[actor]).get("/api/v1/reports/annual/").json()
        section = report["designated_officer"]
        if actor == roles.DO_MANAGER:  # exact and live for the DO team
            assert section["enquiries"]["this_year"] == 1, actor
            assert all(value is None or isinstance(value, (int, float, str)) for value in leaves(section))
            assert all(len(str(value)) < 20 for value in leaves(section)), "figures and labels only"
        else:  # this year has not ended: no DO figures for anyone else (reports.disclosure)
            assert section is None and report["designated_officer_disclosure"]["level"] == "withheld", actor
        text = str(report) + _page(world, actor, "/reports/annual/")
        assert not [secret for secret in world.secrets() if secret in text], actor


def test_the_access_log_keeps_do_cases_for_the_do_manager(world):
    """IRO Managers see reads of DRPs and never of a DO case; the DO Manager sees DO cases."""
    iro_log = _page(world, roles.IRO_MANAGER, "/audit/")
    assert world.drp_reference in iro_log and world.enquiry_reference not in iro_log
    do_log = _page(world, roles.DO_MANAGER, "/audit/")
    assert world.enquiry_reference in do_log and world.drp_reference not in do_log


def test_every_admin_model_is_requested_with_a_real_object(world):
    """The admin rows of the matrix name a real object for every registered model (the World
    builds one where the test data has none), and its pages answer the superuser."""
    missing = [label for label, pk in world.admin_objects.items() if pk is None]
    assert not missing, f"build one of each in World._admin_objects: {missing}"
    assert {"otp_totp.totpdevice", "lado.retentionrule", "lado.enquiry", "authtoken.tokenproxy",
            "knox.authtoken", "people.apitoken"}.isdisjoint(world.admin_objects)
    client = login(new_client(), world.superuser)
    for label, pk in world.admin_objects.items():
        app_label, model_name = label.split(".")
        response = client.get(f"/admin/{app_label}/{model_name}/{pk}/change/")
        assert response.status_code == 200, (label, response.status_code)
