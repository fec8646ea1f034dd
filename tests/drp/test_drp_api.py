"""The DRP and children API contract: shapes, status codes, token auth, constant queries."""

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from drp import services
from drp.models import DisputeResolution, Stage, Theme
from tests.support.auth import api_token
from tests.support.factories import cp_child
from tests.support.problems import field_errors
from workflows.clocks import today

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def raise_via_api(org, **overrides):
    body = {"children": [org.child.pk, org.sibling.pk], "case_type": "CLA",
            "themes": ["drift-and-delay", "placement"], "concern": "Plan drifting"}
    body.update(overrides)
    return client_for(org.iro).post("/api/v1/drps/", body, format="json")


def test_token_is_issued_for_username_and_password(org):
    response = APIClient().post("/api/v1/auth/token/", {"username": "iro", "password": "footprint-test"},
                                format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    listed = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/drps/")
    assert listed.status_code == 200


def test_wrong_password_gets_no_token(org):
    response = APIClient().post("/api/v1/auth/token/", {"username": "iro", "password": "nope"}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("url", ["/api/v1/drps/", "/api/v1/children/", "/api/v1/drp/stages/", "/api/v1/drp/themes/",
                                 "/api/v1/schema/"])
def test_every_api_call_requires_sign_in(org, url):
    assert APIClient().get(url).status_code in (401, 403)


def test_stages_list_the_default_ladder(org):
    stages = client_for(org.iro).get("/api/v1/drp/stages/").json()
    assert [s["key"] for s in stages] == ["informal", "stage-1", "stage-2", "stage-3", "stage-4", "stage-5"]
    assert stages[0] == {"key": "informal", "name": "Informal",
                         "addressed_to": ["social-worker", "team-manager"], "working_days": 10}
    assert {s["working_days"] for s in stages[1:]} == {5}
    assert stages[2]["addressed_to"] == ["service-manager"]


def test_themes_have_slug_and_name(org):
    themes = client_for(org.iro).get("/api/v1/drp/themes/").json()
    assert {"slug": "drift-and-delay", "name": "Drift and delay"} in themes


def test_raise_returns_201_with_the_documented_shape(org):
    response = raise_via_api(org)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "reference", "case_type", "children", "themes", "stage", "status", "iro",
                         "raised_on", "stage_started_on", "stage_due_date", "overall_due_date",
                         "review_due_date", "closed_on", "closed_at_stage", "referred_to_cafcass",
                         "addressee_contact", "outcome", "impact", "impact_codes", "child_informed",
                         "advocacy_offered", "agreed_actions", "timeline",
                         "iro", "warnings", "updated_at", "etag"}
    assert body["iro"] == "iro" and body["warnings"] == []
    assert body["children"] == [org.child.pk, org.sibling.pk]
    assert sorted(body["themes"]) == ["drift-and-delay", "placement"]
    assert (body["stage"], body["status"]) == ("informal", "awaiting_response")
    assert body["raised_on"] == today().isoformat()
    assert body["overall_due_date"] is None
    assert body["timeline"][0]["actor"] == "iro"
    assert set(body["timeline"][0]) == {"at", "actor", "action", "from_stage", "to_stage", "note",
                                        "on_behalf_of"}


def test_raise_at_a_stage_on_a_past_date(org):
    body = raise_via_api(org, stage="stage-2", raised_on="2026-04-01").json()
    # Stage 2's 5 working days skip Good Friday and Easter Monday; the overall limit is 20.
    assert (body["stage"], body["raised_on"], body["stage_due_date"], body["overall_due_date"]) == (
        "stage-2", "2026-04-01", "2026-04-10", "2026-05-01")


@pytest.mark.parametrize("field,value", [
    ("children", []), ("children", [999999]), ("case_type", "XX"), ("themes", ["no-such-theme"]),
    ("themes", []), ("concern", ""), ("stage", "stage-9"), ("raised_on", "not-a-date"),
])
def test_bad_input_is_400_naming_the_field(org, field, value):
    response = raise_via_api(org, **{field: value})
    assert response.status_code == 400
    assert field in field_errors(response)
    assert not DisputeResolution.objects.exists()


def test_future_raised_on_is_refused(org):
    response = raise_via_api(org, raised_on=(today() + timedelta(days=1)).isoformat())
    assert response.status_code == 400 and "raised_on" in field_errors(response)


def test_social_worker_cannot_raise(org):
    response = client_for(org.social_worker).post(
        "/api/v1/drps/", {"children": [org.child.pk], "case_type": "CLA", "themes": ["placement"],
                       "concern": "x"}, format="json")
    assert response.status_code == 403


def test_transitions_through_the_api(org):
    drp_id = raise_via_api(org).json()["id"]
    sw, iro, tm = client_for(org.social_worker), client_for(org.iro), client_for(org.team_manager)
    assert sw.post(f"/api/v1/drps/{drp_id}/respond/", {"response": "Booked"}, format="json").status_code == 200
    body = iro.post(f"/api/v1/drps/{drp_id}/escalate/", {"reason": "Not done"}, format="json").json()
    assert (body["stage"], body["status"]) == ("stage-1", "awaiting_response")
    assert tm.post(f"/api/v1/drps/{drp_id}/respond/", {"response": "Doing it"}, format="json").status_code == 200
    body = iro.post(f"/api/v1/drps/{drp_id}/resolve/", {
        "outcome": "Done", "impact": "Seen weekly", "impact_codes": ["plan-changed", "service-provided"],
        "child_informed": True, "advocacy_offered": False}, format="json").json()
    assert (body["impact"], body["impact_codes"], body["child_informed"], body["advocacy_offered"]) == (
        "Seen weekly", ["plan-changed", "service-provided"], True, False)
    assert (body["status"], body["closed_at_stage"], body["closed_on"]) == ("resolved", "stage-1", today().isoformat())
    assert [e["action"] for e in body["timeline"]] == ["raised", "responded", "escalated", "responded", "resolved"]
    assert [e["actor"] for e in body["timeline"]] == ["iro", "social-worker", "iro", "team-manager", "iro"]


def test_escalate_to_a_named_stage_and_refusals_are_409(org):
    drp_id = raise_via_api(org).json()["id"]
    iro = client_for(org.iro)
    body = iro.post(f"/api/v1/drps/{drp_id}/escalate/", {"reason": "Urgent", "stage": "stage-5"}, format="json").json()
    assert body["stage"] == "stage-5"
    response = iro.post(f"/api/v1/drps/{drp_id}/escalate/", {"reason": "More"}, format="json")
    assert response.status_code == 409
    assert "last stage" in response.json()["detail"]
    response = iro.post(f"/api/v1/drps/{drp_id}/escalate/", {"reason": "x", "stage": "stage-1"}, format="json")
    assert response.status_code == 409


def test_moves_not_allowed_from_the_current_status_are_409(org):
    drp_id = raise_via_api(org).json()["id"]
    iro = client_for(org.iro)
    assert iro.post(f"/api/v1/drps/{drp_id}/withdraw/", {"reason": "x"}, format="json").status_code == 200
    for action, body in [("escalate", {"reason": "x"}), ("resolve", {"outcome": "x"}),
                         ("withdraw", {"reason": "x"}), ("refer-to-cafcass", {"reason": "x"})]:
        response = iro.post(f"/api/v1/drps/{drp_id}/{action}/", body, format="json")
        assert response.status_code == 409, action
        assert "withdrawn" in response.json()["detail"]
    response = client_for(org.social_worker).post(f"/api/v1/drps/{drp_id}/respond/", {"response": "x"}, format="json")
    assert response.status_code == 409


def test_cafcass_referral_only_for_looked_after_children(org):
    cla = raise_via_api(org).json()["id"]
    cp = raise_via_api(org, case_type="CP", children=[cp_child(org).pk]).json()["id"]
    iro = client_for(org.iro)
    body = iro.post(f"/api/v1/drps/{cla}/refer-to-cafcass/", {"reason": "Drift"}, format="json").json()
    assert body["referred_to_cafcass"] is True and body["status"] == "awaiting_response"
    assert iro.post(f"/api/v1/drps/{cp}/refer-to-cafcass/", {"reason": "Drift"}, format="json").status_code == 409


def test_wrong_person_gets_403_and_missing_field_400(org):
    drp_id = raise_via_api(org, stage="stage-2").json()["id"]
    assert client_for(org.team_manager).post(
        f"/api/v1/drps/{drp_id}/respond/", {"response": "x"}, format="json").status_code == 403
    assert client_for(org.social_worker).post(
        f"/api/v1/drps/{drp_id}/escalate/", {"reason": "x"}, format="json").status_code == 403
    response = client_for(org.service_manager).post(f"/api/v1/drps/{drp_id}/respond/", {}, format="json")
    assert response.status_code == 400 and "response" in field_errors(response)
    response = client_for(org.iro).post(f"/api/v1/drps/{drp_id}/resolve/", {"impact": "x"}, format="json")
    assert response.status_code == 400
    assert {"outcome", "impact_codes", "child_informed", "advocacy_offered"} <= set(field_errors(response))


def test_drps_outside_a_social_workers_teams_are_invisible(org):
    drp_id = raise_via_api(org).json()["id"]
    other = client_for(org.other_social_worker)
    assert other.get(f"/api/v1/drps/{drp_id}/").status_code == 404
    assert other.get("/api/v1/drps/").json()["count"] == 0
    assert client_for(org.social_worker).get("/api/v1/drps/").json()["count"] == 1
    assert client_for(org.designated_officer).get("/api/v1/drps/").json()["count"] == 0
    assert client_for(org.complaints).get(f"/api/v1/drps/{drp_id}/").status_code == 404


def test_list_filters(org):
    raise_via_api(org)
    raise_via_api(org, case_type="CP", themes=["health"], stage="stage-3", children=[cp_child(org).pk])
    iro = client_for(org.iro)
    assert iro.get("/api/v1/drps/?case_type=CP").json()["count"] == 1
    assert iro.get("/api/v1/drps/?stage=stage-3").json()["count"] == 1
    assert iro.get("/api/v1/drps/?theme=placement").json()["count"] == 1
    assert iro.get("/api/v1/drps/?status=awaiting_response").json()["count"] == 2
    assert iro.get(f"/api/v1/drps/?child={org.sibling.pk}").json()["count"] == 1
    assert iro.get("/api/v1/drps/?stage=nope").status_code == 400


def test_children_api_lists_searches_and_creates(org):
    iro = client_for(org.iro)
    items = iro.get("/api/v1/children/?search=amy").json()["results"]
    assert items == [{"id": org.child.pk, "reference": "C000001", "name": "Amy Example",
                      "date_of_birth": "2015-06-01", "case_type": "CLA", "social_worker": "social-worker",
                      "team": "North Team 1", "updated_at": items[0]["updated_at"],
                      "etag": f"child-{org.child.pk}-1"}]
    assert iro.get("/api/v1/children/?search=C000002").json()["results"][0]["name"] == "Ben Example"
    response = iro.post("/api/v1/children/", {"reference": "C777", "name": "New Child", "case_type": "CP",
                                           "team": "North Team 1"}, format="json")
    assert response.status_code == 201, response.content
    assert iro.post("/api/v1/children/", {"reference": "C777", "name": "Dup", "case_type": "CP"},
                    format="json").status_code == 400
    assert client_for(org.social_worker).post(
        "/api/v1/children/", {"reference": "C778", "name": "x", "case_type": "CP"}, format="json").status_code == 403
    assert client_for(org.other_social_worker).get("/api/v1/children/").json()["count"] == 1


def test_openapi_schema_documents_the_drp_endpoints(org):
    response = client_for(org.iro).get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/drps/", "/api/v1/drps/{id}/", "/api/v1/drps/{id}/escalate/", "/api/v1/drps/{id}/refer-to-cafcass/",
                 "/api/v1/drp/stages/", "/api/v1/drp/themes/", "/api/v1/children/", "/api/v1/auth/token/"]:
        assert path in paths, path


def _bulk_drps(org, n):
    themes = list(Theme.objects.all()[:3])
    informal = Stage.objects.get(key="informal")
    for i in range(n):
        drp = DisputeResolution.objects.create(
            reference=f"BULK-{i}", case_type="CLA", concern="x", team=org.team, raised_by=org.iro,
            raised_on=date(2026, 1, 5), stage=informal, stage_started_on=date(2026, 1, 5),
            stage_due_date=date(2026, 2, 2), addressee=org.social_worker)
        drp.children.set([org.child, org.sibling])
        drp.themes.set(themes)


@pytest.mark.parametrize("n", [10, 1000])
def test_list_api_uses_a_constant_number_of_queries(org, n, django_assert_max_num_queries):
    _bulk_drps(org, n)
    client = client_for(org.iro)
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/drps/?limit=50")
    assert response.status_code == 200 and response.json()["count"] == n
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/drps/?limit=50&q=ben&iro=iro&team=north-1&raised_from=2026-01-01&overdue=true")
    assert response.status_code == 200 and response.json()["count"] == n
    social_worker = client_for(org.social_worker)
    with django_assert_max_num_queries(12):
        assert social_worker.get("/api/v1/drps/").json()["count"] == n


@pytest.mark.parametrize("n", [10, 1000])
def test_detail_api_uses_a_constant_number_of_queries(org, n, django_assert_max_num_queries):
    _bulk_drps(org, n)
    drp = services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                             themes=list(Theme.objects.all()[:2]), concern="x")
    for _ in range(3):
        drp = services.drp_escalate(drp=drp, actor=org.iro, reason="again")
    client = client_for(org.iro)
    with django_assert_max_num_queries(14):
        assert client.get(f"/api/v1/drps/{drp.pk}/").status_code == 200


def test_api_docs_page_is_served_without_a_cdn(client, org):
    client.force_login(org.iro)
    page = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in page and "cdn.jsdelivr" not in page and "/static/drf_spectacular_sidecar/" in page


def test_a_move_is_refused_for_status_or_role_before_its_input_is_read(org):
    """409 (status) then 403 (role) come before 400 (input), as in the services."""
    from rest_framework.test import APIClient

    from drp import services
    from drp.models import Theme

    drp = services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                             concern="Drift in the plan.", themes=[Theme.objects.first()])

    def post(user, move, body):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
        return client.post(f"/api/v1/drps/{drp.pk}/{move}/", body, format="json")

    # The social worker may not escalate: 403 even with an empty body.
    assert post(org.social_worker, "escalate", {}).status_code == 403
    # The IRO may not respond to their own challenge.
    assert post(org.iro, "respond", {}).status_code == 403
    # The addressee may respond: now the input counts.
    response = post(org.social_worker, "respond", {})
    assert response.status_code == 400 and "response" in field_errors(response)
    assert post(org.iro, "withdraw", {"reason": "Sorted at the review."}).status_code == 200
    # Withdrawn: every move is a 409, whoever asks and whatever the body.
    assert post(org.iro, "escalate", {}).status_code == 409
    assert post(org.social_worker, "respond", {}).status_code == 409
