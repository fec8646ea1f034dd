"""Acting on a DRP beyond the ladder: reassigning it to another IRO, cover for an absent
responder, and reopening a closed DRP (issue 13, "Act")."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from drp import cover, holding, services
from drp.models import DisputeResolution, Stage, Theme, TimelineEvent
from drp.selectors import awaiting_response_from, drps_visible_to
from notifications.models import Notification
from people import roles
from tests.drp.test_drp_api import client_for
from tests.support.auth import login
from tests.support.factories import RESOLUTION_FORM, UserFactory, resolution
from tests.support.problems import field_errors
from workflows.clocks import as_of
from workflows.exceptions import TransitionRefused
from workflows.reminders import DUE_SOON, run_sweep

Status = DisputeResolution.Status
pytestmark = pytest.mark.django_db


def raise_drp(org, day=date(2026, 11, 2), stage="stage-1", actor=None):
    with as_of(day):
        return services.drp_raise(actor=actor or org.iro, children=[org.child], case_type="CLA",
                                  themes=[Theme.objects.get(slug="placement")], concern="Plan drifting",
                                  stage=Stage.objects.get(key=stage))


def told(kind):
    return {n.recipient.username for n in Notification.objects.filter(kind=kind).select_related("recipient")}


# --- Reassign -------------------------------------------------------------------------------

def test_iro_manager_reassigns_a_drp_and_the_new_iro_is_told_and_reviews_it(org):
    drp = raise_drp(org)
    with as_of(date(2026, 11, 3)):
        holding.drp_reassign(drp=drp, actor=org.iro_manager, iro=org.chair, reason="Iro on long leave")
    drp.refresh_from_db()
    assert (drp.iro, drp.raised_by) == (org.chair, org.iro)
    event = drp.timeline.get(action=TimelineEvent.Action.REASSIGNED)
    assert event.actor == org.iro_manager and "Iro on long leave" in event.note
    assert told("drp-reassigned") == {"chair", "iro"}
    # The new IRO is told of the response and reminded to review it; the old one is not.
    with as_of(date(2026, 11, 4)):
        services.drp_respond(drp=drp, actor=org.team_manager, response="Placement review booked")
    assert told("drp-responded") == {"chair"}
    Notification.objects.all().delete()
    sweep = {(r.kind, r.phase): set(r.recipients) for r in run_sweep(date(2026, 11, 9), kinds=["drp-review"])}
    assert sweep == {("drp-review", DUE_SOON): {"chair"}}


def test_only_the_iro_manager_reassigns_and_only_to_an_iro_and_only_while_open(org):
    drp = raise_drp(org)
    with pytest.raises(PermissionDenied):
        holding.drp_reassign(drp=drp, actor=org.iro, iro=org.chair, reason="Swap")
    with pytest.raises(ValidationError) as refused:
        holding.drp_reassign(drp=drp, actor=org.iro_manager, iro=org.team_manager, reason="")
    assert set(refused.value.message_dict) == {"iro", "reason"}
    with pytest.raises(ValidationError) as same:
        holding.drp_reassign(drp=drp, actor=org.iro_manager, iro=org.iro, reason="Swap")
    assert "already holds" in same.value.message_dict["iro"][0]
    services.drp_withdraw(drp=drp, actor=org.iro, reason="Sorted informally")
    with pytest.raises(TransitionRefused):
        holding.drp_reassign(drp=drp, actor=org.iro_manager, iro=org.chair, reason="Swap")


def test_reassigned_drp_moves_to_the_new_iros_list(client, org):
    drp = raise_drp(org)
    login(client, org.iro_manager)
    response = client.post(f"/drps/{drp.pk}/reassign/", {"iro": "chair", "reason": "Caseload balance"})
    assert response.status_code == 302
    login(client, org.chair)
    assert drp.reference in client.get("/drps/").content.decode()
    page = client.get(f"/drps/{drp.pk}/").content.decode()
    assert "IRO now" in page and "Reassigned" in page
    login(client, org.iro)
    assert drp.reference not in client.get("/drps/").content.decode()


def test_reassign_api_refuses_in_order_state_permission_input(org):
    drp = raise_drp(org)
    url = f"/api/v1/drps/{drp.pk}/reassign/"
    assert client_for(org.iro).post(url, {"iro": "chair", "reason": "x"}, format="json").status_code == 403
    bad = client_for(org.iro_manager).post(url, {"iro": "nobody", "reason": "x"}, format="json")
    assert bad.status_code == 400 and "iro" in field_errors(bad)
    ok = client_for(org.iro_manager).post(url, {"iro": "chair", "reason": "Leave"}, format="json")
    assert ok.status_code == 200 and ok.json()["iro"] == "chair"
    services.drp_withdraw(drp=drp, actor=org.iro_manager, reason="Done")
    assert client_for(org.iro_manager).post(url, {"iro": "iro", "reason": "x"}, format="json").status_code == 409


# --- Cover ----------------------------------------------------------------------------------

@pytest.fixture
def colleague(org):
    """A team manager in another team, who cannot see North Team 1's DRPs by right."""
    return UserFactory(username="cover-manager", first_name="Casey", last_name="Cover",
                       roles=[roles.TEAM_MANAGER], team=org.other_team)


def test_covering_colleague_sees_and_answers_the_absent_managers_drps_as_x_for_y(client, org, colleague):
    drp = raise_drp(org)
    with as_of(date(2026, 11, 2)):
        assert drp not in drps_visible_to(colleague)
        cover.cover_set_up(actor=org.team_manager, absent=org.team_manager, colleague=colleague,
                              starts_on=date(2026, 11, 3), ends_on=date(2026, 11, 6))
        # Not yet: the cover starts tomorrow.
        assert drp not in awaiting_response_from(colleague)
    assert told("drp-cover") == {"cover-manager", "team-manager"}
    with as_of(date(2026, 11, 4)):
        assert list(awaiting_response_from(colleague)) == [drp]
        login(client, colleague)
        response = client.post(f"/drps/{drp.pk}/respond/", {"response": "Placement review booked"})
        assert response.status_code == 302
        event = drp.timeline.get(action=TimelineEvent.Action.RESPONDED)
        assert (event.actor, event.on_behalf_of) == (colleague, org.team_manager)
        page = client.get(f"/drps/{drp.pk}/").content.decode()
        assert f"by {colleague} for {org.team_manager}" in page
    # After the cover ends the colleague no longer sees the DRP.
    with as_of(date(2026, 11, 9)):
        assert drp not in drps_visible_to(colleague)


def test_stage_reminders_go_to_the_absent_addressee_and_their_cover(org, colleague):
    Stage.objects.update(working_days=20)
    drp = raise_drp(org)
    assert drp.stage_due_date == date(2026, 11, 30)
    with as_of(date(2026, 11, 20)):
        cover.cover_set_up(actor=org.team_manager, absent=org.team_manager, colleague=colleague,
                              starts_on=date(2026, 11, 20), ends_on=date(2026, 12, 4))
    sweep = {(r.kind, r.phase): set(r.recipients) for r in run_sweep(date(2026, 11, 23), kinds=["drp-stage"])}
    assert sweep == {("drp-stage", DUE_SOON): {"team-manager", "cover-manager"}}


def test_cover_is_arranged_by_the_person_away_or_their_line_manager_with_sensible_dates(org, colleague):
    with as_of(date(2026, 11, 2)):
        with pytest.raises(PermissionDenied):
            cover.cover_set_up(actor=org.social_worker, absent=org.team_manager, colleague=colleague,
                                  starts_on=date(2026, 11, 3), ends_on=date(2026, 11, 6))
        # The team manager's line manager (the service manager) may arrange it for them.
        made = cover.cover_set_up(actor=org.service_manager, absent=org.team_manager, colleague=colleague,
                                     starts_on=date(2026, 11, 2), ends_on=date(2026, 11, 2))
        assert made.set_up_by == org.service_manager
        with pytest.raises(ValidationError) as refused:
            cover.cover_set_up(actor=org.team_manager, absent=org.team_manager, colleague=org.iro,
                                  starts_on=date(2026, 11, 1), ends_on=date(2026, 10, 1))
        assert set(refused.value.message_dict) == {"colleague", "starts_on", "ends_on"}


def test_cover_page_and_api(client, org, colleague):
    login(client, org.team_manager)
    assert client.get("/drps/cover/").status_code == 200
    bad = client.post("/drps/cover/", {"colleague": "cover-manager", "starts_on_0": "3", "starts_on_1": "11",
                                       "starts_on_2": "2099", "ends_on_0": "1", "ends_on_1": "11",
                                       "ends_on_2": "2099"})
    assert bad.status_code == 400 and "The date the cover ends must be the same as or after" in bad.content.decode()
    good = client.post("/drps/cover/", {"colleague": "cover-manager", "starts_on_0": "3", "starts_on_1": "11",
                                        "starts_on_2": "2099", "ends_on_0": "6", "ends_on_1": "11",
                                        "ends_on_2": "2099"}, follow=True)
    assert "Casey Cover will cover your DRPs" in good.content.decode()
    login(client, org.iro)
    assert client.get("/drps/cover/").status_code == 403
    api = client_for(org.service_manager).post(
        "/api/v1/drp/covers/", {"absent": "team-manager", "colleague": "cover-manager",
                             "starts_on": "2099-12-01", "ends_on": "2099-12-05"}, format="json")
    assert api.status_code == 201 and api.json()["colleague"] == "cover-manager"
    assert client_for(org.iro).post("/api/v1/drp/covers/", {}, format="json").status_code == 403
    missing = client_for(org.team_manager).post("/api/v1/drp/covers/", {"colleague": "x"}, format="json")
    assert missing.status_code == 400 and {"colleague", "starts_on", "ends_on"} <= set(field_errors(missing))
    listed = client_for(org.team_manager).get("/api/v1/drp/covers/").json()
    assert [c["colleague"] for c in listed] == ["cover-manager", "cover-manager"]


# --- Reopen ---------------------------------------------------------------------------------

def test_iro_reopens_a_resolved_drp_at_the_stage_it_closed_with_fresh_clocks(org):
    drp = raise_drp(org, stage="stage-2")
    with as_of(date(2026, 11, 5)):
        services.drp_resolve(drp=drp, actor=org.iro, **resolution())
    # Reopened Monday 7 December 2026: the actions agreed did not happen.
    with as_of(date(2026, 12, 7)):
        drp = holding.drp_reopen(drp=drp, actor=org.iro, reason="Agreed actions not done")
    drp.refresh_from_db()
    assert (drp.status, drp.stage.key, drp.closed_on, drp.closed_at_stage) == (
        Status.AWAITING_RESPONSE, "stage-2", None, None)
    assert drp.addressee == org.service_manager
    assert drp.stage_started_on == date(2026, 12, 7)
    assert drp.stage_due_date == date(2026, 12, 14)  # 5 working days
    # The overall 20 count again from the reopening, over Christmas and New Year.
    assert drp.overall_due_date == date(2027, 1, 7)
    assert drp.outcome == "" and not drp.impact_codes.exists()
    event = drp.timeline.get(action=TimelineEvent.Action.REOPENED)
    assert "was resolved" in event.note and "Agreed actions not done" in event.note
    assert drp.stage_records.filter(ended_on__isnull=True).count() == 1
    assert told("drp-reopened") >= {"service-manager", "iro"}


def test_reopened_informally_the_formal_clock_waits_for_the_first_formal_stage(org):
    drp = raise_drp(org, stage="informal")
    with as_of(date(2026, 11, 3)):
        services.drp_withdraw(drp=drp, actor=org.iro, reason="Sorted")
    with as_of(date(2026, 11, 9)):
        drp = holding.drp_reopen(drp=drp, actor=org.iro_manager, reason="Not sorted after all")
    assert drp.stage.key == "informal" and drp.overall_due_date is None
    assert drp.stage_due_date == date(2026, 11, 23)  # informal: 10 working days


def test_only_the_drps_iro_or_an_iro_manager_reopens_and_only_a_closed_drp(org):
    drp = raise_drp(org)
    with pytest.raises(TransitionRefused):
        holding.drp_reopen(drp=drp, actor=org.iro, reason="x")
    services.drp_withdraw(drp=drp, actor=org.iro, reason="Sorted")
    for someone in (org.chair, org.team_manager):
        with pytest.raises(PermissionDenied):
            holding.drp_reopen(drp=drp, actor=someone, reason="x")
    with pytest.raises(ValidationError) as blank:
        holding.drp_reopen(drp=drp, actor=org.iro, reason=" ")
    assert set(blank.value.message_dict) == {"reason"}


def test_reopen_page_and_api(client, org):
    drp = raise_drp(org)
    services.drp_resolve(drp=drp, actor=org.iro, **resolution())
    login(client, org.iro)
    assert "Reopen" in client.get(f"/drps/{drp.pk}/").content.decode()
    blank = client.post(f"/drps/{drp.pk}/reopen/", {"reason": ""})
    assert blank.status_code == 400
    assert client.post(f"/drps/{drp.pk}/reopen/", {"reason": "Plan drifted again"}).status_code == 302
    again = client_for(org.iro).post(f"/api/v1/drps/{drp.pk}/reopen/", {"reason": "x"}, format="json")
    assert again.status_code == 409
    client.post(f"/drps/{drp.pk}/resolve/", RESOLUTION_FORM)
    assert client_for(org.chair).post(f"/api/v1/drps/{drp.pk}/reopen/", {"reason": "x"}, format="json").status_code == 403
    ok = client_for(org.iro_manager).post(f"/api/v1/drps/{drp.pk}/reopen/", {"reason": "Again"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "awaiting_response"


# --- Summary for the child's file -----------------------------------------------------------

def test_summary_for_the_childs_file_tells_the_whole_story_in_order(client, org):
    with as_of(date(2026, 11, 2)):
        drp = services.drp_raise(actor=org.iro, children=[org.child, org.sibling], case_type="CLA",
                                 themes=[Theme.objects.get(slug="placement")],
                                 concern="Placement plan has drifted for six months")
    with as_of(date(2026, 11, 4)):
        services.drp_respond(drp=drp, actor=org.social_worker, response="Panel date requested",
                             agreed_by=date(2026, 11, 30))
    with as_of(date(2026, 11, 6)):
        services.drp_escalate(drp=drp, actor=org.iro, reason="No panel date yet")
    with as_of(date(2026, 11, 10)):
        services.drp_respond(drp=drp, actor=org.team_manager, response="Panel on 20 November")
    with as_of(date(2026, 11, 12)):
        services.drp_resolve(drp=drp, actor=org.iro, **resolution("Panel agreed the plan"))
    login(client, org.iro)
    page = client.get(f"/drps/{drp.pk}/summary/")
    assert page.status_code == 200
    text = page.context["text"]
    for expected in ["Amy Example (C000001); Ben Example (C000002)", "Placement plan has drifted",
                     "Informal: addressed to", "responded 4 November 2026 (on time); actions agreed by 30 November 2026",
                     "Escalated from Informal to Stage 1", "No panel date yet", "Panel on 20 November",
                     "Outcome\nPanel agreed the plan", "Plan changed", "Child told of the outcome: yes"]:
        assert expected in text, expected
    # In order: the concern, the first response, the escalation, the second response, the outcome.
    order = [text.index(s) for s in ("Concern", "Panel date requested", "No panel date yet",
                                     "Panel on 20 November", "Panel agreed the plan")]
    assert order == sorted(order)
    html = page.content.decode()
    assert '<textarea' in html and "readonly" in html and "Copy text" in html
    printed = client.get(f"/drps/{drp.pk}/print/")
    assert printed.status_code == 200 and "Panel agreed the plan" in printed.content.decode()
    from workflows.models import CaseRead
    assert set(CaseRead.objects.filter(case_id=drp.pk).values_list("view", flat=True)) >= {"drp:summary", "drp:print"}


def test_summary_is_seen_by_whoever_sees_the_drp_and_no_one_else(client, org):
    drp = raise_drp(org)
    login(client, org.other_social_worker)
    assert client.get(f"/drps/{drp.pk}/summary/").status_code == 404
    assert client.get(f"/drps/{drp.pk}/print/").status_code == 404
    login(client, org.designated_officer)
    assert client.get(f"/drps/{drp.pk}/summary/").status_code == 403
    login(client, org.team_manager)
    assert client.get(f"/drps/{drp.pk}/summary/").status_code == 200
