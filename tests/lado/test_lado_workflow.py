"""The Designated Officer state machine through the services: every move, every refusal, the
harm-test rule, history with the actor and a reason, and one timeline event per change."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lado import services
from lado.models import Action, Category, Enquiry, Meeting, TimelineEvent
from workflows.clocks import as_of, today
from workflows.exceptions import TransitionRefused

from tests.support.lado_fixtures import (
    advise,
    at,
    concluded,
    hold_meeting,
    in_progress,
    log,
    meet,
    non_do_users,
)

pytestmark = pytest.mark.django_db
Status = Enquiry.Status


def test_logging_starts_awaiting_decision_with_a_reference_and_a_timeline(org):
    enquiry = log(org)
    assert enquiry.reference == "DO-00001"
    assert enquiry.status == Status.AWAITING_DECISION
    assert enquiry.officer == org.designated_officer and enquiry.logged_by == org.designated_officer
    assert [(e.action, e.to_status, e.actor) for e in enquiry.timeline.all()] == [
        ("logged", "awaiting_decision", org.designated_officer)]
    record = enquiry.history.get()
    assert (record.history_user, record.history_change_reason) == (org.designated_officer, "Logged")
    assert log(org).reference == "DO-00002"


def test_only_the_summary_is_needed_to_log_and_received_defaults_to_now(org):
    enquiry = services.enquiry_log(actor=org.do_manager, summary="Caller worried about a coach.")
    assert enquiry.received_on == today()
    assert enquiry.subject_name == "" and enquiry.category is None
    with pytest.raises(ValidationError) as exc:
        services.enquiry_log(actor=org.designated_officer, summary="  ")
    assert "summary" in exc.value.message_dict


def test_received_in_the_future_is_refused(org):
    with pytest.raises(ValidationError) as exc:
        log(org, received_at=at(today() + timedelta(days=1)))
    assert "received_at" in exc.value.message_dict
    assert not Enquiry.objects.exists()


@pytest.mark.parametrize("who", ["iro", "iro_manager", "social_worker", "director", "complaints",
                                 "business_support", "auditor"])
def test_only_the_do_team_logs(org, who):
    with pytest.raises(PermissionDenied):
        log(org, actor=getattr(org, who))


def test_a_superuser_without_a_do_role_cannot_log_or_move_a_case(org):
    superuser = non_do_users(org)[-1]
    assert superuser.is_superuser
    with pytest.raises(PermissionDenied):
        log(org, actor=superuser)
    enquiry = log(org)
    with pytest.raises(PermissionDenied):
        meet(org, enquiry, actor=superuser)


def test_threshold_met_then_meeting_then_review_then_conclusion(org):
    enquiry = meet(org, log(org), criteria=["harmed", "criminal-offence"])
    assert enquiry.status == Status.AWAITING_MEETING
    assert enquiry.criteria == ["harmed", "criminal-offence"] and enquiry.threshold_met is True
    assert (enquiry.decided_on, enquiry.decided_by) == (today(), org.designated_officer)

    hold_meeting(org, enquiry, next_review_on=today() + timedelta(days=20))
    enquiry.refresh_from_db()
    assert enquiry.status == Status.IN_PROGRESS
    assert enquiry.next_review_on == today() + timedelta(days=20)

    hold_meeting(org, enquiry, kind=Meeting.Kind.REVIEW, next_review_on=today() + timedelta(days=40))
    enquiry.refresh_from_db()
    assert enquiry.status == Status.IN_PROGRESS and enquiry.next_review_on == today() + timedelta(days=40)

    enquiry = services.enquiry_conclude(enquiry=enquiry, actor=org.do_manager, outcome="unsubstantiated")
    assert (enquiry.status, enquiry.outcome, enquiry.closed_on) == (Status.CONCLUDED, "unsubstantiated", today())
    assert [e.action for e in enquiry.timeline.all()] == [
        "logged", "threshold-met", "meeting-held", "meeting-held", "concluded"]
    assert [(e.from_status, e.to_status) for e in enquiry.timeline.all()][1:3] == [
        ("awaiting_decision", "awaiting_meeting"), ("awaiting_meeting", "in_progress")]


def test_threshold_not_met_closes_with_advice(org):
    enquiry = advise(org, log(org))
    assert (enquiry.status, enquiry.threshold_met, enquiry.closed_on) == (Status.ADVICE_GIVEN, False, today())
    assert enquiry.advice == "Employer to follow its own procedures."
    assert enquiry.criteria == []
    assert enquiry.timeline.last().action == "advice-given"


def test_a_consultation_below_threshold_needs_no_subject_identity(org):
    enquiry = log(org, subject_name="", subject_date_of_birth=None, subject_employer="", subject_role="")
    enquiry = advise(org, enquiry)
    assert enquiry.status == Status.ADVICE_GIVEN and enquiry.subject_name == ""


def test_threshold_met_needs_the_subject_named(org):
    enquiry = log(org, subject_name="")
    with pytest.raises(ValidationError) as exc:
        meet(org, enquiry)
    assert "subject_name" in exc.value.message_dict
    assert Enquiry.objects.get().status == Status.AWAITING_DECISION


def test_the_decision_needs_category_sector_and_setting(org):
    enquiry = log(org, category=None, sector=None, setting=None)
    with pytest.raises(ValidationError) as exc:
        advise(org, enquiry)
    assert {"category", "sector", "setting"} <= set(exc.value.message_dict)


@pytest.mark.parametrize("threshold_met,criteria", [(True, []), (False, ["harmed"]), (True, ["not-a-criterion"])])
def test_harm_test_rule_met_iff_at_least_one_criterion(org, threshold_met, criteria):
    enquiry = log(org)
    with pytest.raises(ValidationError) as exc:
        services.enquiry_decide(enquiry=enquiry, actor=org.designated_officer, threshold_met=threshold_met,
                                criteria=criteria, rationale="Because")
    assert "criteria" in exc.value.message_dict
    enquiry.refresh_from_db()
    assert enquiry.status == Status.AWAITING_DECISION and enquiry.decided_on is None
    assert enquiry.timeline.count() == 1


@pytest.mark.parametrize("criteria", [["harmed"], ["criminal-offence"], ["risk-of-harm"], ["unsuitable"],
                                      ["harmed", "criminal-offence", "risk-of-harm", "unsuitable"]])
def test_any_criterion_meets_the_threshold(org, criteria):
    enquiry = meet(org, log(org), criteria=criteria)
    assert enquiry.status == Status.AWAITING_MEETING and enquiry.criteria == criteria


def test_the_rationale_is_required(org):
    with pytest.raises(ValidationError) as exc:
        services.enquiry_decide(enquiry=log(org), actor=org.designated_officer, threshold_met=True,
                                criteria=["harmed"], rationale=" ")
    assert "rationale" in exc.value.message_dict


def _moves(org, enquiry):
    """Every move, with valid input, as (name, callable)."""
    do = org.designated_officer
    return {
        "decide": lambda: meet(org, enquiry),
        "advise": lambda: advise(org, enquiry),
        "meeting": lambda: hold_meeting(org, enquiry, held_on=today()),
        "action": lambda: services.enquiry_add_action(enquiry=enquiry, actor=do, kind="suspension",
                                                      owner_name="Head teacher"),
        "conclude": lambda: services.enquiry_conclude(enquiry=enquiry, actor=do, outcome="false"),
        "cancel": lambda: services.enquiry_cancel(enquiry=enquiry, actor=do, reason="Withdrawn"),
        "update": lambda: services.enquiry_update(enquiry=enquiry, actor=do, subject_role="Coach"),
    }


ALLOWED = {
    Status.AWAITING_DECISION: {"decide", "advise", "cancel", "update"},
    Status.AWAITING_MEETING: {"meeting", "action", "cancel", "update"},
    Status.IN_PROGRESS: {"meeting", "action", "conclude", "cancel", "update"},
    Status.ADVICE_GIVEN: set(),
    Status.CONCLUDED: set(),
    Status.CANCELLED: set(),
}


def _case_in(org, status):
    if status == Status.AWAITING_DECISION:
        return log(org)
    if status == Status.AWAITING_MEETING:
        return meet(org, log(org))
    if status == Status.IN_PROGRESS:
        return in_progress(org)
    if status == Status.ADVICE_GIVEN:
        return advise(org, log(org))
    if status == Status.CONCLUDED:
        return concluded(org)
    return services.enquiry_cancel(enquiry=log(org), actor=org.designated_officer, reason="Withdrawn")


@pytest.mark.parametrize("status", list(ALLOWED))
def test_every_move_is_allowed_or_refused_by_status(org, status):
    for move in ["decide", "advise", "meeting", "action", "conclude", "cancel", "update"]:
        enquiry = _case_in(org, status)
        before = (enquiry.status, enquiry.timeline.count(), enquiry.history.count())
        call = _moves(org, enquiry)[move]
        if move in ALLOWED[status]:
            call()
        else:
            with pytest.raises(TransitionRefused) as exc:
                call()
            assert enquiry.reference in exc.value.message, move
            fresh = Enquiry.objects.get(pk=enquiry.pk)
            assert (fresh.status, fresh.timeline.count(), fresh.history.count()) == before, move


def test_conclude_before_any_meeting_is_refused(org):
    enquiry = meet(org, log(org))
    with pytest.raises(TransitionRefused, match="awaiting meeting"):
        services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="false")


def test_cancel_from_every_open_status_records_the_reason(org):
    for status in Enquiry.OPEN_STATUSES:
        enquiry = _case_in(org, status)
        enquiry = services.enquiry_cancel(enquiry=enquiry, actor=org.designated_officer, reason="Referral withdrawn")
        assert (enquiry.status, enquiry.cancel_reason, enquiry.closed_on) == (
            Status.CANCELLED, "Referral withdrawn", today())
        event = enquiry.timeline.last()
        assert (event.action, event.from_status, event.note) == ("cancelled", status, "Referral withdrawn")
    with pytest.raises(ValidationError) as exc:
        services.enquiry_cancel(enquiry=log(org), actor=org.designated_officer, reason="")
    assert "reason" in exc.value.message_dict


@pytest.mark.parametrize("outcome", list(Enquiry.Outcome.values))
def test_every_outcome_can_be_recorded(org, outcome):
    enquiry = concluded(org, outcome)
    assert enquiry.outcome == outcome and enquiry.closure == outcome
    assert f"Outcome: {enquiry.get_outcome_display()}." in enquiry.timeline.last().note


def test_conclusion_validates_outcome_and_date(org):
    enquiry = in_progress(org)
    for kwargs, field in [({"outcome": "guilty"}, "outcome"),
                          ({"outcome": "false", "concluded_on": today() + timedelta(days=1)}, "concluded_on"),
                          ({"outcome": "false", "concluded_on": enquiry.received_on - timedelta(days=1)},
                           "concluded_on")]:
        with pytest.raises(ValidationError) as exc:
            services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, **kwargs)
        assert field in exc.value.message_dict
    enquiry = services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="false",
                                        concluded_on=enquiry.received_on)
    assert enquiry.closed_on == enquiry.received_on


def test_meeting_validation_names_the_field(org):
    enquiry = meet(org, log(org))
    cases = [
        (dict(kind="lunch"), "kind"),
        (dict(held_on=today() + timedelta(days=1)), "held_on"),
        (dict(held_on=enquiry.received_on - timedelta(days=1)), "held_on"),
        (dict(attendees=" "), "attendees"),
        (dict(decisions=""), "decisions"),
        (dict(next_review_on=today()), "next_review_on"),
    ]
    for override, field in cases:
        args = dict(kind="initial", held_on=today(), attendees="A, DO", decisions="Police to investigate")
        args.update(override)
        with pytest.raises(ValidationError) as exc:
            services.enquiry_record_meeting(enquiry=enquiry, actor=org.designated_officer, **args)
        assert field in exc.value.message_dict, override
    assert Enquiry.objects.get().status == Status.AWAITING_MEETING and not Meeting.objects.exists()


def test_the_latest_meeting_sets_the_next_review(org):
    enquiry = in_progress(org)
    hold_meeting(org, enquiry, kind="review", held_on=today(), next_review_on=today() + timedelta(days=30))
    hold_meeting(org, enquiry, kind="outcome", held_on=today(), next_review_on=None)
    enquiry.refresh_from_db()
    assert enquiry.next_review_on is None


def test_actions_record_regulators_and_employer_outcomes_and_are_completed(org):
    enquiry = in_progress(org)
    do = org.designated_officer
    referral = services.enquiry_add_action(enquiry=enquiry, actor=do, kind="regulator-referral", regulator="tra",
                                           owner_name="Jane Head", owner_agency="St Mary's",
                                           due_on=today() + timedelta(days=10))
    assert referral.description == "Regulator referral: Teaching Regulation Agency (TRA)"
    with pytest.raises(ValidationError) as exc:
        services.enquiry_add_action(enquiry=enquiry, actor=do, kind="regulator-referral", owner_name="x")
    assert "regulator" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.enquiry_add_action(enquiry=enquiry, actor=do, kind="suspension", owner_name="x", regulator="gmc")
    assert "regulator" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.enquiry_add_action(enquiry=enquiry, actor=do, kind="suspension", owner_name="")
    assert "owner_name" in exc.value.message_dict
    outcome = services.enquiry_add_action(enquiry=enquiry, actor=do, kind="employer-outcome",
                                          owner_name="HR", due_on=today() + timedelta(days=30))
    outcome = services.enquiry_update_action(action=outcome, actor=do, done_on=today(),
                                             employer_outcome="final-warning")
    assert outcome.done_on == today() and outcome.employer_outcome == "final-warning"
    assert enquiry.timeline.filter(action="action-updated").get().note.startswith(
        "Employer outcome: Final warning: done")
    assert Action.history.filter(id=outcome.pk).count() == 2
    with pytest.raises(ValidationError):
        services.enquiry_update_action(action=referral, actor=do, employer_outcome="dismissal")


@pytest.mark.parametrize("kind", list(Action.Kind.values))
def test_every_kind_of_action(org, kind):
    enquiry = meet(org, log(org))
    extra = {"regulator": "ofsted"} if kind == "regulator-referral" else {}
    action = services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind=kind,
                                         owner_name="Owner", due_on=today() + timedelta(days=5), **extra)
    assert action.kind == kind and enquiry.timeline.filter(action="action-added").count() == 1


def test_actions_can_be_completed_after_the_outcome_but_not_added(org):
    enquiry = in_progress(org)
    dbs = services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="dbs-referral",
                                      owner_name="Employer")
    enquiry = services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="substantiated")
    services.enquiry_update_action(action=dbs, actor=org.designated_officer, done_on=today())
    with pytest.raises(TransitionRefused):
        services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="suspension",
                                    owner_name="x")


def test_details_can_be_completed_while_open_with_history(org):
    enquiry = log(org, subject_name="", category=None)
    children_before = list(enquiry.children.all())
    enquiry = services.enquiry_update(enquiry=enquiry, actor=org.do_manager, subject_name="Robert Miles",
                                      category=Category.objects.get(slug="sexual"),
                                      children=[org.child, org.sibling])
    assert enquiry.subject_name == "Robert Miles" and enquiry.category.slug == "sexual"
    assert children_before == [] and set(enquiry.children.all()) == {org.child, org.sibling}
    event = enquiry.timeline.last()
    assert event.action == "updated" and event.actor == org.do_manager
    assert "subject name" in event.note and "category" in event.note and "children" in event.note
    assert enquiry.history.first().history_user == org.do_manager
    # nothing changed: no event
    services.enquiry_update(enquiry=enquiry, actor=org.do_manager, subject_name="Robert Miles")
    assert enquiry.timeline.count() == 2


def test_correcting_received_at_moves_the_clocks(org):
    enquiry = log(org, received_at=at(date(2025, 3, 3)))
    enquiry = services.enquiry_update(enquiry=enquiry, actor=org.designated_officer,
                                      received_at=at(date(2025, 3, 7)))
    assert (enquiry.received_on, enquiry.decision_due, enquiry.target_1_due) == (
        date(2025, 3, 7), date(2025, 3, 10), date(2025, 4, 7))


def test_every_change_has_history_with_actor_and_reason(org):
    enquiry = in_progress(org)
    reasons = list(enquiry.history.order_by("history_id").values_list("history_change_reason", "history_user"))
    assert reasons == [("Logged", org.designated_officer.pk), ("Threshold met", org.designated_officer.pk),
                       ("Initial allegation management meeting held", org.designated_officer.pk)]
    meeting = enquiry.meetings.get()
    assert meeting.history.get().history_change_reason == "Initial allegation management meeting recorded"


def test_timeline_events_are_append_only(org):
    event = log(org).timeline.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        TimelineEvent.objects.all().delete()


def test_earlier_enquiries_about_the_same_subject_are_linked(org):
    from lado.selectors import subject_history

    with as_of(date(2024, 5, 1)):
        first = log(org, received_at=at(date(2024, 5, 1)))
    with as_of(date(2025, 1, 6)):
        # same name (other case and spacing) and date of birth, new employer
        second = log(org, received_at=at(date(2025, 1, 6)), subject_name="  robert   MILES ",
                     subject_employer="Oak Academy")
    # same name and employer, date of birth unknown
    third = log(org, subject_date_of_birth=None, subject_employer="st mary's primary")
    # same name only: a different person
    log(org, subject_date_of_birth=date(1990, 1, 1), subject_employer="Elsewhere")
    # no name
    anonymous = log(org, subject_name="")
    assert subject_history(second) == ([first], [])  # date of birth matches the first
    assert subject_history(third) == ([first], [])  # employer matches the first, not the second
    assert subject_history(first) == ([], [third, second])
    assert subject_history(anonymous) == ([], [])
