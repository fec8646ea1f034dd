"""The Designated Officer's meeting rules (issue 12, docs/rules.md): the first meeting clock and its
reminders, and concluding an enquiry without a meeting."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lado import services
from lado.models import Enquiry, Meeting
from lado.reminders import FIRST_MEETING
from lado.selectors import with_next_due
from tests.support.auth import login
from tests.support.lado_fixtures import client_for, hold_meeting, in_progress, log, meet
from tests.support.lado_rules import S, awaiting_meeting
from tests.support.problems import field_errors
from workflows.clocks import Rag, as_of
from workflows.exceptions import TransitionRefused
from workflows.models import ReminderLog
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, run_sweep

pytestmark = pytest.mark.django_db


# --- The first meeting -------------------------------------------------------------------------------

def test_first_meeting_due_five_working_days_after_threshold_met(org, settings):
    # Threshold met on Thursday 17 April 2025: Good Friday and Easter Monday are not working days.
    enquiry = awaiting_meeting(org, date(2025, 4, 17))
    assert enquiry.first_meeting_due == date(2025, 4, 28)
    assert "First allegation management meeting or strategy discussion due by 28 April 2025" in (
        enquiry.timeline.last().note)
    assert enquiry.first_meeting_clock(date(2025, 4, 17)).rag == Rag.DUE_SOON
    assert enquiry.first_meeting_clock(date(2025, 4, 29)).rag == Rag.OVERDUE
    on = date(2025, 4, 22)
    row = with_next_due(Enquiry.objects.filter(pk=enquiry.pk), on).get()
    assert row.next_due == date(2025, 4, 28) == enquiry.next_clock(on).due
    assert enquiry.next_clock(on).label == "First meeting"
    # A strategy discussion (police or a section 47 enquiry involved) is the first meeting too.
    with as_of(date(2025, 4, 24)):
        hold_meeting(org, enquiry, kind=Meeting.Kind.STRATEGY, held_on=date(2025, 4, 24))
    enquiry = Enquiry.objects.get(pk=enquiry.pk)
    assert enquiry.status == S.IN_PROGRESS and enquiry.first_meeting_clock(date(2025, 4, 29)).due is None
    assert enquiry.first_meeting_due == date(2025, 4, 28)  # kept, to show it was held in time
    # The number of working days is a setting.
    settings.LADO_FIRST_MEETING_WORKING_DAYS = 2
    assert awaiting_meeting(org, date(2025, 4, 17)).first_meeting_due == date(2025, 4, 23)


def test_first_meeting_clock_on_the_case_page_and_in_the_api(org, client):
    enquiry = awaiting_meeting(org, date(2025, 4, 17))
    login(client, org.designated_officer)
    with as_of(date(2025, 4, 22)):
        page = client.get(f"/lado/{enquiry.pk}/").content.decode()
    assert "First meeting" in page and 'datetime="2025-04-28"' in page
    data = client_for(org.designated_officer).get(f"/api/v1/lado/enquiries/{enquiry.pk}/").json()
    assert data["first_meeting_due"] == "2025-04-28"
    listed = client_for(org.designated_officer).get("/api/v1/lado/enquiries/").json()["results"]
    assert listed[0]["first_meeting_due"] == "2025-04-28"
    with as_of(date(2025, 4, 30)):
        hold_meeting(org, enquiry, held_on=date(2025, 4, 30))
        page = client.get(f"/lado/{enquiry.pk}/").content.decode()
    assert "Held 30 Apr 2025" in page and "Late" in page


def sent(on):
    return {(r.phase, r.object_id): tuple(sorted(r.recipients)) for r in run_sweep(on, kinds=[FIRST_MEETING])}


def test_first_meeting_reminders_to_do_team_exactly_once(org):
    from notifications.models import Notification

    enquiry = awaiting_meeting(org, date(2025, 4, 17))  # due Monday 28 April
    held = awaiting_meeting(org, date(2025, 4, 17))
    with as_of(date(2025, 4, 22)):
        hold_meeting(org, held, held_on=date(2025, 4, 22))
    team = ("designated-officer", "do-manager")
    assert sent(date(2025, 4, 23)) == {}                                  # three working days before
    assert sent(date(2025, 4, 24)) == {(DUE_SOON, enquiry.pk): team}      # two working days before
    assert sent(date(2025, 4, 25)) == {}                                  # not again
    assert sent(date(2025, 4, 26)) == {}                                  # a Saturday: nothing
    assert sent(date(2025, 4, 28)) == {(DUE_TODAY, enquiry.pk): team}
    assert sent(date(2025, 4, 28)) == {}
    assert sent(date(2025, 4, 29)) == {(OVERDUE, enquiry.pk): team}
    assert sent(date(2025, 4, 30)) == {}
    assert ReminderLog.objects.filter(kind=FIRST_MEETING).count() == 3
    assert not ReminderLog.objects.filter(kind=FIRST_MEETING, object_id=held.pk).exists()
    note = Notification.objects.filter(kind="lado-reminder", subject__contains="first meeting overdue").first()
    assert note.link == f"/lado/{enquiry.pk}/" and "Robert" not in note.subject + note.body
    assert {n.recipient.username for n in Notification.objects.filter(kind="lado-reminder")} == set(team)
    # Held: no more reminders, even for a later phase.
    with as_of(date(2025, 4, 30)):
        hold_meeting(org, enquiry, held_on=date(2025, 4, 30))
    assert sent(date(2025, 5, 6)) == {}


def test_first_meeting_reminders_cost_the_same_whatever_their_number(org):
    def statements(count, decided):
        for _ in range(count):
            awaiting_meeting(org, decided)
        with CaptureQueriesContext(connection) as captured:
            reminders = run_sweep(decided + timedelta(days=14), kinds=[FIRST_MEETING])
        assert len(reminders) == count
        return len(captured)

    few, many = statements(3, date(2025, 3, 3)), statements(30, date(2025, 6, 2))
    assert few == many, (few, many)


# --- Concluding without a meeting --------------------------------------------------------------------

@pytest.mark.parametrize("outcome", ["unfounded", "malicious"])
def test_conclude_without_meeting_only_for_unfounded_or_malicious(org, outcome):
    enquiry = awaiting_meeting(org, date(2025, 4, 17))
    for other in ("substantiated", "unsubstantiated", "false"):
        with pytest.raises(ValidationError) as refused:
            services.enquiry_conclude_without_meeting(enquiry=enquiry, actor=org.designated_officer,
                                                      outcome=other, reason="No need")
        assert set(refused.value.message_dict) == {"outcome"}
        assert refused.value.message_dict["outcome"][0].startswith(
            "Only an allegation that is clearly unfounded or malicious may be concluded without a meeting.")
    with pytest.raises(ValidationError) as refused:
        services.enquiry_conclude_without_meeting(enquiry=enquiry, actor=org.designated_officer, outcome=outcome,
                                                  reason="  ")
    assert set(refused.value.message_dict) == {"reason"}
    with pytest.raises(PermissionDenied):
        services.enquiry_conclude_without_meeting(enquiry=enquiry, actor=org.iro_manager, outcome=outcome,
                                                  reason="No need")
    with as_of(date(2025, 4, 22)):
        done = services.enquiry_conclude_without_meeting(
            enquiry=enquiry, actor=org.designated_officer, outcome=outcome,
            reason="The child has said the account was made up; the school's CCTV shows no contact.")
    assert (done.status, done.outcome, done.closed_on) == (S.CONCLUDED, outcome, date(2025, 4, 22))
    assert done.no_meeting_reason.startswith("The child has said")
    assert done.retention_review_on is not None and not done.meetings.exists()
    event = done.timeline.last()
    assert (event.action, event.from_status, event.to_status) == ("concluded-without-meeting", "awaiting_meeting",
                                                                "concluded")
    assert done.history.first().history_change_reason.startswith("Concluded without a meeting")
    # Once a meeting has been held, or before the threshold decision, it is refused (409).
    held = in_progress(org)
    with pytest.raises(TransitionRefused, match="a meeting has been held"):
        services.enquiry_conclude_without_meeting(enquiry=held, actor=org.designated_officer, outcome=outcome,
                                                  reason="x")
    with pytest.raises(TransitionRefused):
        services.enquiry_conclude_without_meeting(enquiry=log(org), actor=org.designated_officer,
                                                  outcome=outcome, reason="x")


def test_conclude_without_meeting_through_the_page_and_the_api(org, client):
    enquiry = meet(org, log(org))
    login(client, org.designated_officer)
    case_page = client.get(f"/lado/{enquiry.pk}/").content.decode()
    url = f"/lado/{enquiry.pk}/conclude-without-meeting/"
    assert url in case_page
    form = client.get(url).content.decode()
    assert "Unfounded" in form and "Malicious" in form and 'value="substantiated"' not in form
    crafted = client.post(url, {"outcome": "substantiated", "reason": "x"})
    assert crafted.status_code == 400
    assert "Only an allegation that is clearly unfounded or malicious may be concluded without a meeting" in (
        crafted.content.decode())
    assert client.post(url, {"outcome": "unfounded", "reason": ""}).status_code == 400
    api = client_for(org.designated_officer)
    api_url = f"/api/v1/lado/enquiries/{enquiry.pk}/conclude-without-meeting/"
    response = api.post(api_url, {"outcome": "false", "reason": "Disproved"}, format="json")
    assert response.status_code == 400 and set(field_errors(response)) == {"outcome"}
    assert "needs an allegation management meeting first" in field_errors(response)["outcome"][0]
    assert api.post(api_url, {"outcome": "malicious"}, format="json").status_code == 400
    response = client.post(url, {"outcome": "unfounded", "reason": "No basis at all"})
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.status == S.CONCLUDED and enquiry.no_meeting_reason == "No basis at all"
    # Concluded: the same move is a 409 whatever the body, in the API and on the page.
    assert api.post(api_url, {}, format="json").status_code == 409
    assert client.post(url, {"outcome": "unfounded", "reason": "again"}).status_code == 409
    assert client_for(org.iro).post(api_url, {}, format="json").status_code == 403
