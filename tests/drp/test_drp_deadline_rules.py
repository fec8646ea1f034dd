"""The DRP's deadline rules (docs/rules.md): stage deadlines inside the overall limit, one rule for
where the overall limit starts, reminders on working days and deadlines following the calendar."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.test import override_settings

from drp import services
from drp.models import DisputeResolution, Stage
from reports import selectors as report_selectors
from tests.support.drp_rules import raise_on, respond_on, sent, stage
from tests.support.factories import resolution
from workflows.calendar import get_calendar
from workflows.clocks import Rag, as_of
from workflows.reminders import OVERDUE, run_sweep

pytestmark = pytest.mark.django_db


def escalate_on(org, drp, day, to=None):
    with as_of(day):
        return services.drp_escalate(drp=drp, actor=org.iro, reason="No progress",
                                     stage=stage(to) if to else None)


# --- Stage deadlines inside the overall limit --------------------------------------------

def test_default_ladder_gives_informal_ten_and_each_formal_stage_five_working_days():
    assert {s.key: s.working_days for s in Stage.objects.all()} == {
        "informal": 10, "stage-1": 5, "stage-2": 5, "stage-3": 5, "stage-4": 5, "stage-5": 5}


def test_stage_deadline_never_after_overall_limit(org):
    # Raised at Stage 1 on Monday 2 November 2026: the overall limit is Monday 30 November.
    drp = raise_on(org, date(2026, 11, 2))
    assert (drp.stage_due_date, drp.overall_due_date) == (date(2026, 11, 9), date(2026, 11, 30))
    # Escalated on Wednesday 25 November: Stage 2's 5 working days would end Wednesday
    # 2 December, after the overall limit, so its deadline is the overall deadline.
    drp = escalate_on(org, drp, date(2026, 11, 25))
    assert drp.stage_due_date == drp.overall_due_date == date(2026, 11, 30)
    assert drp.stage_records.get(ended_on__isnull=True).due_date == date(2026, 11, 30)
    # The stage clock turns red with the overall one, not days later.
    assert drp.stage_clock(on=date(2026, 12, 1)).rag == Rag.OVERDUE


def test_stage_deadline_never_after_overall_limit_whatever_the_ladder(org):
    Stage.objects.update(working_days=20)  # an authority whose every stage takes the whole limit
    drp = raise_on(org, date(2026, 11, 2))
    drp = escalate_on(org, drp, date(2026, 11, 9))
    assert drp.stage_due_date == drp.overall_due_date == date(2026, 11, 30)


def test_informal_stage_is_not_cut_short_by_the_overall_limit(org):
    drp = raise_on(org, date(2026, 11, 2), "informal")
    assert drp.overall_due_date is None
    assert drp.stage_due_date == date(2026, 11, 16)


def test_ladder_admin_shows_the_sum_and_warns_when_it_exceeds_the_limit(org, client):
    from tests.support.factories import UserFactory

    admin = UserFactory(username="admin-person", is_staff=True, is_superuser=True)
    from tests.support.auth import login

    login(client, admin)
    Stage.objects.filter(is_formal=True).update(working_days=4)
    page = client.get("/admin/drp/stage/").content.decode()
    assert "add up to 20 working days, within the overall limit of 20" in page
    Stage.objects.filter(key="stage-5").update(working_days=6)
    page = client.get("/admin/drp/stage/").content.decode()
    assert "add up to 22 working days, more than the overall limit of 20" in page


def test_migration_fits_an_old_ladder_and_brings_late_stage_deadlines_back(org):
    Stage.objects.update(working_days=20)
    drp = raise_on(org, date(2026, 11, 2))
    drp = escalate_on(org, drp, date(2026, 11, 9))
    # As the old rule left it: Stage 2 due 20 working days after 9 November, after the limit.
    late = date(2026, 12, 7)
    DisputeResolution.objects.filter(pk=drp.pk).update(stage_due_date=late)
    drp.stage_records.filter(ended_on__isnull=True).update(due_date=late)
    answered = raise_on(org, date(2026, 11, 2))
    answered = respond_on(org, answered, date(2026, 11, 3))
    DisputeResolution.objects.filter(pk=answered.pk).update(review_due_date=None)

    migration = __import__("drp.migrations.0012_stage_timescales_that_fit_and_review_clock",
                           fromlist=["forwards"])
    migration.forwards(apps, None)

    assert {s.key: s.working_days for s in Stage.objects.all()}["stage-2"] == 5
    drp.refresh_from_db()
    assert drp.stage_due_date == drp.overall_due_date == date(2026, 11, 30)
    assert drp.stage_records.get(ended_on__isnull=True).due_date == date(2026, 11, 30)
    answered.refresh_from_db()
    assert answered.review_due_date == date(2026, 11, 10)


def test_migration_keeps_a_ladder_the_authority_has_set(org):
    Stage.objects.update(working_days=20)
    Stage.objects.filter(key="stage-1").update(working_days=3)
    migration = __import__("drp.migrations.0012_stage_timescales_that_fit_and_review_clock",
                           fromlist=["forwards"])
    migration.forwards(apps, None)
    assert Stage.objects.get(key="stage-1").working_days == 3
    assert Stage.objects.get(key="stage-2").working_days == 20


# --- One rule for where the overall limit starts --------------------------------------------

def resolved_in_report(drp, month):
    return report_selectors.monthly_report(month)["resolution"]


@pytest.mark.parametrize("counted_from,overall_due,within", [
    # From the first formal stage (the Handbook): Stage 1 began 25 November, so the limit
    # runs to 23 December and a resolution on 22 December is in time.
    ("formal", date(2026, 12, 23), 1),
    # From the date raised (the seed's authority): 2 November + 20 working days = 30 November,
    # so the same resolution is late.
    ("raised", date(2026, 11, 30), 0),
])
def test_timescale_setting_is_used_alike_by_clock_reminders_and_report(org, counted_from, overall_due, within):
    with override_settings(DRP_TIMESCALE_FROM=counted_from):
        drp = raise_on(org, date(2026, 11, 2), "informal")
        drp = escalate_on(org, drp, date(2026, 11, 25))
        assert drp.overall_due_date == overall_due
        # The clock on the page and the reminder sweep: the same date.
        assert drp.overall_clock(on=date(2026, 12, 1)).rag == (
            Rag.OVERDUE if counted_from == "raised" else Rag.ON_TRACK)
        overall = sent(date(2026, 12, 1), ["drp-overall"])
        assert bool(overall) == (counted_from == "raised")
        with as_of(date(2026, 12, 22)):
            services.drp_resolve(drp=drp, actor=org.iro, **resolution("Plan agreed"))
        res = resolved_in_report(drp, date(2026, 12, 1))
        assert (res["with_overall_clock"], res["within_timescale"], res["timescale_from"]) == (1, within, counted_from)


def test_report_names_the_timescale_rule_in_its_footnote(org, client):
    from tests.support.auth import login

    login(client, org.iro_manager)
    page = client.get("/reports/monthly/?month=2026-11").content.decode()
    assert "20 working days from the start of the first formal stage" in page
    assert "FOOTPRINT_DRP_TIMESCALE_FROM" in page
    with override_settings(DRP_TIMESCALE_FROM="raised"):
        page = client.get("/reports/monthly/?month=2026-11").content.decode()
    assert "20 working days from the date the DRP was raised" in page


# --- Reminders on working days ---------------------------------------------------------------------

def test_overdue_reminder_waits_for_the_first_working_day_after_christmas(org):
    # Raised Thursday 17 December 2026 at Stage 1: due Thursday 24 December.
    drp = raise_on(org, date(2026, 12, 17))
    assert drp.stage_due_date == date(2026, 12, 24)
    for holiday in (date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 27), date(2026, 12, 28)):
        assert sent(holiday, ["drp-stage"]) == {}, holiday
    assert list(sent(date(2026, 12, 29), ["drp-stage"])) == [("drp-stage", OVERDUE)]


def test_no_reminder_is_sent_on_a_weekend_or_bank_holiday(org):
    calendar = get_calendar()
    start = date(2026, 11, 30)
    for offset in range(0, 20, 3):
        drp = raise_on(org, start + timedelta(days=offset))
        if offset % 2:
            respond_on(org, drp, start + timedelta(days=offset + 1), agreed_by=start + timedelta(days=offset + 9))
    days_with_reminders = set()
    for offset in range(60):
        day = start + timedelta(days=offset)
        if run_sweep(day):
            days_with_reminders.add(day)
    assert days_with_reminders, "the scenario sends reminders"
    assert all(calendar.is_working_day(day) for day in days_with_reminders)


# --- Deadlines follow the calendar --------------------------------------------------------------

def test_adding_a_closure_day_moves_open_deadlines_and_says_so(org, client):
    from tests.support.auth import login
    from tests.support.factories import UserFactory
    from workflows.models import ClosureDay

    drp = raise_on(org, date(2026, 11, 2))  # Stage 1 due Monday 9 November; overall 30 November
    answered = respond_on(org, raise_on(org, date(2026, 11, 2)), date(2026, 11, 3))  # review due 10 Nov
    closed = raise_on(org, date(2026, 11, 2))
    with as_of(date(2026, 11, 3)):
        services.drp_withdraw(drp=closed, actor=org.iro, reason="Raised in error")
    admin = UserFactory(username="admin-person", is_staff=True, is_superuser=True)
    login(client, admin)
    response = client.post("/admin/workflows/closureday/add/",
                           {"date": "2026-11-06", "description": "Office move"})
    assert response.status_code == 302
    drp.refresh_from_db()
    assert (drp.stage_due_date, drp.overall_due_date) == (date(2026, 11, 10), date(2026, 12, 1))
    assert drp.stage_records.get().due_date == date(2026, 11, 10)
    event = drp.timeline.last()
    assert (event.action, event.actor) == ("deadlines-recalculated", admin)
    assert event.note.startswith("6 November 2026 is now a closure day (Office move): ")
    assert "Stage 1 response due 10 November 2026 (was 9 November 2026)" in event.note
    answered.refresh_from_db()
    assert answered.review_due_date == date(2026, 11, 11)
    closed.refresh_from_db()
    assert closed.timeline.last().action == "withdrawn"  # closed DRPs keep their dates

    # Removing it again brings them back.
    ClosureDay.objects.get(date=date(2026, 11, 6)).delete()
    drp.refresh_from_db()
    assert (drp.stage_due_date, drp.overall_due_date) == (date(2026, 11, 9), date(2026, 11, 30))
    assert "6 November 2026 is a working day again" in drp.timeline.last().note


def test_a_closure_day_outside_every_deadline_moves_nothing(org):
    from workflows.models import ClosureDay

    drp = raise_on(org, date(2026, 11, 2))
    ClosureDay.objects.create(date=date(2027, 3, 1), description="Later")
    drp.refresh_from_db()
    assert drp.stage_due_date == date(2026, 11, 9)
    assert drp.timeline.count() == 1
