"""The reminder sweep: each DRP rule across weekends and bank holidays, exactly once."""

from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command

from drp import services
from drp.models import Stage, Theme
from notifications.models import Notification
from workflows.clocks import as_of
from workflows.models import ReminderLog
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, run_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def twenty_day_stages(db):
    """An authority whose every stage allows the whole overall limit (20 working days): the
    sweep's mechanics below are the same whatever the ladder; the defaults' own reminders are
    in tests/drp/test_drp_deadline_rules.py and test_drp_review_rules.py."""
    Stage.objects.update(working_days=20)


def raise_on(org, day, stage="stage-1", **kw):
    with as_of(day):
        return services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                  themes=[Theme.objects.get(slug="placement")], concern="x",
                                  stage=Stage.objects.get(key=stage), **kw)


def sent(on, kinds=("drp-stage", "drp-overall")):
    Notification.objects.all().delete()
    return {(r.kind, r.phase): set(r.recipients) for r in run_sweep(on, kinds=kinds)}


def test_stage_due_within_five_working_days_reminds_the_addressee(org):
    # Raised Monday 2 Nov 2026 at Stage 1: due 20 working days later, Monday 30 Nov.
    drp = raise_on(org, date(2026, 11, 2))
    assert drp.stage_due_date == date(2026, 11, 30)
    # Friday 20 Nov is 6 working days before: nothing yet.
    assert sent(date(2026, 11, 20), ["drp-stage"]) == {}
    # Monday 23 Nov is 5 working days before (the weekend does not count).
    assert sent(date(2026, 11, 23), ["drp-stage"]) == {("drp-stage", DUE_SOON): {"team-manager"}}
    # The next day the same reminder is not sent again.
    assert sent(date(2026, 11, 24), ["drp-stage"]) == {}


def test_due_soon_window_counts_working_days_over_christmas(org):
    # Raised Monday 30 Nov 2026: 20 working days is Wednesday 30 Dec (25th and 28th are holidays).
    drp = raise_on(org, date(2026, 11, 30))
    assert drp.stage_due_date == date(2026, 12, 30)
    # 21 Dec to 30 Dec: 22, 23, 24, 29, 30 = 5 working days, so the reminder goes on the 21st;
    # on Friday 18 Dec it is still 6 working days away.
    assert sent(date(2026, 12, 18), ["drp-stage"]) == {}
    assert sent(date(2026, 12, 21), ["drp-stage"]) == {("drp-stage", DUE_SOON): {"team-manager"}}


def test_stage_due_today_reminds_addressee_and_iro(org):
    raise_on(org, date(2026, 11, 2))
    assert sent(date(2026, 11, 30), ["drp-stage"]) == {("drp-stage", DUE_TODAY): {"team-manager", "iro"}}


def test_stage_two_overdue_reminds_addressee_their_manager_the_iro_and_iro_manager(org):
    raise_on(org, date(2026, 11, 2), stage="stage-2")
    assert sent(date(2026, 12, 1), ["drp-stage"]) == {
        ("drp-stage", OVERDUE): {"service-manager", "head-of-service", "iro", "iro-manager"}}
    body = Notification.objects.filter(recipient=org.iro).get().body
    assert "consider escalating" in body


def test_overall_formal_limit_breached_reminds_iro_and_iro_manager(org):
    drp = raise_on(org, date(2026, 11, 2))
    with as_of(date(2026, 11, 3)):
        services.drp_respond(drp=drp, actor=org.team_manager, response="ok")
    # Awaiting review: no stage reminder, but the overall limit (30 Nov) still runs.
    assert sent(date(2026, 12, 1)) == {("drp-overall", OVERDUE): {"iro", "iro-manager"}}


def test_a_sweep_missed_for_days_catches_up_once(org):
    raise_on(org, date(2026, 11, 2))
    # No sweep ran from 23 Nov to 30 Nov; on 1 Dec the overdue reminder goes, once.
    first = sent(date(2026, 12, 1), ["drp-stage"])
    assert list(first) == [("drp-stage", OVERDUE)]
    assert sent(date(2026, 12, 2), ["drp-stage"]) == {}


def test_running_the_sweep_twice_sends_each_reminder_once(org):
    first_drp = raise_on(org, date(2026, 11, 2))
    second_drp = raise_on(org, date(2026, 11, 3))
    first = run_sweep(date(2026, 12, 1))
    again = run_sweep(date(2026, 12, 1))
    # First DRP: Stage 1 overdue and overall limit passed; second: Stage 1 due today (its overall
    # limit is due today too, which is not yet a breach).
    stage_record = {drp.pk: drp.stage_records.get().pk for drp in (first_drp, second_drp)}
    assert sorted((r.kind, r.object_id, r.phase) for r in first) == sorted([
        ("drp-overall", first_drp.pk, OVERDUE), ("drp-stage", stage_record[first_drp.pk], OVERDUE),
        ("drp-stage", stage_record[second_drp.pk], DUE_TODAY)])
    assert again == []
    assert ReminderLog.objects.count() == 3


def test_an_escalated_stage_gets_no_stale_reminder(org):
    drp = raise_on(org, date(2026, 11, 2), stage="informal")
    with as_of(date(2026, 11, 20)):
        services.drp_escalate(drp=drp, actor=org.iro, reason="No reply")
    # The informal deadline (30 Nov) no longer applies to the social worker; Stage 1, addressed
    # to the team manager, is due 18 Dec.
    reminders = sent(date(2026, 11, 30), ["drp-stage"])
    assert reminders == {}
    assert sent(date(2026, 12, 11), ["drp-stage"]) == {("drp-stage", DUE_SOON): {"team-manager"}}


def test_a_response_stops_stage_reminders(org):
    drp = raise_on(org, date(2026, 11, 2))
    with as_of(date(2026, 11, 10)):
        services.drp_respond(drp=drp, actor=org.team_manager, response="Done")
    assert sent(date(2026, 12, 1), ["drp-stage"]) == {}


def test_closed_drps_get_no_reminders(org):
    drp = raise_on(org, date(2026, 11, 2))
    with as_of(date(2026, 11, 4)):
        services.drp_withdraw(drp=drp, actor=org.iro, reason="x")
    assert sent(date(2026, 12, 1)) == {}


def test_reminder_emails_are_sent_once_to_each_recipient(org):
    raise_on(org, date(2026, 11, 2), stage="stage-2")
    mail.outbox.clear()
    with pytest.MonkeyPatch.context() as mp:
        from django.db import transaction
        mp.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())
        run_sweep(date(2026, 12, 1), kinds=["drp-stage"])
        run_sweep(date(2026, 12, 1), kinds=["drp-stage"])
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"{u}@example.org" for u in ["service-manager", "head-of-service", "iro", "iro-manager"])


@pytest.mark.parametrize("open_deadlines", [2, 40])
def test_sweep_cost_does_not_grow_with_open_deadlines_that_are_not_due(
        org, open_deadlines, django_assert_max_num_queries):
    for _ in range(open_deadlines):
        raise_on(org, date(2026, 11, 2))
    # One indexed query per kind and phase (3 stage phases + overall), nothing per deadline.
    with django_assert_max_num_queries(4):
        assert run_sweep(date(2026, 11, 5), kinds=["drp-stage", "drp-overall"]) == []


def test_run_reminders_command_prints_what_it_sent(org, capsys):
    raise_on(org, date(2026, 11, 2))
    call_command("run_reminders", "--today", "2026-12-01")
    out = capsys.readouterr().out
    assert "drp-stage" in out and "overdue" in out and "reminders sent" in out
    call_command("run_reminders", "--today", "2026-12-01")
    assert "0 reminders sent" in capsys.readouterr().out


@pytest.mark.parametrize("kinds", [["drp-stage"], ["drp-overall"]])
def test_sweep_statements_are_fixed_per_kind_and_phase_not_per_reminder(org, kinds):
    """Set-based: the due rows, one claim in the log, the recipients together, one insert of
    notifications. Three reminders or thirty cost the same statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.models import Notification

    def statements(count, day):
        for _ in range(count):
            raise_on(org, day, stage="stage-2")
        overdue = date(2027, 1, 5) if day.year == 2026 else date(2027, 3, 5)
        before = Notification.objects.count()
        with CaptureQueriesContext(connection) as captured:
            sent = run_sweep(overdue, kinds=kinds)
        assert len(sent) == count
        # The one bulk insert of notifications is one statement on PostgreSQL; SQLite caps a
        # statement at 999 parameters, so it sends as many as that cap needs, and no more.
        rows = Notification.objects.count() - before
        columns = [f for f in Notification._meta.concrete_fields if not f.primary_key]
        batches = -(-rows // connection.ops.bulk_batch_size(columns, range(rows)))
        inserts = [q for q in captured if q["sql"].startswith('INSERT INTO "notifications_notification"')]
        assert len(inserts) == batches, (len(inserts), rows)
        return len(captured) - len(inserts) + 1

    few = statements(3, date(2026, 11, 2))
    many = statements(30, date(2027, 1, 4))
    assert few == many, (few, many)
    assert many < 30  # below one statement per reminder
