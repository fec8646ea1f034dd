"""One way to move a case (``workflows.transitions``): every move, DRP and DO alike, page and
API alike, checks the case's status (409), then the person (403), then the move's conditions
(409), and only then reads the input (400 naming the field)."""

import json

import pytest

from drp import services as drp_services
from drp.models import Theme
from tests.support.auth import login
from tests.support.lado_fixtures import client_for, concluded, log
from workflows.transitions import gate

pytestmark = pytest.mark.django_db


def withdrawn_drp(org):
    drp = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                 themes=[Theme.objects.get(slug="placement")], concern="Placement at risk")
    return drp_services.drp_withdraw(drp=drp, actor=org.iro, reason="Sorted at the review.")


def test_empty_resolve_of_a_closed_drp_is_409_in_the_api_and_on_the_page(org, client):
    drp = withdrawn_drp(org)
    response = client_for(org.iro).post(f"/api/v1/drps/{drp.pk}/resolve/", {}, format="json")
    assert response.status_code == 409, response.content
    assert "is withdrawn, so it cannot be resolved" in response.json()["detail"]
    page = login(client, org.iro).post(f"/drps/{drp.pk}/resolve/", {})
    assert page.status_code == 409
    assert "is withdrawn, so it cannot be resolved" in page.content.decode()


def test_empty_conclude_of_a_concluded_do_case_is_409_in_the_api_and_on_the_page(org, client):
    enquiry = concluded(org)
    response = client_for(org.designated_officer).post(f"/api/v1/lado/enquiries/{enquiry.pk}/conclude/", {},
                                                       format="json")
    assert response.status_code == 409, response.content
    assert "is concluded, so it cannot be concluded" in response.json()["detail"]
    page = login(client, org.designated_officer).post(f"/lado/{enquiry.pk}/conclude/", {})
    assert page.status_code == 409
    assert "is concluded, so it cannot be concluded" in page.content.decode()


def test_status_is_refused_before_the_person(org):
    """A social worker asking to resolve a withdrawn DRP hears of its status (409), not of their role."""
    drp = withdrawn_drp(org)
    response = client_for(org.social_worker).post(f"/api/v1/drps/{drp.pk}/resolve/", {}, format="json")
    assert response.status_code == 409


def test_the_person_is_refused_before_the_input(org):
    enquiry = concluded(org)
    response = client_for(org.designated_officer).post(f"/api/v1/lado/enquiries/{enquiry.pk}/destroy/", {},
                                                       format="json")
    assert response.status_code == 403  # the DO Manager's move, whatever the body


def test_conditions_are_refused_before_the_input(org):
    """Escalating from the last stage is refused for the missing stage (409), before the empty
    body could be (400)."""
    drp = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                 themes=[Theme.objects.get(slug="placement")], concern="Placement at risk")
    iro = client_for(org.iro)
    assert iro.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "Urgent", "stage": "stage-5"},
                    format="json").status_code == 200
    response = iro.post(f"/api/v1/drps/{drp.pk}/escalate/", {}, format="json")
    assert response.status_code == 409
    assert "last stage" in response.json()["detail"]


def test_input_is_read_last_and_names_the_field(org):
    enquiry = log(org)
    response = client_for(org.designated_officer).post(f"/api/v1/lado/enquiries/{enquiry.pk}/cancel/", {},
                                                       format="json")
    assert response.status_code == 400
    assert "reason" in json.dumps(response.json())


def test_each_flow_words_its_own_refusals(org):
    from django.core.exceptions import PermissionDenied

    from drp.flows import DisputeResolutionFlow
    from lado.flows import EnquiryFlow
    from workflows.exceptions import TransitionRefused

    drp = withdrawn_drp(org)
    with pytest.raises(TransitionRefused, match="so it cannot be escalated"):
        gate(DisputeResolutionFlow(drp), "escalate", org.iro)
    enquiry = concluded(org)
    with pytest.raises(TransitionRefused, match="so no meeting can be recorded for it"):
        gate(EnquiryFlow(enquiry), "hold_meeting", org.designated_officer)
    with pytest.raises(PermissionDenied, match="Only the DO Manager"):
        gate(EnquiryFlow(enquiry), "extend_retention", org.designated_officer)


def test_recording_a_delay_refuses_status_then_person_then_condition_then_input(org, client):
    """The reason for delay (issue 16): a closed case 409; an IRO Manager 403; a case within
    its first target 409 (the condition), before its empty body could be 400; then 400 naming
    the field, page and API alike."""
    from workflows.clocks import as_of

    closed = concluded(org)
    open_case = log(org)
    officer = client_for(org.designated_officer)
    assert officer.post(f"/api/v1/lado/enquiries/{closed.pk}/delay/", {}, format="json").status_code == 409
    assert client_for(org.iro_manager).post(f"/api/v1/lado/enquiries/{open_case.pk}/delay/", {},
                                            format="json").status_code == 403
    within = officer.post(f"/api/v1/lado/enquiries/{open_case.pk}/delay/", {}, format="json")
    assert within.status_code == 409 and "within its first target" in within.json()["detail"]
    with as_of(open_case.target_1_due.replace(year=open_case.target_1_due.year + 1)):
        response = officer.post(f"/api/v1/lado/enquiries/{open_case.pk}/delay/", {}, format="json")
        assert response.status_code == 400 and "delay_reason" in json.dumps(response.json())
        page = login(client, org.designated_officer).post(f"/lado/{open_case.pk}/delay/", {})
        assert page.status_code == 400 and "Choose the reason for the delay" in page.content.decode()
