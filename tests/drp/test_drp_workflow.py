"""The DRP procedure as the services enforce it: stages, clocks, permissions, history."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from drp import services
from drp.models import DisputeResolution, Stage, Theme, TimelineEvent
from tests.support.factories import cp_child, resolution
from workflows.calendar import add_working_days
from workflows.clocks import Rag, as_of
from workflows.exceptions import TransitionRefused

Status = DisputeResolution.Status
pytestmark = pytest.mark.django_db


def stage(key):
    return Stage.objects.get(key=key)


def raise_drp(org, **overrides):
    kwargs = dict(actor=org.iro, children=[org.child], case_type="CLA",
                  themes=[Theme.objects.get(slug="drift-and-delay")], concern="Plan drifting")
    kwargs.update(overrides)
    return services.drp_raise(**kwargs)


def test_raising_starts_informal_addressed_to_the_allocated_social_worker(org):
    with as_of(date(2026, 11, 23)):
        drp = raise_drp(org)
    assert drp.reference.startswith("DRP-")
    assert drp.status == Status.AWAITING_RESPONSE
    assert drp.stage.key == "informal"
    assert drp.addressee == org.social_worker
    assert drp.team == org.team
    # The informal stage's default 10 working days from Monday 23 November 2026: Monday 7 December.
    assert drp.stage_due_date == date(2026, 12, 7)
    # The formal clock has not started at the informal stage.
    assert drp.overall_due_date is None
    event = drp.timeline.get()
    assert (event.action, event.actor, event.to_stage) == ("raised", org.iro, "informal")


def test_raising_at_a_formal_stage_starts_the_overall_clock(org):
    with as_of(date(2026, 12, 14)):
        drp = raise_drp(org, stage=stage("stage-2"))
    assert drp.addressee == org.service_manager
    # A formal stage's default 5 working days: Monday 21 December.
    assert drp.stage_due_date == date(2026, 12, 21)
    # The overall 20 skip Christmas Day, the Boxing Day substitute (28th) and New Year's Day.
    assert drp.overall_due_date == date(2027, 1, 14)
    assert drp.formal_started_on == date(2026, 12, 14)


def test_recorded_after_the_event_clocks_count_from_the_date_raised(org):
    drp = raise_drp(org, raised_on=date(2026, 3, 30), stage=stage("stage-1"))
    assert drp.stage_started_on == date(2026, 3, 30)
    # Five working days over Easter (Good Friday 3 April, Easter Monday 6 April 2026).
    assert drp.stage_due_date == add_working_days(date(2026, 3, 30), 5) == date(2026, 4, 8)
    assert drp.stage_clock(on=date(2026, 11, 25)).rag == Rag.OVERDUE


def test_a_drp_cannot_be_raised_in_the_future(org):
    with as_of(date(2026, 11, 25)), pytest.raises(ValidationError) as excinfo:
        raise_drp(org, raised_on=date(2026, 11, 26))
    assert "raised_on" in excinfo.value.message_dict
    assert not DisputeResolution.objects.exists()


@pytest.mark.parametrize("field,value", [("children", []), ("themes", []), ("concern", "  "),
                                         ("case_type", "XX")])
def test_raising_requires_children_themes_concern_and_case_type(org, field, value):
    with pytest.raises(ValidationError) as excinfo:
        raise_drp(org, **{field: value})
    assert field in excinfo.value.message_dict


@pytest.mark.parametrize("who", ["social_worker", "team_manager", "designated_officer", "complaints",
                                 "business_support", "auditor"])
def test_only_iros_chairs_and_iro_managers_raise(org, who):
    with pytest.raises(PermissionDenied):
        raise_drp(org, actor=getattr(org, who))


@pytest.mark.parametrize("who", ["iro", "chair", "iro_manager"])
def test_iros_chairs_and_iro_managers_raise(org, who):
    assert raise_drp(org, actor=getattr(org, who)).raised_by == getattr(org, who)


def test_full_journey_respond_escalate_respond_resolve(org):
    with as_of(date(2026, 11, 2)):
        drp = raise_drp(org)
    with as_of(date(2026, 11, 9)):
        drp = services.drp_respond(drp=drp, actor=org.social_worker, response="Assessment booked")
    assert drp.status == Status.AWAITING_REVIEW
    with as_of(date(2026, 11, 10)):
        drp = services.drp_escalate(drp=drp, actor=org.iro, reason="Assessment not started")
    assert (drp.status, drp.stage.key, drp.addressee) == (Status.AWAITING_RESPONSE, "stage-1", org.team_manager)
    assert drp.stage_started_on == date(2026, 11, 10)
    assert drp.overall_due_date == add_working_days(date(2026, 11, 10), 20)
    with as_of(date(2026, 11, 12)):
        drp = services.drp_respond(drp=drp, actor=org.team_manager, response="Started today")
    with as_of(date(2026, 11, 13)):
        drp = services.drp_resolve(drp=drp, actor=org.iro, **resolution("Assessment under way"))
    assert drp.status == Status.RESOLVED
    assert drp.closed_on == date(2026, 11, 13)
    assert drp.closed_at_stage.key == "stage-1"
    actions = list(drp.timeline.values_list("action", "from_stage", "to_stage"))
    assert actions == [
        ("raised", "", "informal"), ("responded", "informal", "informal"),
        ("escalated", "informal", "stage-1"), ("responded", "stage-1", "stage-1"),
        ("resolved", "stage-1", ""),
    ]
    records = list(drp.stage_records.values_list("stage__key", "response", "ended_on"))
    assert records == [("informal", "Assessment booked", date(2026, 11, 10)),
                       ("stage-1", "Started today", date(2026, 11, 13))]


def test_history_records_actor_and_reason_for_every_change(org):
    drp = raise_drp(org)
    drp = services.drp_escalate(drp=drp, actor=org.chair, reason="No reply in time")
    latest = drp.history.first()
    assert latest.history_user == org.chair
    assert latest.history_change_reason == "No reply in time"
    assert latest.stage.key == "stage-1"
    assert drp.history.count() == 2


def test_iro_may_escalate_without_a_reply_and_jump_to_a_later_stage(org):
    drp = raise_drp(org)
    drp = services.drp_escalate(drp=drp, actor=org.iro, reason="Serious harm", stage=stage("stage-4"))
    assert drp.stage.key == "stage-4"
    assert drp.addressee == org.assistant_director


def test_escalating_to_the_same_or_an_earlier_stage_is_refused(org):
    drp = raise_drp(org, stage=stage("stage-2"))
    with pytest.raises(TransitionRefused, match="later stage"):
        services.drp_escalate(drp=drp, actor=org.iro, reason="x", stage=stage("stage-1"))
    drp.refresh_from_db()
    assert drp.stage.key == "stage-2"
    assert drp.timeline.count() == 1


def test_nothing_escalates_past_the_last_stage(org):
    drp = raise_drp(org, stage=stage("stage-5"))
    assert drp.addressee == org.director
    with pytest.raises(TransitionRefused, match="last stage"):
        services.drp_escalate(drp=drp, actor=org.iro, reason="Further")


def test_stage_two_is_answered_by_the_service_manager_not_the_team_manager(org):
    drp = raise_drp(org, stage=stage("stage-2"))
    with pytest.raises(PermissionDenied):
        services.drp_respond(drp=drp, actor=org.team_manager, response="Not mine")
    with pytest.raises(PermissionDenied):
        services.drp_respond(drp=drp, actor=org.iro, response="IROs do not answer")
    drp = services.drp_respond(drp=drp, actor=org.service_manager, response="On it")
    assert drp.status == Status.AWAITING_REVIEW


def test_a_manager_outside_the_childs_line_cannot_respond(org):
    from tests.support.factories import UserFactory
    other_tm = UserFactory(username="south-tm", roles=["team-manager"], team=org.other_team)
    org.other_team.manager = other_tm
    org.other_team.save()
    drp = raise_drp(org, stage=stage("stage-1"))
    with pytest.raises(PermissionDenied):
        services.drp_respond(drp=drp, actor=other_tm, response="Not my team")


def test_informal_stage_answered_by_social_worker_or_team_manager(org):
    drp = raise_drp(org)
    drp = services.drp_respond(drp=drp, actor=org.team_manager, response="Covering for the social worker")
    assert drp.status == Status.AWAITING_REVIEW


def test_responding_twice_is_refused_with_a_clear_message(org):
    drp = raise_drp(org)
    drp = services.drp_respond(drp=drp, actor=org.social_worker, response="Done")
    with pytest.raises(TransitionRefused, match="awaiting iro review, so it cannot be responded to"):
        services.drp_respond(drp=drp, actor=org.social_worker, response="Again")


@pytest.mark.parametrize("closing", ["resolve", "withdraw"])
def test_closed_drps_refuse_every_move(org, closing):
    drp = raise_drp(org)
    if closing == "resolve":
        drp = services.drp_resolve(drp=drp, actor=org.iro, **resolution("Sorted"))
    else:
        drp = services.drp_withdraw(drp=drp, actor=org.iro, reason="Not needed")
    calls = [
        lambda: services.drp_respond(drp=drp, actor=org.social_worker, response="x"),
        lambda: services.drp_escalate(drp=drp, actor=org.iro, reason="x"),
        lambda: services.drp_resolve(drp=drp, actor=org.iro, **resolution("x")),
        lambda: services.drp_withdraw(drp=drp, actor=org.iro, reason="x"),
        lambda: services.drp_refer_to_cafcass(drp=drp, actor=org.iro, reason="x"),
    ]
    for call in calls:
        with pytest.raises(TransitionRefused):
            call()
    assert drp.timeline.count() == 2


def test_withdraw_records_the_stage_it_closed_at(org):
    drp = raise_drp(org, stage=stage("stage-3"))
    drp = services.drp_withdraw(drp=drp, actor=org.iro_manager, reason="Child moved authority")
    assert (drp.status, drp.closed_at_stage.key) == (Status.WITHDRAWN, "stage-3")
    assert drp.timeline.last().note == "Child moved authority"


def test_looked_after_child_can_be_referred_to_cafcass_and_stays_open(org):
    drp = raise_drp(org, case_type="CLA")
    drp = services.drp_refer_to_cafcass(drp=drp, actor=org.iro, reason="Permanence drift")
    assert drp.referred_to_cafcass and drp.referred_to_cafcass_on is not None
    assert drp.status == Status.AWAITING_RESPONSE
    with pytest.raises(TransitionRefused, match="already been referred"):
        services.drp_refer_to_cafcass(drp=drp, actor=org.iro, reason="Again")


def test_child_protection_drp_cannot_be_referred_to_cafcass(org):
    drp = raise_drp(org, case_type="CP", children=[cp_child(org)])
    with pytest.raises(TransitionRefused, match="looked-after"):
        services.drp_refer_to_cafcass(drp=drp, actor=org.iro, reason="x")
    drp.refresh_from_db()
    assert not drp.referred_to_cafcass


def test_missing_reason_names_the_field_and_changes_nothing(org):
    drp = raise_drp(org)
    with pytest.raises(ValidationError) as excinfo:
        services.drp_escalate(drp=drp, actor=org.iro, reason=" ")
    assert "reason" in excinfo.value.message_dict
    drp.refresh_from_db()
    assert drp.stage.key == "informal" and drp.timeline.count() == 1


def test_timeline_events_are_append_only(org):
    drp = raise_drp(org)
    event = drp.timeline.get()
    event.note = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        TimelineEvent.objects.filter(drp=drp).update(note="x")


def test_references_are_sequential(org):
    first = raise_drp(org)
    second = raise_drp(org)
    assert int(second.reference.split("-")[1]) == int(first.reference.split("-")[1]) + 1
