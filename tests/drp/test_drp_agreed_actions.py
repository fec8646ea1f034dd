"""Agreed actions on a DRP response: what, who owns it (a person or a partner agency's
contact), by when; its own clock and reminders; done or not done; and what a resolution does
with the ones still open."""

from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from drp import services
from drp.models import AgencyContact, AgreedAction, PartnerAgency, Stage, Theme, TimelineEvent
from notifications.models import Notification
from tests.support.factories import resolution
from tests.support.problems import field_errors
from workflows.clocks import as_of
from workflows.exceptions import TransitionRefused
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, run_sweep

pytestmark = pytest.mark.django_db

# Monday 2 November 2026; the response comes on Tuesday 3rd.
RAISED, RESPONDED = date(2026, 11, 2), date(2026, 11, 3)


@pytest.fixture
def school_nurse(db):
    return AgencyContact.objects.create(agency=PartnerAgency.objects.get(slug="health"), name="Pat Nurse",
                                        job_title="School nurse", email="pat.nurse@health.example")


def raised(org):
    with as_of(RAISED):
        return services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                  themes=[Theme.objects.get(slug="placement")], concern="Plan drifting",
                                  stage=Stage.objects.get(key="stage-1"))


def responded_with_actions(org, *actions):
    drp = raised(org)
    with as_of(RESPONDED):
        services.drp_respond(drp=drp, actor=org.team_manager, response="We will act", actions=list(actions))
    return drp


def sent(on):
    Notification.objects.all().delete()
    mail.outbox.clear()
    return {(r.phase, tuple(r.recipients)) for r in run_sweep(on, kinds=["drp-action"])}


def test_response_carries_agreed_actions_each_with_owner_and_working_day_deadline(org, school_nurse):
    drp = responded_with_actions(
        org,
        {"what": "Convene a placement stability meeting", "due_on": date(2026, 11, 10), "owner": org.social_worker},
        # Saturday 14 November: the deadline is the next working day, Monday 16th.
        {"what": "Share the health assessment", "due_on": date(2026, 11, 14), "owner_contact": school_nurse},
    )
    actions = list(drp.agreed_actions.order_by("due_on"))
    assert [(a.owner, a.owner_contact, a.due_on, a.agreed_on, a.stage.key, a.status) for a in actions] == [
        (org.social_worker, None, date(2026, 11, 10), RESPONDED, "stage-1", "open"),
        (None, school_nurse, date(2026, 11, 16), RESPONDED, "stage-1", "open"),
    ]
    assert list(drp.timeline.filter(action="action-agreed").values_list("actor__username", flat=True)) == [
        "team-manager", "team-manager"]
    assert "the next working day after 14 November" in drp.timeline.filter(action="action-agreed").last().note


def test_agency_contact_is_emailed_what_is_asked_and_by_when_without_the_childs_name(
        org, school_nurse, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        drp = responded_with_actions(
            org, {"what": "Share the health assessment", "due_on": date(2026, 11, 16), "owner_contact": school_nurse})
    agency_mail = [m for m in mail.outbox if m.to == ["pat.nurse@health.example"]]
    assert len(agency_mail) == 1
    message = agency_mail[0]
    assert message.subject == f"{drp.reference}: action requested by 16 November 2026"
    assert "Share the health assessment" in message.body and "Monday 16 November 2026" in message.body
    assert org.child.name not in f"{message.subject}\n{message.body}"
    assert org.child.reference not in f"{message.subject}\n{message.body}"


def test_action_for_an_agency_naming_the_child_is_refused_naming_the_field(org, school_nurse):
    drp = raised(org)
    with as_of(RESPONDED), pytest.raises(ValidationError) as refused:
        services.drp_agree_action(drp=drp, actor=org.iro, what="Send Amy's health plan",
                                  due_on=date(2026, 11, 16), owner_contact=school_nurse)
    assert set(refused.value.message_dict) == {"what"}


def test_an_action_needs_exactly_one_owner_and_a_date_ahead(org, school_nurse):
    drp = raised(org)
    with as_of(RESPONDED), pytest.raises(ValidationError) as refused:
        services.drp_agree_action(drp=drp, actor=org.iro, what="x", due_on=date(2026, 11, 2),
                                  owner=org.social_worker, owner_contact=school_nurse)
    assert set(refused.value.message_dict) == {"due_on", "owner"}


def test_only_the_iro_or_the_addressee_agrees_actions_and_not_on_a_closed_drp(org):
    drp = raised(org)
    with as_of(RESPONDED), pytest.raises(PermissionDenied):
        services.drp_agree_action(drp=drp, actor=org.social_worker, what="x", due_on=date(2026, 11, 9),
                                  owner=org.social_worker)
    with as_of(RESPONDED):
        services.drp_withdraw(drp=drp, actor=org.iro, reason="Sorted")
        with pytest.raises(TransitionRefused):
            services.drp_agree_action(drp=drp, actor=org.iro, what="x", due_on=date(2026, 11, 9),
                                      owner=org.social_worker)


def test_agreed_action_reminds_owner_before_and_owner_and_iro_on_and_after_exactly_once(org):
    responded_with_actions(org, {"what": "Convene a meeting", "due_on": date(2026, 11, 10), "owner": org.social_worker})
    # Due Tuesday 10th: "due soon" two working days before, Friday 6th... no: Thursday 5th is 3 away.
    assert sent(date(2026, 11, 5)) == set()
    assert sent(date(2026, 11, 6)) == {(DUE_SOON, ("social-worker",))}
    assert sent(date(2026, 11, 9)) == set()
    assert sent(date(2026, 11, 10)) == {(DUE_TODAY, ("iro", "social-worker"))}
    # Overdue: the sweep missed Wednesday and catches up on Thursday, once.
    assert sent(date(2026, 11, 12)) == {(OVERDUE, ("iro", "social-worker"))}
    assert sent(date(2026, 11, 13)) == set()


def test_agency_owned_action_reminder_is_emailed_to_the_contact(org, school_nurse, django_capture_on_commit_callbacks):
    responded_with_actions(org, {"what": "Share the health assessment", "due_on": date(2026, 11, 10),
                                 "owner_contact": school_nurse})
    with django_capture_on_commit_callbacks(execute=True):
        assert sent(date(2026, 11, 11)) == {(OVERDUE, ("contact:health", "iro"))}
    to_contact = [m for m in mail.outbox if m.to == ["pat.nurse@health.example"]]
    assert len(to_contact) == 1 and "overdue since 10 November 2026" in to_contact[0].subject


def test_done_action_stops_its_reminders_and_records_the_date(org):
    drp = responded_with_actions(org, {"what": "Convene a meeting", "due_on": date(2026, 11, 10),
                                       "owner": org.social_worker})
    action = drp.agreed_actions.get()
    with as_of(date(2026, 11, 9)):
        services.drp_record_action(action=action, actor=org.social_worker, done=True, on=date(2026, 11, 6))
    action.refresh_from_db()
    assert (action.status, action.completed_on, action.done_on_time()) == ("done", date(2026, 11, 6), True)
    assert sent(date(2026, 11, 10)) == set()
    with as_of(date(2026, 11, 9)), pytest.raises(TransitionRefused):
        services.drp_record_action(action=action, actor=org.iro, done=False, note="x")


def test_not_done_needs_a_reason_and_only_iro_or_owner_records(org):
    drp = responded_with_actions(org, {"what": "Convene a meeting", "due_on": date(2026, 11, 10),
                                       "owner": org.social_worker})
    action = drp.agreed_actions.get()
    with as_of(date(2026, 11, 11)):
        with pytest.raises(PermissionDenied):
            services.drp_record_action(action=action, actor=org.team_manager, done=True)
        with pytest.raises(ValidationError) as refused:
            services.drp_record_action(action=action, actor=org.iro, done=False, on=date(2026, 11, 12))
        assert set(refused.value.message_dict) == {"on", "note"}
        services.drp_record_action(action=action, actor=org.iro, done=False, note="Meeting cancelled")
    assert drp.timeline.filter(action=TimelineEvent.Action.ACTION_NOT_DONE).count() == 1


def test_resolving_with_open_actions_is_refused_naming_them_until_told_what_happens(org):
    drp = responded_with_actions(org, {"what": "Convene a meeting", "due_on": date(2026, 11, 10),
                                       "owner": org.social_worker})
    with as_of(date(2026, 11, 5)):
        with pytest.raises(TransitionRefused) as refused:
            services.drp_resolve(drp=drp, actor=org.iro, **resolution())
        assert "Convene a meeting" in refused.value.message and str(org.social_worker) in refused.value.message
        # State before input: blank outcome and no decision still say 409, not 400.
        with pytest.raises(TransitionRefused):
            services.drp_resolve(drp=drp, actor=org.iro, **resolution(outcome=""))
        services.drp_resolve(drp=drp, actor=org.iro, open_actions=services.KEEP_OPEN, **resolution())
    drp.refresh_from_db()
    assert drp.status == "resolved" and drp.agreed_actions.get().status == "open"
    # Kept open: its reminders go on after the resolution.
    assert sent(date(2026, 11, 10)) == {(DUE_TODAY, ("iro", "social-worker"))}


def test_resolving_can_record_open_actions_as_not_done(org):
    drp = responded_with_actions(org, {"what": "Convene a meeting", "due_on": date(2026, 11, 10),
                                       "owner": org.social_worker})
    with as_of(date(2026, 11, 5)):
        services.drp_resolve(drp=drp, actor=org.iro, open_actions=services.CLOSE_NOT_DONE, **resolution())
    action = AgreedAction.objects.get(drp=drp)
    assert (action.status, action.completed_on) == ("not_done", date(2026, 11, 5))


def test_withdrawing_ends_open_actions_as_not_done(org):
    drp = responded_with_actions(org, {"what": "Convene a meeting", "due_on": date(2026, 11, 10),
                                       "owner": org.social_worker})
    with as_of(date(2026, 11, 5)):
        services.drp_withdraw(drp=drp, actor=org.iro, reason="No longer needed")
    assert AgreedAction.objects.get(drp=drp).status == "not_done"
    assert sent(date(2026, 11, 10)) == set()


# --- API -------------------------------------------------------------------------------------

def api(user):
    from rest_framework.test import APIClient

    from tests.support.auth import api_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def test_api_respond_with_actions_and_read_them_on_the_drp(org, school_nurse):
    drp = raised(org)
    with as_of(RESPONDED):
        response = api(org.team_manager).post(f"/api/v1/drps/{drp.pk}/respond/", {
            "response": "We will act",
            "actions": [{"what": "Convene a meeting", "due_on": "2026-11-10", "owner": "social-worker"},
                        {"what": "Share the health assessment", "due_on": "2026-11-16",
                         "owner_contact": school_nurse.pk}]}, format="json")
        assert response.status_code == 200, response.json()
        actions = api(org.iro).get(f"/api/v1/drps/{drp.pk}/").json()["agreed_actions"]
    assert [(a["what"], a["owner"], a["owner_contact"] and a["owner_contact"]["agency"], a["due_on"], a["status"],
             a["rag"]) for a in actions] == [
        ("Convene a meeting", "social-worker", None, "2026-11-10", "open", "due-soon"),
        ("Share the health assessment", None, "health", "2026-11-16", "open", "on-track")]


def test_api_agree_and_record_action_refuse_state_then_role_then_input(org):
    drp = raised(org)
    with as_of(RESPONDED):
        assert api(org.social_worker).post(f"/api/v1/drps/{drp.pk}/actions/", {}, format="json").status_code == 403
        bad = api(org.iro).post(f"/api/v1/drps/{drp.pk}/actions/", {"what": "x", "due_on": "2026-11-10"}, format="json")
        assert bad.status_code == 400 and "owner" in field_errors(bad)
        made = api(org.iro).post(f"/api/v1/drps/{drp.pk}/actions/", {
            "what": "Convene a meeting", "due_on": "2026-11-10", "owner": "social-worker"}, format="json")
        assert made.status_code == 201
        record = f"/api/v1/drps/{drp.pk}/actions/{made.json()['id']}/record/"
        assert api(org.team_manager).post(record, {"done": True}, format="json").status_code == 403
        assert "note" in field_errors(api(org.social_worker).post(record, {"done": False}, format="json"))
        done = api(org.social_worker).post(record, {"done": True, "note": "Held on the 3rd"}, format="json")
        assert done.status_code == 200 and done.json()["status"] == "done"
        assert api(org.iro).post(record, {}, format="json").status_code == 409
        services.drp_withdraw(drp=drp, actor=org.iro, reason="Sorted")
        assert api(org.iro).post(f"/api/v1/drps/{drp.pk}/actions/", {}, format="json").status_code == 409


def test_api_resolve_with_open_actions_is_409_until_open_actions_given(org):
    from tests.support.factories import RESOLUTION_FORM

    drp = responded_with_actions(org, {"what": "Convene a meeting", "due_on": date(2026, 11, 10),
                                       "owner": org.social_worker})
    body = {**RESOLUTION_FORM, "child_informed": True, "advocacy_offered": False}
    with as_of(date(2026, 11, 5)):
        refused = api(org.iro).post(f"/api/v1/drps/{drp.pk}/resolve/", body, format="json")
        assert refused.status_code == 409 and "Convene a meeting" in refused.json()["detail"]
        done = api(org.iro).post(f"/api/v1/drps/{drp.pk}/resolve/", {**body, "open_actions": "not-done"}, format="json")
    assert done.status_code == 200 and done.json()["agreed_actions"][0]["status"] == "not_done"


def test_agency_lists(org, school_nurse):
    assert [a["slug"] for a in api(org.iro).get("/api/v1/drp/agencies/").json()][:3] == ["health", "education", "police"]
    assert api(org.iro).get("/api/v1/drp/agency-contacts/").json() == [
        {"id": school_nurse.pk, "agency": "health", "name": "Pat Nurse", "job_title": "School nurse",
         "email": "pat.nurse@health.example"}]


# --- Pages -----------------------------------------------------------------------------------

def test_iro_records_an_agreed_action_for_an_agency_and_marks_it_done_through_the_page(client, org, school_nurse):
    from tests.support.auth import login

    drp = raised(org)
    login(client, org.iro)
    page = client.get(f"/drps/{drp.pk}/").content.decode()
    assert "Record an agreed action" in page and f"contact:{school_nurse.pk}" in page
    with as_of(RESPONDED):
        refused = client.post(f"/drps/{drp.pk}/actions/", {"what": "", "owner": f"contact:{school_nurse.pk}",
                                                           "due_on_0": "16", "due_on_1": "11", "due_on_2": "2026"})
        assert refused.status_code == 400 and "Enter what has been agreed" in refused.content.decode()
        made = client.post(f"/drps/{drp.pk}/actions/", {
            "what": "Share the health assessment", "owner": f"contact:{school_nurse.pk}",
            "due_on_0": "16", "due_on_1": "11", "due_on_2": "2026"})
        assert made.status_code == 302
        action = drp.agreed_actions.get()
        assert (action.owner_contact, action.due_on) == (school_nurse, date(2026, 11, 16))
        page = client.get(f"/drps/{drp.pk}/").content.decode()
        assert "Share the health assessment" in page and "Pat Nurse" in page and "Health" in page
        done = client.post(f"/drps/{drp.pk}/actions/{action.pk}/record/", {"done": "yes", "note": "Sent by email"})
        assert done.status_code == 302
        again = client.post(f"/drps/{drp.pk}/actions/{action.pk}/record/", {"done": "yes"})
        assert again.status_code == 409
    action.refresh_from_db()
    assert (action.status, action.completed_on) == ("done", RESPONDED)


def test_resolve_page_asks_what_happens_to_open_actions(client, org):
    from tests.support.auth import login
    from tests.support.factories import RESOLUTION_FORM

    drp = responded_with_actions(org, {"what": "Convene a meeting", "due_on": date(2026, 11, 10),
                                       "owner": org.social_worker})
    login(client, org.iro)
    with as_of(date(2026, 11, 5)):
        page = client.get(f"/drps/{drp.pk}/").content.decode()
        assert "What happens to the agreed actions still open?" in page
        missing = client.post(f"/drps/{drp.pk}/resolve/", RESOLUTION_FORM)
        assert missing.status_code == 400 and "Select what happens to the open agreed actions" in missing.content.decode()
        assert client.post(f"/drps/{drp.pk}/resolve/", {**RESOLUTION_FORM, "open_actions": "keep-open"}).status_code == 302
    assert drp.agreed_actions.get().status == "open"


# --- Stages addressed to a partner agency ----------------------------------------------------

def test_stage_escalated_to_a_partner_agency_emails_the_contact_and_the_iro_records_their_response(
        org, school_nurse, django_capture_on_commit_callbacks):
    drp = raised(org)
    mail.outbox.clear()
    with as_of(RESPONDED), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError) as refused:
            services.drp_escalate(drp=drp, actor=org.iro, reason="Health input needed",
                                  stage=Stage.objects.get(key="stage-2"), agency_contact=school_nurse)
        assert set(refused.value.message_dict) == {"asked"}
        services.drp_escalate(drp=drp, actor=org.iro, reason="Health input needed",
                              stage=Stage.objects.get(key="stage-2"), agency_contact=school_nurse,
                              asked="Arrange the overdue health assessment")
    drp.refresh_from_db()
    assert (drp.addressee, drp.addressee_contact) == (None, school_nurse)
    [email] = [m for m in mail.outbox if m.to == ["pat.nurse@health.example"]]
    assert email.subject == f"{drp.reference}: response requested by {drp.stage_due_date:%-d %B %Y}"
    assert "Arrange the overdue health assessment" in email.body and org.child.name not in email.body
    # Not a user: the IRO records the agency's response; the team manager no longer can.
    with as_of(date(2026, 11, 4)):
        with pytest.raises(PermissionDenied):
            services.drp_respond(drp=drp, actor=org.team_manager, response="x")
        services.drp_respond(drp=drp, actor=org.iro, response="Assessment booked for 12 November")
    assert "Response from Pat Nurse (Health), recorded by" in drp.timeline.get(action="responded").note


def test_stage_addressed_to_an_agency_reminds_the_contact_by_email_and_the_iro(
        org, school_nurse, django_capture_on_commit_callbacks):
    drp = raised(org)
    with as_of(RESPONDED):
        services.drp_escalate(drp=drp, actor=org.iro, reason="Health input needed",
                              stage=Stage.objects.get(key="stage-2"), agency_contact=school_nurse,
                              asked="Arrange the overdue health assessment")
    drp.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders = run_sweep(drp.stage_due_date, kinds=["drp-stage"])
    assert [(r.phase, r.recipients) for r in reminders] == [(DUE_TODAY, ("contact:health", "iro"))]
    assert [m.subject for m in mail.outbox if m.to == ["pat.nurse@health.example"]] == [
        f"{drp.reference}: Stage 2 response due today"]


def test_escalate_to_an_agency_through_the_page_and_the_api(client, org, school_nurse):
    from tests.support.auth import login

    drp = raised(org)
    login(client, org.iro)
    with as_of(RESPONDED):
        page = client.get(f"/drps/{drp.pk}/").content.decode()
        assert "Address this stage to a partner agency (optional)" in page
        response = client.post(f"/drps/{drp.pk}/escalate/", {
            "stage": "stage-2", "reason": "Health input", "agency_contact": school_nurse.pk,
            "asked": "Arrange the health assessment"})
        assert response.status_code == 302
        page = client.get(f"/drps/{drp.pk}/").content.decode()
        assert "Pat Nurse" in page and "partner agency, by email" in page
        other = raised(org)
        refused = api(org.iro).post(f"/api/v1/drps/{other.pk}/escalate/", {
            "reason": "Health input", "agency_contact": school_nurse.pk, "asked": "Amy needs a dentist"},
            format="json")
        assert refused.status_code == 400 and "asked" in field_errors(refused)
        done = api(org.iro).post(f"/api/v1/drps/{other.pk}/escalate/", {
            "reason": "Health input", "agency_contact": school_nurse.pk, "asked": "A dental check"}, format="json")
    assert done.status_code == 200 and done.json()["addressee_contact"]["agency"] == "health"
