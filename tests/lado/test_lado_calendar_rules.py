"""The Designated Officer's deadlines on working days (issue 12, docs/rules.md): month targets that
fall on a weekend, and the calendar recount when a closure day is added."""

from __future__ import annotations

from datetime import date

import pytest

from lado import clocks
from tests.support.auth import login
from tests.support.lado_fixtures import at, hold_meeting, in_progress, log
from tests.support.lado_rules import awaiting_meeting, conclude_later
from workflows.clocks import as_of
from workflows.models import ClosureDay

pytestmark = pytest.mark.django_db


# --- Month targets on working days -----------------------------------------------------------------

@pytest.mark.parametrize("received, month, expected", [
    (date(2025, 4, 5), 1, date(2025, 5, 6)),     # 5 May 2025: early May bank holiday (Monday)
    (date(2025, 5, 17), 1, date(2025, 6, 17)),   # a Tuesday: stays
    (date(2025, 10, 25), 1, date(2025, 11, 25)),
    (date(2025, 6, 14), 0, date(2025, 6, 16)),   # a Saturday itself, for the rule alone
    (date(2025, 11, 25), 1, date(2025, 12, 29)),  # 25 December, Boxing Day, the weekend
])
def test_month_target_on_a_weekend_moves_to_next_working_day(org, received, month, expected):
    assert clocks.month_target(received, month) == expected
    if month:
        with as_of(received):
            enquiry = log(org, received_at=at(received))
        assert enquiry.target_1_due == expected
    # A closure day on the target's date moves it on too.
    ClosureDay.objects.create(date=expected, description="Office closed")
    assert clocks.month_target(received, month) > expected


def test_month_targets_met_on_the_next_working_day(org):
    """Received 17 April 2025: the 1-month target falls on Saturday 17 May, so a case concluded
    on Monday 19 May met it."""
    enquiry = conclude_later(org, "false", date(2025, 4, 17), date(2025, 5, 19))
    assert enquiry.target_1_due == date(2025, 5, 19)
    assert [t["met"] for t in enquiry.targets()] == [True, True, True]


# --- The calendar changed -----------------------------------------------------------------------

def test_closure_day_moves_do_decision_and_first_meeting_deadlines(org, client):
    from tests.support.factories import UserFactory

    with as_of(date(2026, 11, 5)):
        awaiting = log(org, received_at=at(date(2026, 11, 5)))             # decision due Friday 6 November
    meeting = awaiting_meeting(org, date(2026, 11, 2))                     # first meeting due Monday 9 November
    with as_of(date(2026, 10, 6)):
        month = in_progress(org, received_at=at(date(2026, 10, 6)))        # 1-month target Friday 6 November
        hold_meeting(org, month, kind="review", held_on=date(2026, 10, 6), next_review_on=date(2026, 11, 6))
    assert (awaiting.decision_due, meeting.first_meeting_due, month.target_1_due) == (
        date(2026, 11, 6), date(2026, 11, 9), date(2026, 11, 6))
    admin = UserFactory(username="admin-person", is_staff=True, is_superuser=True)
    login(client, admin)
    response = client.post("/admin/workflows/closureday/add/", {"date": "2026-11-06", "description": "Office move"})
    assert response.status_code == 302
    for case in (awaiting, meeting, month):
        case.refresh_from_db()
    assert awaiting.decision_due == date(2026, 11, 9)
    assert meeting.first_meeting_due == date(2026, 11, 10)
    assert month.target_1_due == date(2026, 11, 9)
    assert month.next_review_on == date(2026, 11, 6)  # a date people chose: left alone
    event = meeting.timeline.last()
    assert (event.action, event.actor) == ("deadlines-recalculated", admin)
    assert event.note == ("6 November 2026 is now a closure day (Office move): first meeting due 10 November 2026 "
                          "(was 9 November 2026).")
    assert "threshold decision due 9 November 2026 (was 6 November 2026)" in awaiting.timeline.last().note
    assert "1 month target due 9 November 2026 (was 6 November 2026)" in month.timeline.last().note
    assert meeting.history.first().history_change_reason == "Deadlines recalculated"
    # Removing it again brings them back.
    ClosureDay.objects.get(date=date(2026, 11, 6)).delete()
    for case in (awaiting, meeting, month):
        case.refresh_from_db()
    assert (awaiting.decision_due, meeting.first_meeting_due, month.target_1_due) == (
        date(2026, 11, 6), date(2026, 11, 9), date(2026, 11, 6))
    assert "6 November 2026 is a working day again" in meeting.timeline.last().note


def test_a_closure_day_outside_every_do_deadline_moves_nothing(org):
    meeting = awaiting_meeting(org, date(2026, 11, 2))
    ClosureDay.objects.create(date=date(2027, 6, 1), description="Later")
    meeting.refresh_from_db()
    assert meeting.first_meeting_due == date(2026, 11, 9)
    assert not meeting.timeline.filter(action="deadlines-recalculated").exists()
