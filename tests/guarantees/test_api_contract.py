"""The API contract an integrator builds on (issue 14): one problem shape for every error,
JSON only, typed schemas, strict query parameters."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from api.views import ApiContract
from drp.models import DisputeResolution
from lado.models import Enquiry
from tests.lado.test_lado_api import create as create_enquiry
from tests.support.lado_fixtures import client_for, log
from tests.support.problems import PROBLEM_KEYS, field_errors

pytestmark = pytest.mark.django_db

API = "/api/v1"


def problem(response, status: int, code: str) -> dict:
    """The response is problem details with this status and code, and nothing else."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = response.json()
    assert set(body) >= PROBLEM_KEYS and body["status"] == status and body["code"] == code, body
    assert body["type"] == f"urn:footprint:problem:{code}" and body["title"] and body["detail"]
    return body


def schema(org) -> dict:
    return client_for(org.iro_manager).get(f"{API}/schema/?format=json").json()


# --- one error shape -------------------------------------------------------------------------

def test_every_refusal_is_problem_details_with_a_stable_code(org):
    anonymous = APIClient()
    problem(anonymous.get(f"{API}/drps/"), 401, "not_authenticated")
    bad_token = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")
    problem(bad_token.get(f"{API}/drps/"), 401, "authentication_failed")
    iro = client_for(org.iro)
    problem(iro.get(f"{API}/lado/enquiries/"), 403, "permission_denied")
    problem(iro.get(f"{API}/drps/999999/"), 404, "not_found")
    problem(iro.get(f"{API}/drps/not-a-number/"), 404, "not_found")  # Django's handler404
    problem(iro.delete(f"{API}/drps/"), 405, "method_not_allowed")
    problem(iro.get(f"{API}/drps/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")
    problem(iro.post(f"{API}/drps/", "{not json", content_type="application/json"), 400, "parse_error")


def test_a_bad_field_is_400_naming_each_field(org):
    response = client_for(org.iro).post(f"{API}/drps/", {"children": [], "concern": ""}, format="json")
    body = problem(response, 400, "invalid")
    errors = field_errors(response)
    assert {"children", "concern", "themes", "case_type"} <= set(errors)
    assert all(error["code"] for error in body["errors"])  # "required", "empty", ...
    assert "concern" in body["detail"]


def test_a_move_the_status_refuses_is_409_transition_refused(org):
    drp = client_for(org.iro).post(f"{API}/drps/", {
        "children": [org.child.pk], "case_type": "CLA", "themes": ["placement"], "concern": "Drift"},
        format="json").json()
    iro = client_for(org.iro)
    assert iro.post(f"{API}/drps/{drp['id']}/withdraw/", {"reason": "Sorted"}, format="json").status_code == 200
    body = problem(iro.post(f"{API}/drps/{drp['id']}/escalate/", {}, format="json"), 409, "transition_refused")
    assert "withdrawn" in body["detail"] and body["errors"] == []


def test_a_legal_hold_placed_twice_is_a_409_about_the_hold(org):
    enquiry = log(org)
    do = client_for(org.designated_officer)
    url = f"{API}/lado/enquiries/{enquiry.pk}/legal-hold/"
    assert do.post(url, {"hold": True, "reason": "Civil claim"}, format="json").status_code == 200
    body = problem(do.post(url, {"hold": True, "reason": "Again"}, format="json"), 409, "transition_refused")
    assert "already on legal hold" in body["detail"] and "destroyed" not in body["detail"]


# --- JSON only -------------------------------------------------------------------------------

def test_json_endpoints_refuse_forms_with_415(org):
    iro = client_for(org.iro)
    response = iro.post(f"{API}/drps/", {"concern": "x"}, format="multipart")
    problem(response, 415, "unsupported_media_type")
    response = iro.post(f"{API}/drps/", "concern=x", content_type="application/x-www-form-urlencoded")
    problem(response, 415, "unsupported_media_type")
    assert not DisputeResolution.objects.exists()
    # Signing in is JSON too.
    response = APIClient().post(f"{API}/auth/token/", {"username": "iro", "password": "x"}, format="multipart")
    problem(response, 415, "unsupported_media_type")


def test_the_schema_offers_json_bodies_and_multipart_only_for_the_upload(org):
    paths = schema(org)["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            media = set(operation.get("requestBody", {}).get("content", {}))
            if path.endswith("/imports/"):
                assert media == {"multipart/form-data"}, (method, path)
            elif media:
                assert media == {"application/json"}, (method, path, media)


def test_the_token_endpoint_needs_no_credentials_and_every_other_operation_does(org):
    paths = schema(org)["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path.endswith("/auth/token/"):
                assert "security" not in operation
            else:
                assert operation["security"], (method, path)


def test_reports_are_typed_and_ids_are_integers(org):
    document = schema(org)
    paths = document["paths"]
    for report in ("annual", "monthly", "learning"):
        body = paths[f"{API}/reports/{report}/"]["get"]["responses"]["200"]["content"]["application/json"]
        name = body["schema"]["$ref"].rsplit("/", 1)[-1]
        assert document["components"]["schemas"][name]["properties"], report

    def free_form(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" and not ({"properties", "additionalProperties"} & set(node)):
                yield where
            if node.get("additionalProperties") in (True, {}):
                yield where
            for key, value in node.items():
                yield from free_form(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from free_form(value, f"{where}[{index}]")

    assert list(free_form(document, "")) == []
    parameters = {(p["name"], p["schema"]["type"]) for operations in paths.values()
                  for operation in operations.values() for p in operation.get("parameters", [])}
    assert ("child", "integer") in parameters and ("action_id", "integer") in parameters
    assert ("child", "number") not in parameters and ("action_id", "string") not in parameters


def test_every_operation_documents_its_problems_in_one_component(org):
    document = schema(org)
    assert set(document["components"]["schemas"]["Problem"]["properties"]) == PROBLEM_KEYS
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "405", "406", "429", "503"):
                assert status in responses, (method, path, status)
            if "{" in path:
                assert "404" in responses, (method, path)
            for status, response in responses.items():
                if status >= "400":
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)


# --- strict parameters -------------------------------------------------------------------------

@pytest.mark.parametrize("query,name", [
    ("stauts=open", "stauts"),  # a typo is not "every DRP"
    ("child=17.9", "child"),
    ("child=abc", "child"),
    ("limit=ten", "limit"),
    ("limit=0", "limit"),
    ("limit=2.5", "limit"),
    ("offset=1", "offset"),  # the DRP list pages by cursor: offset is not one of its parameters
    ("cursor=nonsense", "cursor"),
    ("status=nonsense", "status"),
])
def test_unknown_or_malformed_query_parameters_are_400_naming_them_on_drps(org, query, name):
    response = client_for(org.iro).get(f"{API}/drps/?{query}")
    problem(response, 400, "invalid")
    assert name in field_errors(response)


@pytest.mark.parametrize("query,name", [
    ("status=nonsense", "status"), ("open=maybe", "open"), ("stage=1", "stage"), ("limit=-5", "limit"),
])
def test_unknown_or_malformed_query_parameters_are_400_naming_them_on_do_cases(org, query, name):
    log(org)
    response = client_for(org.designated_officer).get(f"{API}/lado/enquiries/?{query}")
    problem(response, 400, "invalid")
    assert name in field_errors(response)


def test_declared_parameters_still_work(org):
    log(org)
    do = client_for(org.designated_officer)
    assert do.get(f"{API}/lado/enquiries/?status=awaiting_decision&open=true&limit=1&offset=0").json()["count"] == 1
    assert do.get(f"{API}/lado/enquiries/?open=false").json()["count"] == 0
    assert Enquiry.objects.count() == 1
    iro = client_for(org.iro)
    assert iro.get(f"{API}/drps/?child={org.child.pk}&limit=500000").status_code == 200
    assert iro.get(f"{API}/positive-practice/?limit=500000&offset=99999999999999999999").status_code == 200
    assert iro.get(f"{API}/children/?search=x&format=json").status_code == 200
    # Detail reads take no query parameters at all.
    response = client_for(org.iro).get(f"{API}/drp/stages/?limit=1")
    assert response.status_code == 400 and "limit" in field_errors(response)


def test_refusals_come_before_parameter_checks(org):
    problem(APIClient().get(f"{API}/drps/?bogus=1"), 401, "not_authenticated")
    problem(client_for(org.iro).get(f"{API}/lado/enquiries/?bogus=1"), 403, "permission_denied")


def test_a_nul_byte_anywhere_is_400_naming_the_field(org):
    iro = client_for(org.iro)
    for query, name in (("search=%00", "search"), ("child=1%00", "child")):
        response = iro.get(f"{API}/children/?{query}" if name == "search" else f"{API}/drps/?{query}")
        problem(response, 400, "invalid")
        assert list(field_errors(response)) == [name]
    response = iro.post(f"{API}/drps/", {"concern": "a\u0000b"}, format="json")
    assert list(field_errors(response)) == ["concern"]


def _api_views(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _api_views(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and (prefix + str(entry.pattern)).startswith("api/"):
            yield prefix + str(entry.pattern), getattr(entry.callback, "cls", None)


def test_every_api_view_checks_its_query_parameters():
    views = dict(_api_views())
    assert len(views) > 20
    unchecked = {path for path, cls in views.items()
                 if cls is not None and not issubclass(cls, ApiContract)
                 and not cls.__module__.startswith("drf_spectacular")}
    assert unchecked == set()


# --- UTC -------------------------------------------------------------------------------------

def test_moments_are_given_in_utc_with_z_and_dates_stay_dates(org):
    created = create_enquiry(org, received_at="2025-04-17T15:20:00+01:00")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["received_at"] == "2025-04-17T14:20:00Z"  # British Summer Time, given in UTC
    assert all(event["at"].endswith("Z") for event in data["timeline"])
    assert (data["received_on"], data["decision_due"]) == ("2025-04-17", "2025-04-22")  # dates
    token = APIClient().post(f"{API}/auth/token/", {"username": "iro", "password": "footprint-test"})
    assert token.json()["expires"].endswith("Z")


# --- versioning ------------------------------------------------------------------------------

def test_the_old_unversioned_paths_redirect_308_keeping_the_method(org):
    iro = client_for(org.iro)
    response = iro.post("/api/drps/?x=1", {"concern": "x"}, format="json")
    assert response.status_code == 308 and response["Location"] == "/api/v1/drps/?x=1"
    assert response["Deprecation"] == "true" and 'rel="successor-version"' in response["Link"]
    assert not DisputeResolution.objects.exists()  # nothing done at the old address
    followed = iro.post("/api/drps/", {"children": [org.child.pk], "case_type": "CLA", "themes": ["placement"],
                                       "concern": "Drift"}, format="json", follow=True)
    assert followed.status_code == 201 and followed.redirect_chain == [("/api/v1/drps/", 308)]
    assert APIClient().get("/api/schema/").status_code == 308
    problem(APIClient().get("/api/v1/v1/drps/"), 404, "not_found")
    document = schema(org)
    assert all(path.startswith("/api/v1/") for path in document["paths"])


# --- rate limits -----------------------------------------------------------------------------

def test_every_answer_says_the_budget_and_429_says_when_to_retry(org, settings):
    from django.core.cache import cache

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "3/minute"}}
    cache.clear()
    iro = client_for(org.iro)
    answers = [iro.get(f"{API}/drps/") for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert answers[0]["RateLimit-Policy"] == '"user";q=3;w=60'
    assert [a["RateLimit"].split(";")[1] for a in answers] == ["r=2", "r=1", "r=0"]
    refused = iro.get(f"{API}/drps/")
    problem(refused, 429, "throttled")
    assert 1 <= int(refused["Retry-After"]) <= 60 and refused["RateLimit"].startswith('"user";r=0;')
    assert client_for(org.chair).get(f"{API}/drps/").status_code == 200  # per person
    cache.clear()


def test_signing_in_is_limited_per_address(org, settings):
    from django.core.cache import cache

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/minute"}}
    cache.clear()
    anonymous = APIClient()
    for _ in range(2):
        assert anonymous.post(f"{API}/auth/token/", {"username": "iro", "password": "footprint-test"}).status_code == 200
    refused = anonymous.post(f"{API}/auth/token/", {"username": "iro", "password": "footprint-test"})
    problem(refused, 429, "throttled")
    assert int(refused["Retry-After"]) >= 1 and refused["RateLimit-Policy"] == '"anon";q=2;w=60'
    cache.clear()


def test_the_sign_in_lockout_says_retry_after_on_the_api_and_the_page(org, settings, client):
    settings.AXES_FAILURE_LIMIT = 2
    anonymous = APIClient()
    assert anonymous.post(f"{API}/auth/token/", {"username": "iro", "password": "wrong"}).status_code == 400
    locked = anonymous.post(f"{API}/auth/token/", {"username": "iro", "password": "wrong"})
    problem(locked, 429, "locked_out")
    assert locked["Retry-After"] == str(15 * 60)
    settings.AXES_FAILURE_LIMIT = 1
    page = client.post("/accounts/login/", {"username": "chair", "password": "wrong"})
    assert page.status_code == 429 and page["Retry-After"] == str(15 * 60)


# --- CORS ------------------------------------------------------------------------------------

def test_no_other_origin_may_call_the_api_from_a_browser_by_default(org):
    response = client_for(org.iro).get(f"{API}/drps/", HTTP_ORIGIN="https://lcs.example.gov.uk")
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response


def test_an_allowed_origin_may_call_the_api_and_read_the_rate_limit(org, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://lcs.example.gov.uk"]
    preflight = APIClient().options(f"{API}/drps/", HTTP_ORIGIN="https://lcs.example.gov.uk",
                                    HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                                    HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type")
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://lcs.example.gov.uk"
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    response = client_for(org.iro).get(f"{API}/drps/", HTTP_ORIGIN="https://lcs.example.gov.uk")
    assert response["Access-Control-Allow-Origin"] == "https://lcs.example.gov.uk"
    assert "ratelimit" in response["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response  # tokens, not cookies
    other = client_for(org.iro).get(f"{API}/drps/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other
    page = client_for(org.iro).get("/drps/", HTTP_ORIGIN="https://lcs.example.gov.uk")
    assert "Access-Control-Allow-Origin" not in page  # pages never
