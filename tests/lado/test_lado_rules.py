"""The rules the law and practice expect of the Designated Officer (issue 12), one test per rule
(docs/rules.md names each): retention under Keeping Children Safe in Education Part 4, the first
meeting clock, what Working Together and the annual report need recorded, concluding without a
meeting, month targets on working days, cancelled enquiries in the outcomes, the ageing of open
cases and the calendar recount."""

from __future__ import annotations

import importlib
from datetime import date, datetime, time, timedelta

import pytest
from django.apps import apps as global_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lado import clocks, services
from lado.models import (
    Action,
    Category,
    CategoryRetention,
    Enquiry,
    Meeting,
    RetentionRule,
    RetentionRuleChange,
    TimelineEvent,
)
from lado.reminders import FIRST_MEETING
from lado.selectors import figures, with_next_due
from reports import disclosure, selectors, tables
from reports.periods import reporting_year
from workflows.clocks import Rag, as_of
from workflows.exceptions import TransitionRefused
from workflows.models import ClosureDay, ReminderLog
from workflows.reminders import DUE_SOON, DUE_TODAY, OVERDUE, run_sweep

from tests.support.auth import login
from tests.support.reports_helpers import enquiry as report_enquiry
from tests.support.lado_fixtures import at, client_for, hold_meeting, in_progress, log, meet

pytestmark = pytest.mark.django_db
S = Enquiry.Status


def conclude_later(org, outcome, received: date, concluded_on: date, **overrides) -> Enquiry:
    """A case received on one day and concluded on a later one, through the services."""
    with as_of(received):
        enquiry = in_progress(org, received_at=at(received), **overrides)
    with as_of(concluded_on):
        return services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome=outcome)


def awaiting_meeting(org, decided: date, **overrides) -> Enquiry:
    with as_of(decided):
        return meet(org, log(org, received_at=at(decided), **overrides))


# --- Retention (Keeping Children Safe in Education, Part 4) ---------------------------------------------


@pytest.mark.parametrize("outcome", ["unfounded", "substantiated", "unsubstantiated"])
def test_unfounded_kept_until_pension_age_or_ten_years(org, outcome):
    """Received 6 January 2025, concluded 2 June 2025: kept until the subject's 67th birthday, or
    10 years from the allegation (not from closing) when that is later."""
    young = conclude_later(org, outcome, date(2025, 1, 6), date(2025, 6, 2), subject_date_of_birth=date(1980, 5, 17))
    assert young.retention_review_on == date(2047, 5, 17)
    near_pension = conclude_later(org, outcome, date(2025, 1, 6), date(2025, 6, 2),
                                  subject_date_of_birth=date(1960, 1, 1))
    assert near_pension.retention_review_on == date(2035, 1, 6)  # 10 years from the allegation
    rule = RetentionRule.objects.get(closure=outcome)
    assert (rule.years, rule.counted_from, rule.until_retirement, rule.retirement_age) == (10, "allegation", True, 67)


def test_false_and_malicious_follow_the_authoritys_own_rule(org):
    """Removed from personnel records; how long the DO's own record is kept is local: no minimum."""
    for outcome in ("false", "malicious"):
        rule = RetentionRule.objects.get(closure=outcome)
        services.retention_rule_change(rule=rule, actor=org.do_manager, years=1, until_retirement=False,
                                       retirement_age=None, reason="Local policy")
        case = conclude_later(org, outcome, date(2025, 1, 6), date(2025, 6, 2))
        assert case.retention_review_on == date(2026, 6, 2)  # one year after closing, as the rule says


def test_pension_age_is_a_setting_and_the_floor_for_the_statutory_rules(org, settings):
    settings.LADO_PENSION_AGE = 68
    rule = RetentionRule.objects.get(closure="unfounded")
    problems = services.check_retention_rule(closure="unfounded", years=10, counted_from="allegation",
                                             until_retirement=True, retirement_age=67)
    assert set(problems) == {"retirement_age"} and "68" in problems["retirement_age"]
    services.retention_rule_change(rule=rule, actor=org.do_manager, years=10, counted_from="allegation",
                                   until_retirement=True, retirement_age=68, reason="State pension age 68")
    case = conclude_later(org, "unfounded", date(2025, 1, 6), date(2025, 6, 2), subject_date_of_birth=date(1980, 5, 17))
    assert case.retention_review_on == date(2048, 5, 17)


@pytest.mark.parametrize("closure", ["substantiated", "unsubstantiated", "unfounded"])
@pytest.mark.parametrize("change, field", [
    ({"years": 1}, "years"),                    # the seeded unfounded rule was one year
    ({"years": 9}, "years"),
    ({"until_retirement": False}, "until_retirement"),
    ({"retirement_age": 60}, "retirement_age"),
])
def test_retention_rule_shorter_than_statutory_minimum_refused(org, client, closure, change, field):
    rule = RetentionRule.objects.get(closure=closure)
    before = str(rule)
    values = {"years": 10, "counted_from": "allegation", "until_retirement": True, "retirement_age": 67} | change
    with pytest.raises(ValidationError) as refused:
        services.retention_rule_change(rule=rule, actor=org.do_manager, reason="Shorter", **values)
    assert set(refused.value.message_dict) == {field}
    assert "Keeping Children Safe in Education" in refused.value.message_dict[field][0]
    # The DO Manager's page says why, with the same words (one check for both).
    login(client, org.do_manager)
    form = {"years": str(values["years"]), "counted_from": "allegation", "retirement_age": str(values["retirement_age"]),
            "reason": "Shorter"} | ({"until_retirement": "on"} if values["until_retirement"] else {})
    response = client.post(f"/lado/retention/rules/{rule.pk}/", form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Keeping Children Safe in Education keeps substantiated, unsubstantiated and unfounded" in page
    assert f'href="#id_{field}"' in page  # the error summary links to the field
    assert str(RetentionRule.objects.get(pk=rule.pk)) == before and not RetentionRuleChange.objects.exists()


def test_a_longer_or_closing_based_statutory_rule_is_allowed(org):
    rule = RetentionRule.objects.get(closure="substantiated")
    assert services.check_retention_rule(closure="substantiated", years=10, counted_from="closing",
                                         until_retirement=True, retirement_age=67) == {}
    change = services.retention_rule_change(rule=rule, actor=org.do_manager, years=15, counted_from="closing",
                                            until_retirement=True, retirement_age=67, reason="Board decision")
    assert "15 years after closing" in change.after


def test_case_without_date_of_birth_is_flagged(org, client):
    """Kept until pension age, but no date of birth: the case page, the retention review list and
    the API flag it (the review date counts the years alone)."""
    with as_of(date(2014, 1, 6)):
        flagged = in_progress(org, received_at=at(date(2014, 1, 6)), subject_date_of_birth=None)
        services.enquiry_conclude(enquiry=flagged, actor=org.designated_officer, outcome="unfounded")
        known = in_progress(org, received_at=at(date(2014, 1, 6)), subject_date_of_birth=date(1950, 1, 1))
        services.enquiry_conclude(enquiry=known, actor=org.designated_officer, outcome="unfounded")
    flagged.refresh_from_db()
    assert flagged.retention_review_on == date(2024, 1, 6)  # 10 years: due for review now
    open_case = meet(org, log(org, subject_date_of_birth=None))
    not_met = log(org, subject_date_of_birth=None)
    advised = services.enquiry_decide(enquiry=log(org, subject_date_of_birth=None), actor=org.designated_officer,
                                      threshold_met=False, criteria=[], rationale="Below the threshold")
    assert [e.retention_needs_date_of_birth for e in (flagged, known, open_case, not_met, advised)] == [
        True, False, True, False, False]

    login(client, org.do_manager)
    page = client.get(f"/lado/{flagged.pk}/").content.decode()
    assert 'id="retention-date-of-birth-flag"' in page and "No date of birth for the subject" in page
    assert 'id="retention-date-of-birth-flag"' not in client.get(f"/lado/{known.pk}/").content.decode()
    review = client.get("/lado/retention/").content.decode()
    flagged_row = review.split(flagged.reference)[1].split("</tr>")[0]
    known_row = review.split(known.reference)[1].split("</tr>")[0]
    assert "No date of birth" in flagged_row and "No date of birth" not in known_row

    api = client_for(org.do_manager)
    assert api.get(f"/api/lado/enquiries/{flagged.pk}/").json()["retention_needs_date_of_birth"] is True
    listed = {row["reference"]: row["retention_needs_date_of_birth"]
              for row in api.get("/api/lado/enquiries/").json()["results"]}
    assert listed[flagged.reference] is True and listed[known.reference] is False
    assert listed[open_case.reference] is True and listed[not_met.reference] is False
    due = {row["reference"]: row["retention_needs_date_of_birth"]
           for row in api.get("/api/lado/retention-review/").json()}
    assert due == {flagged.reference: True, known.reference: False}


def test_a_category_keeps_its_allegations_longer(org, client):
    """The DO Manager gives sexual abuse a longer period with the retention rules: its
    substantiated, unsubstantiated and unfounded cases are recalculated, each on its timeline;
    false and malicious ones keep their own rule."""
    sexual = Category.objects.get(slug="sexual")
    unfounded = conclude_later(org, "unfounded", date(2025, 1, 6), date(2025, 6, 2), category=sexual,
                               subject_date_of_birth=date(1960, 1, 1))
    false = conclude_later(org, "false", date(2025, 1, 6), date(2025, 6, 2), category=sexual)
    physical = conclude_later(org, "unfounded", date(2025, 1, 6), date(2025, 6, 2),
                              subject_date_of_birth=date(1960, 1, 1))
    false_review = false.retention_review_on
    login(client, org.do_manager)
    rules_page = client.get("/lado/retention/rules/").content.decode()
    url = f"/lado/retention/categories/{sexual.pk}/"
    assert url in rules_page and "Longer periods by category" in rules_page
    refused = client.post(url, {"years": "8", "reason": "Too short"})
    assert refused.status_code == 400 and "Enter more than 10 years" in refused.content.decode()
    assert client.post(url, {"years": "25", "reason": ""}).status_code == 400
    response = client.post(url, {"years": "25", "note": "Inquiry retention moratorium",
                                 "reason": "Child sexual abuse records kept longer"})
    assert response.status_code == 302 and response["Location"] == "/lado/retention/rules/"
    assert CategoryRetention.objects.get(category=sexual).years == 25
    unfounded.refresh_from_db()
    false.refresh_from_db()
    physical.refresh_from_db()
    assert unfounded.retention_review_on == date(2050, 1, 6)  # 25 years from the allegation
    assert false.retention_review_on == false_review
    assert physical.retention_review_on == date(2035, 1, 6)
    event = unfounded.timeline.get(action=TimelineEvent.Event.RETENTION_RULE_APPLIED)
    assert event.actor == org.do_manager and "Child sexual abuse records kept longer" in event.note
    change = RetentionRuleChange.objects.get()
    assert (change.category, change.rule, change.cases_changed) == (sexual, None, 1)
    assert "at least 25 years" in change.after
    # Blank removes it: back to the outcome rule.
    services.category_retention_change(category=sexual, actor=org.do_manager, years=None, reason="Ended")
    unfounded.refresh_from_db()
    assert unfounded.retention_review_on == date(2035, 1, 6) and not CategoryRetention.objects.exists()
    with pytest.raises(PermissionDenied):
        services.category_retention_change(category=sexual, actor=org.designated_officer, years=30, reason="x")
    login(client, org.designated_officer)
    assert client.get(url).status_code == 403


def test_migration_fixes_the_unfounded_rule_and_recalculates_existing_cases(org):
    """The data migration of issue 12 on cases recorded under the old rules: the one-year
    unfounded rule is replaced, the seeded substantiated rule counts from the allegation, a rule
    the authority made longer stays, and each closed case gets its new review date on its
    timeline and in its history; open cases' month targets move off non-working days and a case
    awaiting its first meeting gets the clock."""
    migration = importlib.import_module("lado.migrations.0011_kcsie_retention_and_working_day_targets")
    RetentionRule.objects.filter(closure="unfounded").update(
        years=1, until_retirement=False, counted_from="closing", note="Reviewed for removal after one year.")
    RetentionRule.objects.filter(closure="substantiated").update(
        years=10, until_retirement=True, retirement_age=67, counted_from="closing", note=migration.SEEDED_NOTE)
    RetentionRule.objects.filter(closure="unsubstantiated").update(
        years=15, until_retirement=True, retirement_age=67, counted_from="closing", note="Our own")
    unfounded = conclude_later(org, "unfounded", date(2025, 1, 6), date(2025, 6, 2),
                               subject_date_of_birth=date(1980, 5, 17))
    substantiated = conclude_later(org, "substantiated", date(2025, 1, 6), date(2025, 6, 2),
                                   subject_date_of_birth=date(1950, 1, 1))
    hand_set = conclude_later(org, "unfounded", date(2025, 1, 6), date(2025, 6, 2))
    Enquiry.objects.filter(pk=hand_set.pk).update(retention_set_by_hand=True)
    assert unfounded.retention_review_on == date(2026, 6, 2)  # the old rule: a year after closing
    with as_of(date(2025, 1, 31)):
        weekend = log(org, received_at=at(date(2025, 1, 31)))
    waiting = awaiting_meeting(org, date(2025, 4, 17))
    Enquiry.objects.filter(pk=weekend.pk).update(target_3_due=date(2026, 1, 31))  # a Saturday
    Enquiry.objects.filter(pk=waiting.pk).update(first_meeting_due=None)

    migration.fix_retention(global_apps, None)
    migration.working_day_clocks(global_apps, None)

    rules = {rule.closure: rule for rule in RetentionRule.objects.all()}
    assert (rules["unfounded"].years, rules["unfounded"].counted_from, rules["unfounded"].until_retirement) == (
        10, "allegation", True)
    assert rules["substantiated"].counted_from == "allegation"
    assert (rules["unsubstantiated"].years, rules["unsubstantiated"].counted_from) == (15, "closing")
    for case, review in ((unfounded, date(2047, 5, 17)), (substantiated, date(2035, 1, 6)),
                         (hand_set, hand_set.retention_review_on)):
        case.refresh_from_db()
        assert case.retention_review_on == review
    event = unfounded.timeline.get(action=TimelineEvent.Event.RETENTION_RULE_APPLIED)
    assert "17 May 2047 (was 2 June 2026)" in event.note and event.actor is None
    assert unfounded.history.first().retention_review_on == date(2047, 5, 17)
    assert not hand_set.timeline.filter(action=TimelineEvent.Event.RETENTION_RULE_APPLIED).exists()
    weekend.refresh_from_db()
    waiting.refresh_from_db()
    assert weekend.target_3_due == date(2026, 2, 2)
    assert waiting.first_meeting_due == date(2025, 4, 28)
    assert "12 months target 2 February 2026" in weekend.timeline.get(
        action=TimelineEvent.Event.DEADLINES_RECALCULATED).note


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
    data = client_for(org.designated_officer).get(f"/api/lado/enquiries/{enquiry.pk}/").json()
    assert data["first_meeting_due"] == "2025-04-28"
    listed = client_for(org.designated_officer).get("/api/lado/enquiries/").json()["results"]
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


# --- What Working Together and the annual report need recorded ------------------------------------------


RECORD = {
    "incident_on": date(2023, 9, 1), "employer_aware_on": date(2025, 4, 16), "police_reference": "CR/123/25",
    "criminal_outcome": "no-further-action", "criminal_outcome_detail": "Insufficient evidence to charge.",
    "subject_told": True, "subject_told_on": date(2025, 4, 17), "parents_told": False,
    "dbs_referral": "referred", "dbs_decision": "not-barred", "dbs_decision_on": date(2025, 4, 17),
}


def test_the_case_records_what_working_together_and_the_annual_report_need(org, client):
    with as_of(date(2025, 4, 17)):
        enquiry = log(org, received_at=at(date(2025, 4, 17)), **RECORD)
    assert enquiry.is_non_recent is True  # the incident was 12 months or more before the referral
    assert enquiry.referred_within_one_working_day is True  # aware Wednesday, referred Thursday
    # Aware Thursday 17 April, referred Tuesday 22 April: Good Friday and Easter Monday do not count.
    easter = log(org, received_at=at(date(2025, 4, 22)), employer_aware_on=date(2025, 4, 17))
    late = log(org, received_at=at(date(2025, 4, 22)), employer_aware_on=date(2025, 4, 16),
               incident_on=date(2025, 4, 10))
    assert easter.referred_within_one_working_day is True and easter.is_non_recent is None
    assert late.referred_within_one_working_day is False and late.is_non_recent is False
    login(client, org.designated_officer)
    page = client.get(f"/lado/{enquiry.pk}/").content.decode()
    for text in ("1 September 2023", "Non-recent", "Referred within one working day", "CR/123/25",
                 "No further action", "Insufficient evidence to charge.", "Yes, 17 April 2025",
                 "Referred to the DBS", "Decision: Not barred, 17 April 2025"):
        assert text in page, text
    assert "Not referred within one working day" in client.get(f"/lado/{late.pk}/").content.decode()
    data = client_for(org.designated_officer).get(f"/api/lado/enquiries/{enquiry.pk}/").json()
    assert (data["incident_on"], data["non_recent"], data["referred_within_one_working_day"]) == (
        "2023-09-01", True, True)
    assert (data["criminal_outcome"], data["subject_told"], data["parents_told"], data["dbs_decision"]) == (
        "no-further-action", True, False, "not-barred")


def _dates(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def test_the_record_is_completed_through_the_edit_page_and_the_api(org, client):
    enquiry = log(org)
    login(client, org.designated_officer)
    url = f"/lado/{enquiry.pk}/edit/"
    form = client.get(url).content.decode()
    assert "Date of the alleged incident" in form and "Has the subject been told of the allegation?" in form
    received = timezone.localtime(enquiry.received_at)
    post = {
        **_dates("received_on", received.date()), "received_time": received.strftime("%H:%M"), "how": "phone",
        "summary": enquiry.summary, "category": "physical", "subject_name": "Robert Miles",
        **_dates("subject_date_of_birth", date(1980, 5, 17)), "subject_role": "Teaching assistant",
        "subject_employer": "St Mary's Primary", "employment_basis": "permanent", "sector": "public",
        "setting": "education", "referral_source": "education", "referrer_name": "Jane Head",
        "referrer_organisation": "St Mary's Primary", "officer": org.designated_officer.pk,
        "police_reference": "CR/9/25", "subject_told": "yes", "criminal_outcome": "charged",
        "dbs_referral": "", "dbs_decision": "barred",
    }
    refused = client.post(url, post)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Enter the date the subject was told" in page
    assert "A DBS decision follows a referral to the DBS: record the referral first" in page
    post |= {**_dates("subject_told_on", received.date()), "dbs_decision": ""}
    response = client.post(url, post)
    assert response.status_code == 302, response.content.decode()[:3000]
    enquiry.refresh_from_db()
    assert (enquiry.police_reference, enquiry.subject_told, enquiry.subject_told_on, enquiry.criminal_outcome) == (
        "CR/9/25", True, received.date(), "charged")
    assert enquiry.timeline.last().note == (
        "Changed: police reference, criminal outcome, subject told, date the subject was told.")

    api = client_for(org.designated_officer)
    case_url = f"/api/lado/enquiries/{enquiry.pk}/"
    response = api.patch(case_url, {"parents_told": False, "parents_told_on": "2025-01-01"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"parents_told_on"}
    response = api.patch(case_url, {"incident_on": "2099-01-01"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"incident_on"}
    response = api.patch(case_url, {"criminal_outcome": "hanged"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"criminal_outcome"}
    response = api.patch(case_url, {"dbs_referral": "referred", "dbs_decision": "barred"}, format="json")
    assert response.status_code == 200 and response.json()["dbs_decision"] == "barred"


def test_the_incident_and_employer_dates_cannot_follow_the_referral(org):
    with as_of(date(2025, 4, 17)):
        for field in ("incident_on", "employer_aware_on"):
            with pytest.raises(ValidationError) as refused:
                log(org, received_at=at(date(2025, 4, 17)), **{field: date(2025, 4, 18)})
            assert set(refused.value.message_dict) == {field}


def test_strategy_discussion_is_a_meeting_kind(org):
    enquiry = awaiting_meeting(org, date(2025, 4, 17))
    with as_of(date(2025, 4, 18)):
        meeting = hold_meeting(org, enquiry, kind="strategy", held_on=date(2025, 4, 18))
    assert meeting.get_kind_display() == "Strategy discussion"
    assert "Strategy discussion held on 18 April 2025" in Enquiry.objects.get(pk=enquiry.pk).timeline.last().note


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
    api_url = f"/api/lado/enquiries/{enquiry.pk}/conclude-without-meeting/"
    response = api.post(api_url, {"outcome": "false", "reason": "Disproved"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"outcome"}
    assert "needs an allegation management meeting first" in response.json()["outcome"][0]
    assert api.post(api_url, {"outcome": "malicious"}, format="json").status_code == 400
    response = client.post(url, {"outcome": "unfounded", "reason": "No basis at all"})
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.status == S.CONCLUDED and enquiry.no_meeting_reason == "No basis at all"
    # Concluded: the same move is a 409 whatever the body, in the API and on the page.
    assert api.post(api_url, {}, format="json").status_code == 409
    assert client.post(url, {"outcome": "unfounded", "reason": "again"}).status_code == 409
    assert client_for(org.iro).post(api_url, {}, format="json").status_code == 403


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


# --- Outcomes in the reports --------------------------------------------------------------------


def test_cancelled_before_decision_on_its_own_row(org, client):
    with as_of(date(2025, 4, 17)):
        before = services.enquiry_cancel(enquiry=log(org, received_at=at(date(2025, 4, 17))),
                                         actor=org.designated_officer, reason="Referrer withdrew")
        after = services.enquiry_cancel(enquiry=meet(org, log(org, received_at=at(date(2025, 4, 17)))),
                                        actor=org.designated_officer, reason="Police took over")
        advised = services.enquiry_decide(enquiry=log(org, received_at=at(date(2025, 4, 17))),
                                          actor=org.designated_officer, threshold_met=False, criteria=[],
                                          rationale="Below the threshold")
    rows = [clocks.outcome_row(status=e.status, threshold_met=e.threshold_met, outcome=e.outcome)
            for e in (before, after, advised)]
    assert rows == ["cancelled_before_decision", "cancelled", "advice_given"]
    # The same rule in the database, and as the importer states a case (outcome "cancelled").
    for case, row in zip((before, after, advised), rows):
        assert list(Enquiry.objects.filter(clocks.outcome_row_filter(row))) == [case]
    assert clocks.closing_status(threshold_met=None, outcome="cancelled") == "cancelled"
    assert clocks.closing_status(threshold_met=True, outcome="cancelled") == "cancelled"
    do = figures(date(2025, 4, 1), date(2026, 3, 31))
    assert do["outcomes"]["cancelled"] == 1 and do["cancelled_before_decision"] == 1
    report = selectors.annual_report(2025)["designated_officer"]
    assert report["outcomes"]["cancelled"] == 1 and report["outcomes"]["total"] == 1
    assert report["cancelled_before_decision"] == 1
    login(client, org.do_manager)
    csv_text = client.get("/reports/annual/?year=2025&format=csv").content.decode()
    assert "Cancelled after the threshold was met,1" in csv_text
    assert "Total (threshold met),1" in csv_text
    assert "Cancelled before a threshold decision (not in the total),1" in csv_text


def _action(org, case, kind, day, **extra):
    return Action.objects.create(enquiry=case, kind=kind, owner_name="Owner", recorded_by=org.designated_officer,
                                 recorded_at=timezone.make_aware(datetime.combine(day, time(10))), **extra)


def test_annual_report_shows_open_cases_by_age_decisions_within_a_working_day_and_actions(org, client):
    """Open at 31 March 2026 by time since referral; threshold decisions made in the year by their
    due date; cases with a police investigation, suspension, DBS or regulator referral action
    recorded in the year."""
    for received, count in ((date(2026, 3, 10), 2), (date(2026, 1, 15), 1), (date(2025, 9, 1), 3),
                            (date(2024, 12, 1), 1)):
        for _ in range(count):
            report_enquiry(org, received, S.IN_PROGRESS, threshold_met=True)
    # closed after the year ended: still open on 31 March
    report_enquiry(org, date(2025, 6, 2), S.CONCLUDED, threshold_met=True, outcome="false",
                   closed_on=date(2026, 4, 10))
    # closed within the year: not open at the end
    report_enquiry(org, date(2025, 6, 2), S.CONCLUDED, threshold_met=True, outcome="false",
                   closed_on=date(2026, 3, 1))
    on_time = report_enquiry(org, date(2025, 5, 6), S.IN_PROGRESS, threshold_met=True)
    late = report_enquiry(org, date(2025, 5, 6), S.IN_PROGRESS, threshold_met=True)
    Enquiry.objects.filter(pk=on_time.pk).update(decided_on=date(2025, 5, 7))
    Enquiry.objects.filter(pk=late.pk).update(decided_on=date(2025, 5, 9))
    for kind in ("police-investigation", "police-investigation", "suspension"):
        _action(org, on_time, kind, date(2025, 6, 1))
    _action(org, late, "police-investigation", date(2025, 6, 1))
    _action(org, late, "dbs-referral", date(2026, 4, 2))  # next year
    _action(org, late, "regulator-referral", date(2025, 7, 1), regulator="tra")
    do = selectors.annual_report(2025)["designated_officer"]
    assert do["open_at_end"] == {"under_1_month": 2, "1_to_3_months": 1, "3_to_12_months": 6,
                                 "over_12_months": 1, "total": 10}
    assert do["decisions"] == {"made": 2, "within_timescale": 1, "within_timescale_percent": 50.0,
                               "working_days": 1}
    assert do["actions"] == {"police_investigations": 2, "suspensions": 1, "dbs_referrals": 0,
                             "regulator_referrals": 1}
    # The DO team sees them; an auditor sees the ended year with small counts suppressed.
    login(client, org.do_manager)
    rows = client.get("/reports/annual/?year=2025&format=csv").content.decode()
    assert "Over 12 months,1" in rows and "Total open,10" in rows and "Police investigation,2" in rows
    assert "Made within 1 working day of receipt (%),50.0" in rows
    with as_of(date(2026, 4, 20)):
        outsider, how = disclosure.designated_officer_for(org.auditor, do, reporting_year(2025),
                                                          tables.vocabulary_names())
    assert outsider["open_at_end"]["3_to_12_months"] == 6 and outsider["open_at_end"]["total"] == 10
    assert outsider["open_at_end"]["over_12_months"] is None and outsider["actions"]["suspensions"] is None
    assert outsider["decisions"]["within_timescale_percent"] is None
    assert {"open_at_end.over_12_months", "actions.suspensions", "decisions.within_timescale_percent",
            "cancelled_before_decision"} <= set(how["suppressed"])
    # A lone small band would come back from the total: a second one goes with it.
    assert sum(value is None for value in outsider["open_at_end"].values()) >= 2
    api = client_for(org.auditor)
    with as_of(date(2026, 4, 20)):
        body = api.get("/api/reports/annual/?year=2025").json()
    assert body["designated_officer"]["open_at_end"]["3_to_12_months"] == 6
    assert "actions.suspensions" in body["designated_officer_disclosure"]["suppressed"]


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


# --- Refusal order in the API --------------------------------------------------------------------


@pytest.mark.parametrize("move", ["decide", "meetings", "actions", "conclude", "conclude-without-meeting", "cancel"])
def test_a_move_the_status_refuses_is_409_before_its_input_is_read(org, move):
    """State 409, permission 403, input 400, in that order: a DO move on a closed case with an
    empty body is refused for the case's status, not for the missing fields."""
    closed = services.enquiry_cancel(enquiry=log(org), actor=org.designated_officer, reason="Withdrawn")
    url = f"/api/lado/enquiries/{closed.pk}/{move}/"
    response = client_for(org.designated_officer).post(url, {}, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["detail"].startswith(f"{closed.reference} is cancelled, so ")
    open_case = log(org)
    assert client_for(org.iro_manager).post(f"/api/lado/enquiries/{open_case.pk}/{move}/", {},
                                            format="json").status_code == 403


def test_a_subject_access_request_includes_what_is_now_recorded(org):
    """The subject's right of access covers the police reference, criminal outcome, who was told
    and the DBS decision recorded on their case."""
    from subject_access.records import ThirdParties, enquiry_records

    with as_of(date(2025, 4, 17)):
        enquiry = log(org, received_at=at(date(2025, 4, 17)), **RECORD)
    fields = dict(enquiry_records(Enquiry.objects.filter(pk=enquiry.pk), ThirdParties())[0]["fields"])
    assert fields["Police reference"] == "CR/123/25" and fields["Criminal outcome"] == "No further action"
    assert (fields["Subject told"], fields["Parents told"]) == ("Yes, 17 April 2025", "No")
    assert (fields["DBS referral"], fields["DBS decision"]) == ("Referred to the DBS", "Not barred")
    assert fields["Date of the alleged incident"] == "1 September 2023"
