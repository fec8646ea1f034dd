"""No lost updates through the API: a move may name the stage it expects (``from_stage``), and
every editable record answers with an ETag and honours If-Match (412 when it changed since)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from drp import services
from drp.models import DisputeResolution, Theme
from tests.support.auth import api_token
from tests.support.problems import field_errors
from workflows.concurrency import Expectation, parse_if_match

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def raised(org):
    return services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                              themes=list(Theme.objects.all()[:1]), concern="Plan drifting")


def test_an_escalate_naming_the_stage_it_expects_is_409_once_the_drp_has_moved_on(org):
    drp = raised(org)
    iro = client_for(org.iro)
    first = iro.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x", "from_stage": "informal"}, format="json")
    assert first.status_code == 200, first.json()
    assert first.json()["stage"] == "stage-1"
    again = iro.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x", "from_stage": "informal"}, format="json")
    assert again.status_code == 409
    assert "now at Stage 1" in again.json()["detail"]
    drp.refresh_from_db()
    assert drp.stage.key == "stage-1"


def test_every_drp_move_honours_from_stage(org):
    drp = raised(org)
    services.drp_escalate(drp=drp, actor=org.iro, reason="x")
    iro, manager = client_for(org.iro), client_for(org.team_manager)
    assert manager.post(f"/api/v1/drps/{drp.pk}/respond/", {"response": "Done", "from_stage": "informal"},
                        format="json").status_code == 409
    assert manager.post(f"/api/v1/drps/{drp.pk}/respond/", {"response": "Done", "from_stage": "stage-1"},
                        format="json").status_code == 200
    for move, body in [("withdraw", {"reason": "x"}), ("refer-to-cafcass", {"reason": "x"})]:
        response = iro.post(f"/api/v1/drps/{drp.pk}/{move}/", {**body, "from_stage": "stage-2"}, format="json")
        assert response.status_code == 409, move
    assert iro.post(f"/api/v1/drps/{drp.pk}/withdraw/", {"reason": "x", "from_stage": "stage-1"},
                    format="json").status_code == 200


def test_an_unknown_from_stage_is_400_naming_it(org):
    drp = raised(org)
    response = client_for(org.iro).post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x", "from_stage": "nope"},
                                        format="json")
    assert response.status_code == 400
    assert "from_stage" in field_errors(response)


def test_a_drp_answers_with_its_etag_and_updated_at(org):
    drp = raised(org)
    response = client_for(org.iro).get(f"/api/v1/drps/{drp.pk}/")
    body = response.json()
    assert response["ETag"] == f'"{body["etag"]}"' == f'"disputeresolution-{drp.pk}-1"'
    assert body["updated_at"]
    listed = client_for(org.iro).get("/api/v1/drps/").json()["results"][0]
    assert listed["etag"] == body["etag"] and not client_for(org.iro).get("/api/v1/drps/").has_header("ETag")


def test_a_move_on_an_old_reading_is_412_and_changes_nothing(org):
    """Two people read version 1; the first escalates; the second's change, sent with the ETag it
    read, is refused instead of silently moving the DRP again."""
    drp = raised(org)
    iro, manager = client_for(org.iro), client_for(org.iro_manager)
    etag = iro.get(f"/api/v1/drps/{drp.pk}/")["ETag"]
    first = manager.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    assert first["ETag"] != etag
    second = iro.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "y"}, format="json", HTTP_IF_MATCH=etag)
    assert second.status_code == 412
    drp.refresh_from_db()
    assert (drp.stage.key, drp.version) == ("stage-1", 2)
    assert iro.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "y"}, format="json",
                    HTTP_IF_MATCH=first["ETag"]).status_code == 200


def test_if_match_is_not_required(org):
    drp = raised(org)
    assert client_for(org.iro).post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x"},
                                    format="json").status_code == 200


def test_if_match_star_and_weak_tags_are_understood():
    assert parse_if_match('W/"drp-1-2", "drp-1-3"') == {"drp-1-2", "drp-1-3"}
    assert parse_if_match("*") == {"*"}
    assert Expectation(frozenset({"disputeresolution-4-2"})).names("disputeresolution-4")
    assert not Expectation(frozenset({"disputeresolution-4-2"})).names("disputeresolution-41")


def test_positive_practice_carries_its_etag(org):
    from positive_practice.services import positive_practice_record

    pp = positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                                  what_happened="Visited weekly", impact="Settled")
    response = client_for(org.iro).get(f"/api/v1/positive-practice/{pp.pk}/")
    assert response["ETag"] == f'"positivepractice-{pp.pk}-1"'


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_escalations_on_one_reading_at_once_move_the_drp_once(org):
    """Concurrent writers with the same If-Match: the row lock makes the second see the first's
    version, so exactly one succeeds and the other is 412 (PostgreSQL; SQLite runs one at a time)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    drp = raised(org)
    etag = f'"disputeresolution-{drp.pk}-1"'
    tokens = [api_token(org.iro), api_token(org.iro_manager)]
    codes = []

    def escalate(token):
        client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
        codes.append(client.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x"}, format="json",
                                 HTTP_IF_MATCH=etag).status_code)
        connection.close()

    threads = [threading.Thread(target=escalate, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 412]
    assert DisputeResolution.objects.get(pk=drp.pk).stage.key == "stage-1"


def test_resolve_honours_from_stage(org):
    from tests.support.factories import RESOLUTION_FORM

    drp = raised(org)
    services.drp_respond(drp=drp, actor=org.social_worker, response="Done")
    body = {**RESOLUTION_FORM, "child_informed": True, "advocacy_offered": False}
    iro = client_for(org.iro)
    assert iro.post(f"/api/v1/drps/{drp.pk}/resolve/", {**body, "from_stage": "stage-1"},
                    format="json").status_code == 409
    assert iro.post(f"/api/v1/drps/{drp.pk}/resolve/", {**body, "from_stage": "informal"},
                    format="json").status_code == 200


# --- Designated Officer cases ---------------------------------------------------------------

def do_case(org):
    from tests.lado.test_lado_api import create

    response = create(org)
    assert response.status_code == 201
    return response.json()


def test_two_do_officers_editing_one_case_cannot_lose_an_update(org):
    """The issue's lost update: both read the case; the first PATCH wins, the second (sent with
    the ETag it read) is 412 and changes nothing, instead of silently overwriting."""
    case = do_case(org)
    first_reader, second_reader = client_for(org.designated_officer), client_for(org.do_manager)
    etag = first_reader.get(f"/api/v1/lado/enquiries/{case['id']}/")["ETag"]
    assert etag == f'"enquiry-{case["id"]}-1"' and case["etag"] == etag.strip('"')
    first = first_reader.patch(f"/api/v1/lado/enquiries/{case['id']}/", {"subject_role": "Coach"}, format="json",
                               HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first["ETag"] == f'"enquiry-{case["id"]}-2"'
    second = second_reader.patch(f"/api/v1/lado/enquiries/{case['id']}/", {"subject_role": "Teacher"},
                                 format="json", HTTP_IF_MATCH=etag)
    assert second.status_code == 412
    assert second_reader.get(f"/api/v1/lado/enquiries/{case['id']}/").json()["subject_role"] == "Coach"


def test_a_do_action_patch_honours_the_actions_own_etag(org):
    from tests.lado.test_lado_api import _post

    case = do_case(org)
    _post(org, case["id"], "decide", {"threshold_met": True, "criteria": ["harmed"], "rationale": "Met"})
    added = _post(org, case["id"], "actions", {"kind": "police-investigation", "owner_name": "DC Smith"})
    assert added.status_code == 201, added.content
    action = added.json()["actions"][0]
    url = f"/api/v1/lado/enquiries/{case['id']}/actions/{action['id']}/"
    officer = client_for(org.designated_officer)
    assert officer.patch(url, {"notes": "Called"}, format="json",
                         HTTP_IF_MATCH=f'"{action["etag"]}"').status_code == 200
    assert officer.patch(url, {"notes": "Called again"}, format="json",
                         HTTP_IF_MATCH=f'"{action["etag"]}"').status_code == 412


def test_a_do_move_naming_the_status_it_expects_is_409_once_the_case_has_moved_on(org):
    from tests.lado.test_lado_api import _post

    case = do_case(org)
    decide = {"threshold_met": True, "criteria": ["harmed"], "rationale": "Met"}
    stale = _post(org, case["id"], "decide", {**decide, "from_status": "awaiting_meeting"})
    assert stale.status_code == 409
    assert "not awaiting_meeting" in stale.json()["detail"]
    decided = _post(org, case["id"], "decide", {**decide, "from_status": "awaiting_decision"})
    assert decided.status_code == 200, decided.content
    again = _post(org, case["id"], "cancel", {"reason": "Duplicate", "from_status": "awaiting_decision"})
    assert again.status_code == 409 and "not awaiting_decision" in again.json()["detail"]
    assert _post(org, case["id"], "cancel", {"reason": "Duplicate", "from_status": "bogus"}).status_code == 400


def test_children_carry_their_etag(org):
    response = client_for(org.iro).get(f"/api/v1/children/{org.child.pk}/")
    assert response["ETag"] == f'"child-{org.child.pk}-1"' and response.json()["updated_at"]


@pytest.mark.parametrize("header", ["disputeresolution-1-1", '"unclosed', "", 'W/"a", b'])
def test_a_malformed_if_match_is_400_naming_it_not_ignored(org, header):
    """Ignored, a malformed If-Match would let the change it was sent to protect through unchecked."""
    drp = raised(org)
    response = client_for(org.iro).post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x"}, format="json",
                                        HTTP_IF_MATCH=header)
    assert response.status_code == 400 and "If-Match" in field_errors(response)
    drp.refresh_from_db()
    assert drp.stage.key == "informal"


def test_an_empty_choice_or_number_in_the_query_is_400_naming_it_and_an_empty_search_is_not(org):
    raised(org)
    iro = client_for(org.iro)
    for query, name in [("case_type=", "case_type"), ("child=", "child"), ("overdue=", "overdue"),
                        ("limit=", "limit")]:
        response = iro.get(f"/api/v1/drps/?{query}")
        assert response.status_code == 400 and name in field_errors(response), query
    assert iro.get("/api/v1/drps/?q=").status_code == 200
    manager = client_for(org.iro_manager)
    assert manager.get("/api/v1/reports/drp-indicators/?year=").status_code == 400
    assert manager.get("/api/v1/reports/monthly/?month=").status_code == 200  # free text: the default month
