"""A DO case is not concluded with open actions until the officer says what happens to each:
done, not done, or carrying on after the case closes with an owner (issue 13)."""

import pytest

from lado import services
from lado.models import Action
from tests.support.auth import login
from tests.support.lado_fixtures import client_for, in_progress
from workflows.exceptions import TransitionRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_with_actions(org):
    enquiry = in_progress(org)
    do = org.designated_officer
    police = services.enquiry_add_action(enquiry=enquiry, actor=do, kind="police-investigation",
                                         owner_name="DC Rowe", owner_agency="Police")
    suspension = services.enquiry_add_action(enquiry=enquiry, actor=do, kind="suspension", owner_name="Head")
    services.enquiry_add_action(enquiry=enquiry, actor=do, kind="risk-assessment", owner_name="HR",
                                done_on=enquiry.received_on)
    return enquiry, police, suspension


def test_concluding_with_open_actions_is_refused_naming_them(org, case_with_actions):
    enquiry, police, suspension = case_with_actions
    with pytest.raises(TransitionRefused) as refused:
        services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="unfounded")
    message = refused.value.message
    assert "2 open actions" in message and "Police investigation (owned by DC Rowe, Police)" in message
    assert "Suspension (owned by Head)" in message and "Risk assessment" not in message
    enquiry.refresh_from_db()
    assert enquiry.is_open


def test_each_open_action_is_confirmed_done_not_done_or_carried_on_with_an_owner(org, case_with_actions):
    enquiry, police, suspension = case_with_actions
    with pytest.raises(Exception) as missing_owner:
        services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="unfounded", actions=[
            {"id": police.pk, "decision": "carries-on", "owner": ""}, {"id": suspension.pk, "decision": "done"}])
    assert f"action_{police.pk}_owner" in missing_owner.value.message_dict
    enquiry = services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="unfounded", actions=[
        {"id": police.pk, "decision": "carries-on", "owner": "DS Patel"},
        {"id": suspension.pk, "decision": "not-done"}])
    police.refresh_from_db()
    suspension.refresh_from_db()
    assert (police.at_closure, police.owner_name, police.done_on) == ("carries-on", "DS Patel", None)
    assert (suspension.at_closure, suspension.done_on) == ("not-done", None)
    note = enquiry.timeline.last().note
    assert "Police investigation: carries on after the enquiry closes, owned by DS Patel, Police" in note
    assert "Suspension: not done" in note
    assert not services.open_actions_of(enquiry)


def test_conclude_api_answers_409_naming_open_actions_until_confirmed(org, case_with_actions):
    enquiry, police, suspension = case_with_actions
    api = client_for(org.designated_officer)
    url = f"/api/v1/lado/enquiries/{enquiry.pk}/conclude/"
    refused = api.post(url, {"outcome": "unfounded"}, format="json")
    assert refused.status_code == 409, refused.content
    assert "Police investigation" in refused.json()["detail"] and "Suspension" in refused.json()["detail"]
    done = api.post(url, {"outcome": "unfounded", "actions": [
        {"id": police.pk, "decision": "done"}, {"id": suspension.pk, "decision": "done"}]}, format="json")
    assert done.status_code == 200, done.content
    assert set(Action.objects.filter(enquiry=enquiry).values_list("at_closure", flat=True)) == {"done", ""}


def test_conclude_page_asks_about_each_open_action(client, org, case_with_actions):
    enquiry, police, suspension = case_with_actions
    login(client, org.designated_officer)
    url = f"/lado/{enquiry.pk}/conclude/"
    page = client.get(url).content.decode()
    assert "Open actions" in page and "Police investigation (owned by DC Rowe, Police): what happens to it?" in page
    blank = client.post(url, {"outcome": "unfounded", "concluded_on_0": "", "concluded_on_1": "", "concluded_on_2": ""})
    assert blank.status_code == 400
    assert "Select what happens to Police investigation" in blank.content.decode()
    ok = client.post(url, {"outcome": "unfounded", f"action_{police.pk}": "done",
                           f"action_{suspension.pk}": "carries-on", f"action_{suspension.pk}_owner": "Head teacher"})
    assert ok.status_code == 302, ok.content.decode()[:2000]
    suspension.refresh_from_db()
    assert (suspension.at_closure, suspension.owner_name) == ("carries-on", "Head teacher")
