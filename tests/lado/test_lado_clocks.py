"""Designated Officer clocks: the decision due one working day after receipt (bank holidays,
weekends and closure days skipped), review meetings, actions, and the 1/3/12-month targets in
calendar months; their RAG; the work tray's next-due order; and the reminder sweep."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from lado import services
from lado.models import Enquiry
from lado.reminders import ACTION, DECISION, REVIEW_MEETING, TARGETS
from lado.selectors import with_next_due
from workflows.clocks import Rag, as_of
from workflows.models import ClosureDay, ReminderLog
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, due_rows, registered

from tests.support.lado_fixtures import at, concluded, hold_meeting, in_progress, log, meet

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize("received,due", [
    (date(2025, 4, 17), date(2025, 4, 22)),   # Thursday before Good Friday and Easter Monday
    (date(2025, 12, 24), date(2025, 12, 29)),  # Christmas Eve: Christmas Day and Boxing Day skipped
    (date(2022, 12, 23), date(2022, 12, 28)),  # Boxing Day and the substitute Christmas holiday
    (date(2023, 5, 5), date(2023, 5, 9)),      # the coronation bank holiday (one-off)
    (date(2025, 5, 2), date(2025, 5, 6)),      # early May bank holiday
    (date(2025, 5, 10), date(2025, 5, 12)),    # received on a Saturday: day 0, due Monday
    (date(2025, 3, 4), date(2025, 3, 5)),      # an ordinary Tuesday
])
def test_decision_due_one_working_day_after_receipt(org, received, due):
    with as_of(received):
        enquiry = log(org, received_at=at(received, 16, 45))
    assert (enquiry.received_on, enquiry.decision_due) == (received, due)


def test_local_closure_days_are_skipped(org):
    ClosureDay.objects.create(date=date(2025, 12, 29), description="Office closed")
    with as_of(date(2025, 12, 24)):
        enquiry = log(org, received_at=at(date(2025, 12, 24)))
    assert enquiry.decision_due == date(2025, 12, 30)


def test_received_after_midnight_london_time_counts_from_the_london_date(org):
    # 00:30 on Saturday 10 May 2025 in London is 23:30 on Friday in UTC.
    received = datetime(2025, 5, 10, 0, 30, tzinfo=LONDON)
    with as_of(date(2025, 5, 10)):
        enquiry = log(org, received_at=received)
    assert enquiry.received_on == date(2025, 5, 10) and enquiry.decision_due == date(2025, 5, 12)


@pytest.mark.parametrize("received,targets", [
    # 31 January 2026 is a Saturday: the 12-month target moves to Monday 2 February.
    (date(2025, 1, 31), (date(2025, 2, 28), date(2025, 4, 30), date(2026, 2, 2))),
    # 29 March 2024 is Good Friday (and 1 April Easter Monday): the 1-month target is 2 April.
    (date(2024, 2, 29), (date(2024, 4, 2), date(2024, 5, 29), date(2025, 2, 28))),
    (date(2025, 6, 15), (date(2025, 7, 15), date(2025, 9, 15), date(2026, 6, 15))),
])
def test_targets_are_calendar_months_from_referral(org, received, targets):
    with as_of(received):
        enquiry = log(org, received_at=at(received))
    assert (enquiry.target_1_due, enquiry.target_2_due, enquiry.target_3_due) == targets


def test_decision_days_and_targets_are_configurable(org, settings):
    settings.LADO_DECISION_WORKING_DAYS = 2
    settings.LADO_TARGET_MONTHS = (2, 6, 18)
    with as_of(date(2025, 4, 17)):
        enquiry = log(org, received_at=at(date(2025, 4, 17)))
    assert enquiry.decision_due == date(2025, 4, 23)
    assert (enquiry.target_1_due, enquiry.target_2_due, enquiry.target_3_due) == (
        date(2025, 6, 17), date(2025, 10, 17), date(2026, 10, 19))  # 17 October 2026 is a Saturday
    assert [t["label"] for t in enquiry.targets(date(2025, 4, 17))] == [
        "Within 2 months", "Within 6 months", "Within 18 months"]


def test_decision_clock_rag_and_stops_once_decided(org):
    with as_of(date(2025, 4, 17)):
        enquiry = log(org, received_at=at(date(2025, 4, 17)))
    assert enquiry.decision_clock(date(2025, 4, 17)).rag == Rag.DUE_SOON
    assert enquiry.decision_clock(date(2025, 4, 22)).rag == Rag.DUE_SOON
    assert enquiry.decision_clock(date(2025, 4, 23)).rag == Rag.OVERDUE
    with as_of(date(2025, 4, 17)):
        enquiry = meet(org, enquiry)
    assert enquiry.decision_clock(date(2025, 4, 23)).due is None


def test_targets_run_while_open_and_are_met_or_missed_once_concluded(org):
    with as_of(date(2025, 1, 6)):
        enquiry = in_progress(org, received_at=at(date(2025, 1, 6)))
    rows = enquiry.targets(date(2025, 1, 6))
    assert [r["clock"].rag for r in rows] == [Rag.ON_TRACK, Rag.ON_TRACK, Rag.ON_TRACK]
    assert [r["clock"].rag for r in enquiry.targets(date(2025, 2, 10))] == [Rag.OVERDUE, Rag.ON_TRACK, Rag.ON_TRACK]
    with as_of(date(2025, 3, 3)):
        enquiry = services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="false")
    rows = enquiry.targets(date(2025, 3, 3))
    assert [r["met"] for r in rows] == [False, True, True]
    assert all(r["clock"].due is None for r in rows)


def test_review_meeting_and_action_clocks(org):
    with as_of(date(2025, 3, 3)):
        enquiry = in_progress(org, received_at=at(date(2025, 3, 3)))
        hold_meeting(org, enquiry, kind="review", held_on=date(2025, 3, 3), next_review_on=date(2025, 3, 31))
        action = services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer,
                                             kind="police-investigation", owner_name="DS Lee",
                                             due_on=date(2025, 3, 14))
    enquiry.refresh_from_db()
    assert enquiry.review_clock(date(2025, 3, 3)).rag == Rag.ON_TRACK
    assert enquiry.review_clock(date(2025, 3, 25)).rag == Rag.DUE_SOON
    assert enquiry.review_clock(date(2025, 4, 1)).rag == Rag.OVERDUE
    assert action.clock(date(2025, 3, 17)).rag == Rag.OVERDUE
    with as_of(date(2025, 3, 17)):
        action = services.enquiry_update_action(action=action, actor=org.designated_officer, done_on=date(2025, 3, 17))
    assert action.clock(date(2025, 3, 18)).due is None


def _mixed_cases(org):
    """Cases whose next deadline is, in turn, the decision, an action, a review, and a target."""
    with as_of(date(2025, 3, 3)):
        awaiting = log(org, received_at=at(date(2025, 3, 3)))                        # decision 4 Mar
        with_action = meet(org, log(org, received_at=at(date(2025, 2, 3))))
        services.enquiry_add_action(enquiry=with_action, actor=org.designated_officer, kind="suspension",
                                    owner_name="Head", due_on=date(2025, 3, 7))      # action 7 Mar
        reviewed = in_progress(org, received_at=at(date(2025, 2, 20)))
        hold_meeting(org, reviewed, kind="review", held_on=date(2025, 3, 3), next_review_on=date(2025, 3, 10))
        # 3-month target: 2 March 2025 is a Sunday, so Monday 3 March (today)
        old = in_progress(org, received_at=at(date(2024, 12, 2)))
        concluded_case = in_progress(org, received_at=at(date(2025, 1, 2)))
        services.enquiry_conclude(enquiry=concluded_case, actor=org.designated_officer, outcome="unfounded")
    return awaiting, with_action, reviewed, old


def test_next_due_in_the_database_matches_the_clock_shown(org):
    awaiting, with_action, reviewed, old = _mixed_cases(org)
    on = date(2025, 3, 3)
    qs = with_next_due(Enquiry.objects.filter(status__in=Enquiry.OPEN_STATUSES), on).order_by("next_due", "id")
    rows = [(e.reference, e.next_due, e.next_clock(on).due, e.next_clock(on).label) for e in qs]
    assert [r[1] for r in rows] == [r[2] for r in rows]
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (with_action.reference, date(2025, 3, 3), "1 month target"),  # before its action (7 March)
        (old.reference, date(2025, 3, 3), "3 months target"),  # moved off the Sunday to today
        (awaiting.reference, date(2025, 3, 4), "Threshold decision"),
        (reviewed.reference, date(2025, 3, 10), "Review meeting"),
    ]


def test_tray_orders_open_cases_by_next_due(org, client):
    awaiting, with_action, reviewed, old = _mixed_cases(org)
    on = date(2025, 3, 3)
    from lado.selectors import work_tray

    order = [(e.reference, e.next_due) for e in work_tray(org.designated_officer, on=on)]
    # with_action: received 3 Feb, its 1-month target (3 Mar) is today, before the action (7 Mar);
    # old: its 3-month target fell on Sunday 2 March, so it is due today too (received first)
    assert order == [(old.reference, date(2025, 3, 3)), (with_action.reference, date(2025, 3, 3)),
                     (awaiting.reference, date(2025, 3, 4)), (reviewed.reference, date(2025, 3, 10))]


# --- The reminder sweep ---------------------------------------------------------------------


def test_every_do_deadline_is_registered_with_the_sweep():
    names = {kind.name for kind in registered()}
    assert {DECISION, REVIEW_MEETING, ACTION, *TARGETS} <= names
    by_name = {kind.name: kind for kind in registered()}
    assert by_name[DECISION].phases == (DUE_TODAY, OVERDUE)
    assert by_name[TARGETS[0]].phases[-1] == OVERDUE
    for name in (DECISION, REVIEW_MEETING, *TARGETS):
        field = Enquiry._meta.get_field(by_name[name].due_field)
        assert field.db_index, name


def _kind(name):
    return next(kind for kind in registered() if kind.name == name)


def test_due_rows_pick_only_running_deadlines_in_each_phase(org):
    with as_of(date(2025, 4, 17)):
        waiting = log(org, received_at=at(date(2025, 4, 17)))      # decision due 22 April
        decided = meet(org, log(org, received_at=at(date(2025, 4, 17))))
    decision = _kind(DECISION)
    horizon = date(2025, 4, 29)
    assert list(due_rows(decision, DUE_TODAY, date(2025, 4, 22), horizon)) == [waiting]
    assert list(due_rows(decision, OVERDUE, date(2025, 4, 23), horizon)) == [waiting]
    assert list(due_rows(decision, OVERDUE, date(2025, 4, 22), horizon)) == []
    assert decided not in due_rows(decision, OVERDUE, date(2025, 5, 1), horizon)

    with as_of(date(2025, 4, 22)):
        action = services.enquiry_add_action(enquiry=decided, actor=org.designated_officer, kind="risk-assessment",
                                             owner_name="Employer", due_on=date(2025, 4, 25))
    assert list(due_rows(_kind(ACTION), DUE_SOON, date(2025, 4, 22), horizon)) == [action]
    assert list(due_rows(_kind(ACTION), OVERDUE, date(2025, 4, 28), horizon)) == [action]
    with as_of(date(2025, 4, 28)):
        services.enquiry_update_action(action=action, actor=org.designated_officer, done_on=date(2025, 4, 28))
    assert list(due_rows(_kind(ACTION), OVERDUE, date(2025, 4, 28), horizon)) == []

    # targets: open cases only; the 1-month target (17 May is a Saturday, so Monday 19 May)
    # is missed from 20 May
    assert list(due_rows(_kind(TARGETS[0]), OVERDUE, date(2025, 5, 19), horizon)) == []
    assert list(due_rows(_kind(TARGETS[0]), OVERDUE, date(2025, 5, 20), horizon)) == [waiting, decided]
    with as_of(date(2025, 5, 1)):
        services.enquiry_cancel(enquiry=waiting, actor=org.designated_officer, reason="Withdrawn")
    assert list(due_rows(_kind(TARGETS[0]), OVERDUE, date(2025, 5, 20), horizon)) == [decided]


def test_review_meeting_deadline_runs_while_in_progress(org):
    with as_of(date(2025, 3, 3)):
        enquiry = in_progress(org, received_at=at(date(2025, 3, 3)))
        hold_meeting(org, enquiry, kind="review", held_on=date(2025, 3, 3), next_review_on=date(2025, 3, 31))
    review = _kind(REVIEW_MEETING)
    assert [e.pk for e in due_rows(review, DUE_TODAY, date(2025, 3, 31), date(2025, 4, 7))] == [enquiry.pk]
    with as_of(date(2025, 3, 31)):
        services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="unfounded")
    assert list(due_rows(review, OVERDUE, date(2025, 4, 1), date(2025, 4, 7))) == []


def test_sweep_tells_only_the_do_team_once_without_personal_data(org):
    pytest.importorskip("notifications.services")
    from notifications.models import Notification
    from workflows.reminders import run_sweep

    with as_of(date(2025, 4, 17)):
        enquiry = log(org, received_at=at(date(2025, 4, 17)))
    sent = run_sweep(on=date(2025, 4, 23), kinds=[DECISION])
    assert [(s.object_id, s.phase, s.due) for s in sent] == [(enquiry.pk, OVERDUE, date(2025, 4, 22))]
    assert sorted(sent[0].recipients) == ["designated-officer", "do-manager"]
    notes = list(Notification.objects.filter(kind="lado-reminder"))
    assert sorted(n.recipient.username for n in notes) == ["designated-officer", "do-manager"]
    for note in notes:
        assert enquiry.reference in note.subject and "overdue" in note.subject
        assert "Robert" not in note.subject + note.body and "Miles" not in note.subject + note.body
        assert note.link == f"/lado/{enquiry.pk}/"
    assert run_sweep(on=date(2025, 4, 24), kinds=[DECISION]) == []
    assert ReminderLog.objects.filter(kind=DECISION).count() == 1


def test_sweep_reminds_of_actions_and_missed_targets(org):
    pytest.importorskip("notifications.services")
    from workflows.reminders import run_sweep

    with as_of(date(2025, 1, 6)):
        enquiry = in_progress(org, received_at=at(date(2025, 1, 6)))
        services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="section-47-enquiry",
                                    owner_name="Social care", due_on=date(2025, 1, 20))
    org.designated_officer.is_active = False
    org.designated_officer.save()
    sent = run_sweep(on=date(2025, 2, 7), kinds=[ACTION, *TARGETS])
    assert {(s.kind, s.phase) for s in sent} == {(ACTION, OVERDUE), (TARGETS[0], OVERDUE)}
    assert all(s.recipients == ("do-manager",) for s in sent)  # inactive people are not told


def test_concluded_case_timeliness_uses_the_conclusion_date(org):
    enquiry = concluded(org, "malicious", on=date(2025, 1, 6))
    assert [t["met"] for t in enquiry.targets()] == [True, True, True]
    assert timezone.localdate(enquiry.received_at) == date(2025, 1, 6)
