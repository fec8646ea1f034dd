"""Events out: the append-only events log, written with each case event, and the changes feed
``GET /api/events/?after=<cursor>`` (keyset, visibility by the reader, DO reads logged)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from drp import services
from drp.models import Theme
from integrations.models import Event
from lado import services as do_services
from positive_practice.services import positive_practice_record
from tests.support.auth import api_token
from tests.support.problems import field_errors
from workflows.models import CaseRead

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def raise_drp(org, child=None):
    return services.drp_raise(actor=org.iro, children=[child or org.child], case_type="CLA",
                              themes=list(Theme.objects.all()[:1]), concern="Plan drifting")


def test_each_drp_move_appends_one_event_in_its_transaction(org):
    drp = raise_drp(org)
    services.drp_escalate(drp=drp, actor=org.iro, reason="No plan")
    services.drp_respond(drp=drp, actor=org.team_manager, response="Plan by Friday")
    services.drp_withdraw(drp=drp, actor=org.iro, reason="Resolved elsewhere")
    events = list(Event.objects.order_by("position"))
    assert [e.type for e in events] == ["drp.raised", "drp.escalated", "drp.responded", "drp.withdrawn"]
    assert [e.position for e in events] == sorted(e.position for e in events)
    escalated = events[1].data
    assert escalated | {"drp": drp.pk} == escalated
    assert (escalated["from_stage"], escalated["to_stage"], escalated["children"], escalated["actor"]) == (
        "informal", "stage-1", ["C000001"], "iro")
    assert "Amy" not in str([e.data for e in events])  # references, never names


def test_a_refused_move_leaves_no_event(org):
    drp = raise_drp(org)
    services.drp_withdraw(drp=drp, actor=org.iro, reason="x")
    with pytest.raises(Exception):
        services.drp_escalate(drp=drp, actor=org.iro, reason="x")
    assert Event.objects.filter(type="drp.escalated").count() == 0


def test_events_are_append_only(org):
    raise_drp(org)
    event = Event.objects.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()


def test_the_feed_reads_on_from_a_cursor(org):
    drp = raise_drp(org)
    services.drp_escalate(drp=drp, actor=org.iro, reason="x")
    iro = client_for(org.iro)
    first = iro.get("/api/v1/events/?limit=1").json()
    assert [e["type"] for e in first["results"]] == ["drp.raised"] and first["has_more"]
    rest = iro.get(f"/api/v1/events/?after={first['next']}").json()
    assert [e["type"] for e in rest["results"]] == ["drp.escalated"] and not rest["has_more"]
    assert rest["results"][0]["at"].endswith("Z")
    empty = iro.get(f"/api/v1/events/?after={rest['next']}").json()
    assert empty == {"results": [], "next": rest["next"], "has_more": False}
    services.drp_respond(drp=drp, actor=org.team_manager, response="Done")
    later = iro.get(f"/api/v1/events/?after={rest['next']}").json()
    assert [e["type"] for e in later["results"]] == ["drp.responded"]


def test_readers_see_only_events_of_cases_they_may_read(org):
    raise_drp(org)
    raise_drp(org, child=org.other_child)
    do_services.enquiry_log(actor=org.designated_officer, summary="Concern about a coach")
    positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                             what_happened="Weekly visits", impact="Settled")

    def types(user):
        return [(e["type"], e["data"].get("children")) for e in client_for(user).get("/api/v1/events/").json()["results"]]

    assert [t for t, _ in types(org.iro)] == ["drp.raised", "drp.raised", "positive_practice.recorded"]
    # A social worker in South Team 1 sees the DRP about their child only.
    assert types(org.other_social_worker) == [("drp.raised", ["C000099"])]
    assert [t for t, _ in types(org.designated_officer)] == ["do.logged"]
    # The complaints team reads positive practice (they are told of it), never DRPs.
    assert types(org.complaints) == [("positive_practice.recorded", ["C000001"])]


def test_reading_do_events_is_in_the_access_log(org):
    case = do_services.enquiry_log(actor=org.designated_officer, summary="Concern about a coach")
    client_for(org.do_manager).get("/api/v1/events/")
    assert CaseRead.objects.filter(user=org.do_manager, case_kind="lado.enquiry", case_id=case.pk,
                                   view="api:events").count() == 1
    client_for(org.iro).get("/api/v1/events/")
    assert not CaseRead.objects.filter(user=org.iro).exists()


@pytest.mark.parametrize("query,field", [("after=abc", "after"), ("after=-1", "after"), ("limit=0", "limit"),
                                         ("limit=501", "limit"), ("since=3", "since")])
def test_a_bad_parameter_is_400_naming_it(org, query, field):
    response = client_for(org.iro).get(f"/api/v1/events/?{query}")
    assert response.status_code == 400
    assert field in field_errors(response)


def test_the_feed_takes_the_same_queries_however_many_events(org):
    client = client_for(org.designated_officer)
    do_services.enquiry_log(actor=org.designated_officer, summary="One")
    client.get("/api/v1/events/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/events/")
    for n in range(8):
        do_services.enquiry_log(actor=org.designated_officer, summary=f"More {n}")
        raise_drp(org)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/events/").json()
    assert len(body["results"]) == 9
    assert len(many) == len(few)
