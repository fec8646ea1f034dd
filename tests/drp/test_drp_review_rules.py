"""The DRP's review rules (docs/rules.md): an answered DRP never drifts unseen, agreed-by dates, and
the last stage pointing elsewhere."""

from datetime import date, timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from drp import services
from notifications.models import Notification
from tests.support.drp_rules import Status, raise_on, respond_on, sent
from tests.support.factories import ChildFactory, resolution
from tests.support.problems import field_errors
from workflows.clocks import Rag, as_of
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE

pytestmark = pytest.mark.django_db


# --- An answered DRP never drifts unseen ---------------------------------------------------------

def test_answered_drp_reminds_iro_to_review(org):
    drp = raise_on(org, date(2026, 11, 2))
    drp = respond_on(org, drp, date(2026, 11, 3))
    # 5 working days after the response on Tuesday 3 November: Tuesday 10 November.
    assert drp.review_due_date == date(2026, 11, 10)
    assert drp.review_clock(on=date(2026, 11, 4)).rag == Rag.DUE_SOON
    assert sent(date(2026, 11, 5), ["drp-review"]) == {}  # 3 working days away
    assert sent(date(2026, 11, 6), ["drp-review"]) == {("drp-review", DUE_SOON): {"iro"}}
    assert sent(date(2026, 11, 9), ["drp-review"]) == {}
    assert sent(date(2026, 11, 10), ["drp-review"]) == {("drp-review", DUE_TODAY): {"iro"}}
    assert sent(date(2026, 11, 11), ["drp-review"]) == {("drp-review", OVERDUE): {"iro", "iro-manager"}}
    assert sent(date(2026, 11, 12), ["drp-review"]) == {}
    assert sent(date(2026, 11, 11), ["drp-review"]) == {}  # a second sweep of the day: sent once


def test_review_clock_is_named_in_the_response_notification(org):
    drp = raise_on(org, date(2026, 11, 2))
    respond_on(org, drp, date(2026, 11, 3))
    note = Notification.objects.filter(recipient=org.iro, kind="drp-responded").get()
    assert "Tuesday 10 November 2026" in note.body
    assert "consider escalating the DRP" in note.body


@pytest.mark.parametrize("move", ["escalate", "resolve", "withdraw"])
def test_escalating_resolving_or_withdrawing_stops_the_review_clock(org, move):
    drp = raise_on(org, date(2026, 11, 2))
    drp = respond_on(org, drp, date(2026, 11, 3))
    with as_of(date(2026, 11, 4)):
        if move == "escalate":
            drp = services.drp_escalate(drp=drp, actor=org.iro, reason="Not enough")
        elif move == "resolve":
            drp = services.drp_resolve(drp=drp, actor=org.iro, **resolution("Agreed"))
        else:
            drp = services.drp_withdraw(drp=drp, actor=org.iro, reason="Child moved")
    assert drp.review_due_date is None
    assert sent(date(2026, 11, 11), ["drp-review"]) == {}


@override_settings(DRP_REVIEW_WORKING_DAYS=2)
def test_review_timescale_follows_the_setting(org):
    drp = respond_on(org, raise_on(org, date(2026, 11, 2)), date(2026, 11, 3))
    assert drp.review_due_date == date(2026, 11, 5)


def test_review_due_date_in_the_api_while_awaiting_review_and_null_otherwise(org):
    client = APIClient()
    client.force_authenticate(org.iro)
    drp = raise_on(org, date(2026, 11, 2))
    assert client.get(f"/api/v1/drps/{drp.pk}/").json()["review_due_date"] is None
    respond_on(org, drp, date(2026, 11, 3))
    assert client.get(f"/api/v1/drps/{drp.pk}/").json()["review_due_date"] == "2026-11-10"
    listed = client.get("/api/v1/drps/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["review_due_date"] for row in rows if row["id"] == drp.pk] == ["2026-11-10"]


def test_review_clock_on_the_drp_page(org, client):
    from tests.support.auth import login

    drp = respond_on(org, raise_on(org, date(2026, 11, 2)), date(2026, 11, 3))
    login(client, org.iro)
    page = client.get(f"/drps/{drp.pk}/").content.decode()
    assert "IRO review of the response" in page and "10 Nov 2026" in page


# --- Agreed-by dates -------------------------------------------------------------------------

def test_agreed_by_date_reminds_iro_to_check_it_happened(org):
    drp = raise_on(org, date(2026, 11, 2))
    drp = respond_on(org, drp, date(2026, 11, 3), agreed_by=date(2026, 11, 20))
    assert drp.stage_records.get().agreed_by == date(2026, 11, 20)
    # Resolved on the strength of the plan: the check still comes.
    with as_of(date(2026, 11, 4)):
        services.drp_resolve(drp=drp, actor=org.iro, **resolution("Assessment agreed by 20 November"))
    assert sent(date(2026, 11, 20), ["drp-agreed-by"]) == {}
    assert sent(date(2026, 11, 23), ["drp-agreed-by"]) == {("drp-agreed-by", OVERDUE): {"iro"}}
    note = Notification.objects.get(recipient=org.iro)
    assert "agreed by 20 November 2026" in note.subject
    assert sent(date(2026, 11, 24), ["drp-agreed-by"]) == {}


def test_withdrawn_drp_gets_no_agreed_by_reminder(org):
    drp = respond_on(org, raise_on(org, date(2026, 11, 2)), date(2026, 11, 3), agreed_by=date(2026, 11, 20))
    with as_of(date(2026, 11, 4)):
        services.drp_withdraw(drp=drp, actor=org.iro, reason="Child moved away")
    assert sent(date(2026, 11, 23), ["drp-agreed-by"]) == {}


def test_agreed_by_in_the_past_is_400_naming_the_field(org):
    drp = raise_on(org, date(2026, 11, 2))
    client = APIClient()
    client.force_authenticate(org.team_manager)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    response = client.post(f"/api/v1/drps/{drp.pk}/respond/", {"response": "x", "agreed_by": yesterday},
                           format="json")
    assert response.status_code == 400 and "agreed_by" in field_errors(response)
    drp.refresh_from_db()
    assert drp.status == Status.AWAITING_RESPONSE


def test_agreed_by_on_the_respond_page(org, client):
    from tests.support.auth import login

    drp = raise_on(org, date.today())
    login(client, org.team_manager)
    inbox = client.get("/drps/awaiting-my-response/").content.decode()
    assert 'name="agreed_by_0"' in inbox and f'action="/drps/{drp.pk}/respond/"' in inbox
    soon = date.today() + timedelta(days=14)
    response = client.post(f"/drps/{drp.pk}/respond/", {
        "response": "Assessment will be done",
        "agreed_by_0": soon.day, "agreed_by_1": soon.month, "agreed_by_2": soon.year})
    assert response.status_code == 302
    assert drp.stage_records.get().agreed_by == soon


# --- The last stage points elsewhere -----------------------------------------------------------

def test_last_stage_overdue_points_a_looked_after_child_to_cafcass(org):
    raise_on(org, date(2026, 11, 2), "stage-5")
    sent(date(2026, 11, 10), ["drp-stage"])
    body = Notification.objects.get(recipient=org.iro).body
    assert "Cafcass" in body and "escalating" not in body


def test_last_stage_overdue_points_a_child_protection_case_to_complaints_or_advocacy(org):
    child = ChildFactory(case_type="CP", team=org.team, social_worker=org.social_worker)
    raise_on(org, date(2026, 11, 2), "stage-5", children=[child], case_type="CP")
    sent(date(2026, 11, 10), ["drp-stage"])
    body = Notification.objects.get(recipient=org.iro).body
    assert "complaint" in body and "advocate" in body
    assert "Cafcass" not in body and "escalating" not in body
