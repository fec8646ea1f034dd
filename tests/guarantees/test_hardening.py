"""Hostile input refused cleanly (issue 10): a NUL byte in any query parameter, form field, JSON field
or header answers 400, never 500; and positive practice names only social-care staff as the
practitioner."""

from __future__ import annotations

import inspect
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlparse

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import resolve

from drp.models import DisputeResolution
from imports.models import ImportJob
from tests.support import access_rules as rules
from tests.support.access_matrix import Actors, World, discover, rules_for
from tests.support.auth import login
from tests.support.problems import field_errors

pytestmark = pytest.mark.django_db

NUL = "\x00"


# --- A NUL byte in any query parameter, form field, JSON field or header --------------------------

class _QueryNames(HTMLParser):
    """The query parameters a page offers: the fields of its GET forms, and the parameters of
    its links back to the same page (sorting, paging, filters)."""

    def __init__(self, path: str):
        super().__init__()
        self.path, self.names, self._in_get_form = path, set(), False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_get_form = (attrs.get("method") or "get").lower() == "get"
        elif tag in ("input", "select", "textarea") and self._in_get_form and attrs.get("name"):
            self.names.add(attrs["name"])
        elif tag == "a" and attrs.get("href"):
            link = urlparse(attrs["href"])
            if link.query and link.path in ("", self.path):
                self.names.update(name for name, _ in parse_qsl(link.query, keep_blank_values=True))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_get_form = False


_READS = re.compile(r"""(?:GET|query_params)\.(?:get|getlist)\(\s*["'](\w+)["']|GET\[\s*["'](\w+)["']""")


def _names_read_by(url: str) -> set[str]:
    """The query parameters the view's module reads by name (``request.GET.get("page")``)."""
    func = resolve(urlparse(url).path).func
    module = inspect.getmodule(getattr(func, "view_class", None) or getattr(func, "cls", None) or func)
    return {a or b for a, b in _READS.findall(inspect.getsource(module))}


def _api_query_parameters() -> dict[str, set[str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {path: {p["name"] for p in ops.get("get", {}).get("parameters", []) if p["in"] == "query"}
            for path, ops in schema["paths"].items()}


def _get(client, url: str):
    """(status, text) in a savepoint that is rolled back; a 500 comes back as status 500."""
    try:
        with transaction.atomic():
            response = client.get(url)
            content = b"".join(response.streaming_content) if response.streaming else response.content
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001  (the test client re-raises a view's exception)
        return 500, repr(exc)
    return response.status_code, content.decode("utf-8", "replace")


def test_nul_byte_in_any_query_parameter_answers_400(org):
    """Every page, API list and admin page (discovered as the access matrix discovers them),
    opened by someone allowed to, with ``%00`` in each query parameter it takes (the API
    schema's, the page's own GET forms and links, and ``q``): 400 naming the parameter, where
    PostgreSQL used to give a 500 (``/children/?q=%00``, ``/lado/?q=%00``,
    ``/api/v1/lado/enquiries/?status=%00`` among them)."""
    world = World(org)
    actors = Actors(world)
    api_parameters = _api_query_parameters()
    assert "status" in api_parameters["/api/v1/lado/enquiries/"]
    tried, problems, pages_tried = 0, [], set()
    for template, endpoint in sorted(discover().items()):
        matched = rules_for(template)
        if "GET" not in endpoint.methods or len(matched) != 1:
            continue
        rule = matched[0]
        if template.startswith("/admin/") and endpoint.params:
            continue  # the admin's object pages: its list pages (and their filters) are tried
        case = rule.cases[0]
        actor = next((a for a in rules.ACTORS if case.expect(a, "GET", endpoint.api) == rules.ALLOW), None)
        if actor is None or template in ("/accounts/logout/", "/api/v1/docs/"):
            continue
        url = template
        for param in endpoint.params:
            url = url.replace(f"{{{param}}}", world.value(case.values[param], actor))
        client = actors.api[actor] if endpoint.api else actors.pages[actor]
        query = dict(parse_qsl(case.query))
        status, text = _get(client, f"{url}?{urlencode(query)}" if query else url)
        actors.restore(actor)
        if status == 405:
            continue  # POST only: it reads no query
        if status >= 400:
            problems.append(f"{actor} GET {url}: {status} without a NUL byte")
            continue
        names = {"q"} | api_parameters.get(template, set()) | _names_read_by(url)
        if not endpoint.api and status == 200:
            parser = _QueryNames(url)
            parser.feed(text)
            names |= parser.names - {"csrfmiddlewaretoken"}
        for name in sorted(names):
            status, text = _get(client, f"{url}?{urlencode({**query, name: 'a' + NUL})}")
            actors.restore(actor)
            tried += 1
            pages_tried.add(template)
            if status != 400 or name not in text or "NUL" not in text:
                problems.append(f"{actor} GET {url}?{name}=a%00: {status} {text[:100] if status != 200 else ''}")
    print(f"\nNUL byte: {tried} query parameters on {len(pages_tried)} pages and API lists, "
          f"{len(problems)} problems")
    assert not problems, "\n".join(problems)
    assert {"/children/", "/lado/", "/api/v1/lado/enquiries/", "/admin/"} <= pages_tried
    assert tried > 400


def test_nul_byte_in_a_form_field_json_field_or_header_answers_400(org, client):
    """Forms (pages and the import upload), JSON bodies and headers: 400 naming the field,
    nothing saved. A signed-out person is still sent to sign in first."""
    assert client.get(f"/drps/?q={NUL}").status_code == 302  # sign in first

    login(client, org.iro)
    response = client.post("/drps/raise/", {"children": org.child.reference, "case_type": "CLA",
                                            "themes": ["placement"], "concern": f"Drift{NUL}"})
    assert response.status_code == 400 and "concern contains a character that is not allowed" in response.text

    login(client, org.iro_manager)
    upload = ("drps.csv", b"reference,children\r\nDRP-1,C000001\r\n", "text/csv")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/imports/", {"kind": f"drp{NUL}", "file": SimpleUploadedFile(*upload)})
    assert response.status_code == 400 and "kind contains" in response.text
    assert not ImportJob.objects.exists()

    from rest_framework.test import APIClient

    from tests.support.auth import api_token

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(org.iro)}")
    response = api.post("/api/v1/drps/", {"children": [org.child.pk], "case_type": "CLA", "themes": ["placement"],
                                       "concern": "Drift", "extra": {"notes": ["fine", f"bad{NUL}"]}},
                        format="json")
    assert response.status_code == 400 and list(field_errors(response)) == ["extra.notes[1]"]
    response = api.get("/api/v1/drps/", HTTP_USER_AGENT=f"Agent{NUL}")
    assert response.status_code == 400 and list(field_errors(response)) == ["User-Agent"]
    anonymous = APIClient()
    response = anonymous.post("/api/v1/auth/token/", {"username": f"iro{NUL}", "password": "x"}, format="json")
    assert response.status_code == 400 and list(field_errors(response)) == ["username"]
    response = client.post("/accounts/login/", {"username": f"iro{NUL}", "password": "x"})
    assert response.status_code == 400
    assert not DisputeResolution.objects.exists()
    if connection.vendor == "postgresql":
        # The same search without the NUL works: the 400 is the NUL's.
        assert client.get("/drps/?q=Drift").status_code in (200, 302)


# --- Positive practice names only social-care staff ---------------------------------------------------

def test_only_social_care_staff_may_be_named_practitioner(org, client):
    """An IRO named the Designated Officer (or anyone) as the practitioner, who was then told
    about the child. Now the service, the form and the API refuse (400 naming the field), and
    nobody is told anything."""
    from rest_framework.test import APIClient

    from notifications.models import Notification
    from positive_practice import services as pp_services
    from positive_practice.models import PositivePractice
    from tests.support.auth import api_token

    for outsider in (org.designated_officer, org.do_manager, org.iro_manager, org.complaints, org.auditor):
        with pytest.raises(ValidationError) as refused:
            pp_services.positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                                                 what_happened="Visited", impact="Heard", practitioner=outsider)
        assert list(refused.value.message_dict) == ["practitioner"]
    org.team_manager.is_active = False
    org.team_manager.save()
    with pytest.raises(ValidationError):
        pp_services.positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                                             what_happened="Visited", impact="Heard", practitioner=org.team_manager)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(org.iro)}")
    body = {"children": [org.child.pk], "case_type": "CLA", "what_happened": "Visited", "impact": "Heard"}
    response = api.post("/api/v1/positive-practice/", {**body, "practitioner": org.designated_officer.username},
                        format="json")
    assert response.status_code == 400 and list(field_errors(response)) == ["practitioner"]
    assert "social care" in field_errors(response)["practitioner"][0]

    login(client, org.iro)
    response = client.post("/positive-practice/record/", {
        "children": org.child.reference, "case_type": "CLA", "what_happened": "Visited", "impact": "Heard",
        "practitioner": org.designated_officer.pk})
    # The form again with the message (this page answers a refused form with 200, as it did).
    assert response.status_code in (200, 400) and "govuk-error-summary" in response.text
    assert '<a href="#id_practitioner">Select a valid option for social worker or manager recognised' in response.text
    assert not PositivePractice.objects.exists() and not Notification.objects.exists()

    # Social-care staff may be named, through each door.
    response = api.post("/api/v1/positive-practice/", {**body, "practitioner": org.service_manager.username},
                        format="json")
    assert response.status_code == 201, response.json()
    assert PositivePractice.objects.get().practitioner == org.service_manager
