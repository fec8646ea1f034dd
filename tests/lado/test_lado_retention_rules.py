"""The Designated Officer's retention rules (issue 12, docs/rules.md): how long an enquiry is
kept under Keeping Children Safe in Education Part 4, the statutory floor, categories kept longer,
and the migration that fixed the unfounded rule."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps as global_apps
from django.core.exceptions import PermissionDenied, ValidationError

from lado import services
from lado.models import (
    Category,
    CategoryRetention,
    Enquiry,
    RetentionRule,
    RetentionRuleChange,
    TimelineEvent,
)
from tests.support.auth import login
from tests.support.lado_fixtures import at, client_for, in_progress, log, meet
from tests.support.lado_rules import awaiting_meeting, conclude_later
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db


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
    assert api.get(f"/api/v1/lado/enquiries/{flagged.pk}/").json()["retention_needs_date_of_birth"] is True
    listed = {row["reference"]: row["retention_needs_date_of_birth"]
              for row in api.get("/api/v1/lado/enquiries/").json()["results"]}
    assert listed[flagged.reference] is True and listed[known.reference] is False
    assert listed[open_case.reference] is True and listed[not_met.reference] is False
    due = {row["reference"]: row["retention_needs_date_of_birth"]
           for row in api.get("/api/v1/lado/retention-review/").json()}
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
