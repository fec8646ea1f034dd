"""The DRP's clocks as the IRO Handbook (2010, 6.2) and local practice expect them: stage
deadlines inside the overall limit, one rule for where that limit starts (clock, reminders and
reports alike), a review clock once a response is in, agreed-by dates, and reminders that fall
on working days only. See docs/rules.md."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.test import override_settings
from rest_framework.test import APIClient

from drp import services
from drp.models import DisputeResolution, ImpactCode, Stage, Theme
from notifications.models import Notification
from reports import selectors as report_selectors
from tests.support.factories import ChildFactory, resolution
from workflows.calendar import get_calendar
from workflows.clocks import Rag, as_of
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, run_sweep

pytestmark = pytest.mark.django_db
Status = DisputeResolution.Status


def stage(key):
    return Stage.objects.get(key=key)


def raise_on(org, day, stage_key="stage-1", children=None, case_type="CLA"):
    with as_of(day):
        return services.drp_raise(actor=org.iro, children=children or [org.child], case_type=case_type,
                                  themes=[Theme.objects.get(slug="placement")], concern="Plan drifting",
                                  stage=stage(stage_key))


def escalate_on(org, drp, day, to=None):
    with as_of(day):
        return services.drp_escalate(drp=drp, actor=org.iro, reason="No progress",
                                     stage=stage(to) if to else None)


def respond_on(org, drp, day, **kwargs):
    with as_of(day):
        return services.drp_respond(drp=drp, actor=drp.addressee, response="We will act", **kwargs)


def sent(on, kinds):
    Notification.objects.all().delete()
    return {(r.kind, r.phase): set(r.recipients) for r in run_sweep(on, kinds=kinds)}


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
    assert client.get(f"/api/drps/{drp.pk}/").json()["review_due_date"] is None
    respond_on(org, drp, date(2026, 11, 3))
    assert client.get(f"/api/drps/{drp.pk}/").json()["review_due_date"] == "2026-11-10"
    listed = client.get("/api/drps/").json()
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
    response = client.post(f"/api/drps/{drp.pk}/respond/", {"response": "x", "agreed_by": yesterday},
                           format="json")
    assert response.status_code == 400 and "agreed_by" in response.json()
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


# --- CP or CLA, Cafcass, and sibling groups across teams ------------------------------------------

def test_case_type_must_match_the_childrens_records(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        raise_on(org, date(2026, 11, 2), case_type="CP")
    assert "Amy Example (C000001) is not recorded as having a child protection plan" in \
        exc.value.message_dict["case_type"][0]
    assert not DisputeResolution.objects.exists()


def test_case_type_mismatch_is_400_naming_the_field_in_the_api(org):
    client = APIClient()
    client.force_authenticate(org.iro)
    response = client.post("/api/drps/", {"children": [org.child.pk], "case_type": "CP",
                                          "themes": ["placement"], "concern": "x"}, format="json")
    assert response.status_code == 400 and "case_type" in response.json()


def test_cafcass_only_while_the_child_is_looked_after(org):
    from workflows.exceptions import TransitionRefused

    drp = raise_on(org, date(2026, 11, 2))
    org.child.case_type = "CP"  # the child's plan changed after the DRP was raised
    org.child.save()
    with pytest.raises(TransitionRefused, match="no longer recorded as looked after"):
        services.drp_refer_to_cafcass(drp=drp, actor=org.iro, reason="Permanence drift")


def test_siblings_in_two_teams_need_a_lead_team(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        raise_on(org, date(2026, 11, 2), children=[org.child, org.other_child])
    assert "different teams" in exc.value.message_dict["team"][0]
    with as_of(date(2026, 11, 2)):
        with pytest.raises(ValidationError) as exc:
            services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                               themes=[Theme.objects.get(slug="placement")], concern="x",
                               team=org.other_team)
    assert "one of the children" in exc.value.message_dict["team"][0]


def test_sibling_group_across_teams_is_seen_by_both_teams_and_counted_for_each(org):
    from drp.selectors import drps_visible_to
    from tests.support.factories import UserFactory

    with as_of(date(2026, 11, 2)):
        drp = services.drp_raise(actor=org.iro, children=[org.child, org.other_child], case_type="CLA",
                                 themes=[Theme.objects.get(slug="placement")], concern="x",
                                 stage=stage("stage-1"), team=org.other_team)
    assert drp.team == org.other_team
    assert set(drp.teams.all()) == {org.team, org.other_team}
    other_manager = UserFactory(username="south-manager", roles=["team-manager"], team=org.other_team)
    for reader in (org.team_manager, other_manager):
        assert drps_visible_to(reader).filter(pk=drp.pk).exists(), reader
    monthly = report_selectors.monthly_report(date(2026, 11, 1))
    by_team = {row["name"]: row["count"] for row in monthly["raised"]["by_team"]}
    assert by_team == {"North Team 1": 1, "South Team 1": 1}
    learning = {row["name"]: row["drps"]["total"] for row in report_selectors.team_learning(
        report_selectors.month_period(date(2026, 11, 1)))}
    assert learning == {"North Team 1": 1, "South Team 1": 1}


def test_lead_team_chosen_on_the_raise_page(org, client):
    from tests.support.auth import login

    login(client, org.iro)
    response = client.post("/drps/raise/", {
        "children": "C000001, C000099", "case_type": "CLA", "themes": ["placement"], "concern": "x",
        "stage": "informal"})
    page = response.content.decode()
    assert response.status_code == 200 and "different teams" in page
    assert "<details class=\"govuk-details\" open>" in page  # the error's section is open
    response = client.post("/drps/raise/", {
        "children": "C000001, C000099", "case_type": "CLA", "themes": ["placement"], "concern": "x",
        "stage": "informal", "team": org.other_team.slug})
    assert response.status_code == 302
    assert DisputeResolution.objects.get().team == org.other_team


# --- Impact for the child, and telling people ----------------------------------------------------

def test_resolution_requires_the_impact_for_the_child_coded_and_in_words(org):
    from django.core.exceptions import ValidationError

    drp = raise_on(org, date(2026, 11, 2))
    with as_of(date(2026, 11, 3)):
        with pytest.raises(ValidationError) as exc:
            services.drp_resolve(drp=drp, actor=org.iro, outcome="Plan agreed", impact="",
                                 impact_codes=[], child_informed=None, advocacy_offered=None)
    assert set(exc.value.message_dict) == {"impact", "impact_codes", "child_informed", "advocacy_offered"}
    drp.refresh_from_db()
    assert drp.status == Status.AWAITING_RESPONSE
    with as_of(date(2026, 11, 3)):
        drp = services.drp_resolve(drp=drp, actor=org.iro, **resolution(
            impact_codes=list(ImpactCode.objects.filter(slug__in=["plan-changed", "placement-stabilised"])),
            child_informed=True, advocacy_offered=True))
    assert set(drp.impact_codes.values_list("slug", flat=True)) == {"plan-changed", "placement-stabilised"}
    assert (drp.child_informed, drp.advocacy_offered) == (True, True)
    note = drp.timeline.last().note
    assert "Placement stabilised" in note and "Child told of the outcome: yes" in note


def test_impact_codes_are_local_data(org):
    ImpactCode.objects.create(slug="family-time-restored", name="Family time restored", order=6)
    client = APIClient()
    client.force_authenticate(org.iro)
    slugs = [code["slug"] for code in client.get("/api/drp/impact-codes/").json()]
    assert "family-time-restored" in slugs and "no-change" in slugs


def test_resolve_form_asks_for_impact_and_whether_the_child_was_told(org, client):
    from tests.support.auth import login

    drp = raise_on(org, date(2026, 11, 2))
    login(client, org.iro)
    response = client.post(f"/drps/{drp.pk}/resolve/", {"outcome": "Plan agreed"})
    page = response.content.decode()
    assert response.status_code == 400
    for message in ("Select at least one impact for the child",
                    "Describe the difference it has made for the child",
                    "Select yes if the child has been told the outcome",
                    "Select yes if the child has been offered an advocate"):
        assert message in page


def test_withdrawal_tells_the_addressee(org):
    drp = raise_on(org, date(2026, 11, 2), "stage-2")
    Notification.objects.all().delete()
    with as_of(date(2026, 11, 3)):
        services.drp_withdraw(drp=drp, actor=org.iro, reason="The child has moved authority")
    told = Notification.objects.get(kind="drp-withdrawn")
    assert told.recipient == org.service_manager
    assert "No response is needed" in told.body


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
