"""The access matrix's machinery (tests/guarantees/test_access_matrix.py): discovering every page and
API operation, the ``World`` of objects the URLs name, the ``Actors`` who try them, and sending and
judging each request. Also used by the hardening and API fuzz tests."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from drp import cover as drp_cover
from drp import services as drp_services
from drp.models import Theme
from imports.models import ImportJob
from lado import services as lado_services
from lado.models import Category, RetentionRule
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

PAGE_METHODS = ("GET", "POST")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


DO_SECRETS = ("Secret Subjectname", "Confidential allegation text", "Head teacher Hilda")
#: A DO import's file name and a cell value quoted in its errors: DO data too.
DO_IMPORT_SECRETS = ("do-allegation-ron-miles.xlsx", "Ronald Miles Cellvalue")
#: What an admin page must never offer: a DO role as a choice (a select option, a checkbox).
DO_ROLE_CHOICE = re.compile("|".join(rf'<option value="{slug}"|<input type="(?:checkbox|radio)"[^>]*value="{slug}"'
                                     for slug in sorted(roles.DO_TEAM)))


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
