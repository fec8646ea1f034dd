"""Report figures (reports.selectors) on hand-built data: every definition, the year boundary on
31 March / 1 April, variance and direction, the spike rule, and constant queries."""

from datetime import date

import pytest
from django.test import override_settings

from drp.models import Stage, Theme
from lado.models import Enquiry
from reports import selectors
from reports.periods import BadPeriod, parse_month, parse_year, reporting_year, reporting_year_of
from workflows.clocks import as_of

from tests.support.reports_helpers import RESOLVED, WITHDRAWN, drp, enquiry, practice

pytestmark = pytest.mark.django_db
LADDER = ["informal", "stage-1", "stage-2", "stage-3", "stage-4", "stage-5"]
S = Enquiry.Status


# --- Periods ------------------------------------------------------------------------------

def test_reporting_year_runs_1_april_to_31_march():
    assert reporting_year(2017).as_dict() == {"start": "2017-04-01", "end": "2018-03-31"}
    assert reporting_year_of(date(2018, 3, 31)) == 2017
    assert reporting_year_of(date(2018, 4, 1)) == 2018


@pytest.mark.parametrize("value", ["17", "abcd", "2017-18", "1999", "20170"])
def test_bad_years_name_the_year(value):
    with pytest.raises(BadPeriod) as exc:
        parse_year(value)
    assert exc.value.field == "year"


@pytest.mark.parametrize("value", ["2025-13", "2025-3", "March", "2025-00"])
def test_bad_months_name_the_month(value):
    with pytest.raises(BadPeriod) as exc:
        parse_month(value)
    assert exc.value.field == "month"


def test_month_defaults_to_last_month():
    from workflows.clocks import as_of
    with as_of(date(2025, 1, 15)):
        assert parse_month(None) == date(2024, 12, 1)


# --- Annual: DRP section ------------------------------------------------------------------

def test_annual_shape_is_exactly_as_documented(org):
    report = selectors.annual_report(2017)
    assert set(report) == {"year", "period", "drp", "designated_officer"}
    assert report["year"] == 2017 and report["period"] == {"start": "2017-04-01", "end": "2018-03-31"}
    assert set(report["drp"]) == {"raised", "positive_practice", "closed_at_stage",
                                  "closed_at_stage_of_raised", "themes"}
    for key in ("raised", "positive_practice"):
        assert set(report["drp"][key]) == {"CP", "CLA"}
        assert set(report["drp"][key]["CP"]) == {"this_year", "last_year", "variance", "direction"}
    assert list(report["drp"]["closed_at_stage"]["CP"]) == LADDER + ["total"]
    active = set(Theme.objects.filter(active=True).values_list("slug", flat=True))
    assert set(report["drp"]["themes"]["CLA"]) == active and set(report["drp"]["themes"]["CP"]) == active
    do = report["designated_officer"]
    assert {"enquiries", "met_threshold", "advice_given", "decisions", "outcomes", "cancelled_before_decision",
            "timeliness", "open_at_end", "actions", "by_sector", "by_setting", "by_category",
            "by_referral_source"} <= set(do)
    assert set(do["open_at_end"]) == {"under_1_month", "1_to_3_months", "3_to_12_months", "over_12_months", "total"}
    assert set(do["actions"]) == {"police_investigations", "suspensions", "dbs_referrals", "regulator_referrals"}
    assert set(do["outcomes"]) == {"substantiated", "false", "malicious", "unfounded", "unsubstantiated",
                                   "cancelled", "total"}
    assert set(do["timeliness"]) == {"within_1_month", "within_3_months", "within_12_months"}
    assert do["timeliness"] == {"within_1_month": None, "within_3_months": None, "within_12_months": None}


def test_raised_counts_by_year_boundary_with_variance_and_direction(org):
    # 2017 year: 1 Apr 2017 .. 31 Mar 2018; last year: 1 Apr 2016 .. 31 Mar 2017
    drp(org, date(2017, 3, 31), "CLA")       # last year
    drp(org, date(2017, 4, 1), "CLA")        # this year (first day)
    drp(org, date(2018, 3, 31), "CLA")       # this year (last day)
    drp(org, date(2018, 4, 1), "CLA")        # next year: not counted
    drp(org, date(2016, 3, 31), "CLA")       # year before last: not counted
    drp(org, date(2016, 4, 1), "CP")         # last year
    drp(org, date(2016, 5, 1), "CP")         # last year
    drp(org, date(2017, 6, 1), "CP")         # this year
    raised = selectors.annual_report(2017)["drp"]["raised"]
    assert raised["CLA"] == {"this_year": 2, "last_year": 1, "variance": 1, "direction": "up"}
    assert raised["CP"] == {"this_year": 1, "last_year": 2, "variance": -1, "direction": "down"}


def test_direction_same_and_zero():
    assert selectors.comparison(0, 0) == {"this_year": 0, "last_year": 0, "variance": 0, "direction": "same"}
    assert selectors.comparison(3, 3)["direction"] == "same"


def test_positive_practice_by_year(org):
    practice(org, date(2017, 4, 1), "CP")
    practice(org, date(2018, 3, 31), "CP")
    practice(org, date(2017, 3, 31), "CP")
    practice(org, date(2018, 4, 1), "CLA")
    pp = selectors.annual_report(2017)["drp"]["positive_practice"]
    assert pp["CP"] == {"this_year": 2, "last_year": 1, "variance": 1, "direction": "up"}
    assert pp["CLA"] == {"this_year": 0, "last_year": 0, "variance": 0, "direction": "same"}


def test_closed_at_stage_counts_resolved_and_withdrawn_closed_in_the_year(org):
    drp(org, date(2017, 1, 5), "CLA", "stage-2", closed_on=date(2017, 4, 1))             # closed this year
    drp(org, date(2017, 5, 5), "CLA", "informal", closed_on=date(2018, 3, 31))           # this year
    drp(org, date(2017, 5, 5), "CLA", "informal", status=WITHDRAWN, closed_on=date(2017, 9, 1))
    drp(org, date(2017, 5, 5), "CP", "stage-5", closed_on=date(2017, 9, 1))
    drp(org, date(2017, 5, 5), "CLA", "stage-1", closed_on=date(2018, 4, 1))             # next year
    drp(org, date(2017, 1, 5), "CLA", "stage-1", closed_on=date(2017, 3, 31))            # last year
    drp(org, date(2017, 5, 5), "CLA", "stage-3")                                         # open
    table = selectors.annual_report(2017)["drp"]["closed_at_stage"]
    assert table["CLA"] == {"informal": 1, "stage-1": 0, "stage-2": 1, "stage-3": 0, "stage-4": 0,
                            "stage-5": 0, "total": 2}
    assert table["withdrawn"]["informal"] == 1 and table["withdrawn"]["total"] == 1
    assert table["CP"]["stage-5"] == 1 and table["CP"]["total"] == 1


def test_closed_at_stage_of_raised_counts_drps_raised_in_the_year_by_where_they_closed(org):
    drp(org, date(2017, 1, 5), "CLA", "stage-2", closed_on=date(2017, 4, 1))             # raised last year
    drp(org, date(2017, 5, 5), "CLA", "informal", closed_on=date(2018, 3, 31))
    drp(org, date(2017, 5, 5), "CLA", "stage-1", closed_on=date(2018, 4, 1))             # closed next year
    drp(org, date(2017, 5, 5), "CP", "informal", status=WITHDRAWN, closed_on=date(2017, 9, 1))
    drp(org, date(2017, 5, 5), "CLA", "stage-3")                                         # still open
    table = selectors.annual_report(2017)["drp"]["closed_at_stage_of_raised"]
    assert (table["CLA"]["informal"], table["CLA"]["stage-1"], table["CLA"]["stage-2"]) == (1, 1, 0)
    assert table["CLA"]["total"] == 2
    assert table["withdrawn"] == {"informal": 1, "stage-1": 0, "stage-2": 0, "stage-3": 0, "stage-4": 0,
                                  "stage-5": 0, "total": 1}
    assert table["CP"]["total"] == 0


def test_a_new_ladder_stage_appears_with_zeros(org):
    Stage.objects.create(order=6, key="stage-6", name="Stage 6", working_days=20)
    table = selectors.annual_report(2017)["drp"]["closed_at_stage"]
    assert list(table["CP"]) == LADDER + ["stage-6", "total"]


def test_themes_count_drps_raised_in_the_year_per_theme(org):
    drp(org, date(2017, 4, 1), "CLA", themes=("placement", "health"))
    drp(org, date(2018, 3, 31), "CLA", themes=("placement",))
    drp(org, date(2017, 4, 1), "CP", themes=("child-protection-plan",))
    drp(org, date(2017, 3, 31), "CLA", themes=("placement",))    # last year
    Theme.objects.filter(slug="visits").update(active=False)
    themes = selectors.annual_report(2017)["drp"]["themes"]
    assert themes["CLA"]["placement"] == 2 and themes["CLA"]["health"] == 1
    assert themes["CLA"]["drift-and-delay"] == 0
    assert themes["CP"]["child-protection-plan"] == 1 and themes["CP"]["placement"] == 0
    assert "visits" not in themes["CLA"]   # inactive and unused


# --- Annual: Designated Officer -----------------------------------------------------------

def test_designated_officer_section(org):
    enquiry(org, date(2017, 4, 1), S.ADVICE_GIVEN, threshold_met=False, closed_on=date(2017, 4, 3))
    enquiry(org, date(2017, 4, 10), S.IN_PROGRESS, threshold_met=True, sector="private", setting="foster-care",
            category="sexual", source="police")
    # concluded within 1 month
    enquiry(org, date(2017, 6, 1), S.CONCLUDED, threshold_met=True, outcome="substantiated",
            closed_on=date(2017, 6, 20))
    # concluded within 3 months (not 1)
    enquiry(org, date(2017, 6, 1), S.CONCLUDED, threshold_met=True, outcome="false", closed_on=date(2017, 8, 1))
    # received last year, concluded this year after 12 months
    enquiry(org, date(2016, 4, 1), S.CONCLUDED, threshold_met=True, outcome="malicious",
            closed_on=date(2017, 5, 1))
    # received last year on the last day; cancelled this year before any threshold decision
    enquiry(org, date(2017, 3, 31), S.CANCELLED, closed_on=date(2017, 4, 2))
    # received next year
    enquiry(org, date(2018, 4, 1), S.CONCLUDED, threshold_met=True, outcome="unfounded",
            closed_on=date(2018, 4, 2))
    do = selectors.annual_report(2017)["designated_officer"]
    assert do["enquiries"] == {"this_year": 4, "last_year": 2, "variance": 2, "direction": "up"}
    assert (do["met_threshold"], do["advice_given"]) == (3, 1)
    # Cancelled before a decision is not an outcome (issue 12): its own row, not in the total.
    assert do["outcomes"] == {"substantiated": 1, "false": 1, "malicious": 1, "unfounded": 0,
                              "unsubstantiated": 0, "cancelled": 0, "total": 3}
    assert do["cancelled_before_decision"] == 1
    assert do["timeliness"] == {"within_1_month": 33.3, "within_3_months": 66.7, "within_12_months": 66.7}
    assert do["by_sector"] == {"private": 1, "public": 3}
    assert do["by_setting"] == {"education": 3, "foster-care": 1}
    assert do["by_category"] == {"physical": 3, "sexual": 1}
    assert do["by_referral_source"] == {"education": 3, "police": 1}


def test_do_section_has_no_personal_data(org):
    enquiry(org, date(2017, 6, 1), S.CONCLUDED, threshold_met=True, outcome="substantiated",
            closed_on=date(2017, 6, 20))
    text = repr(selectors.annual_report(2017)["designated_officer"])
    assert "Someone" not in text and "DO-T" not in text


# --- Monthly ------------------------------------------------------------------------------

def test_monthly_breakdowns(org):
    m = date(2025, 3, 1)
    drp(org, date(2025, 3, 1), "CLA", "informal", themes=("placement",))
    drp(org, date(2025, 3, 31), "CP", "stage-2", themes=("placement", "health"), team=org.other_team,
        cafcass_on=date(2025, 3, 20))
    drp(org, date(2025, 2, 28), "CLA", "stage-1", closed_on=date(2025, 3, 3))   # closed in March
    drp(org, date(2025, 4, 1), "CLA")                                          # April: not counted
    drp(org, date(2025, 1, 1), "CLA", cafcass_on=date(2025, 2, 27))            # Feb referral
    practice(org, date(2025, 3, 15), "CP", team=org.other_team)
    practice(org, date(2025, 3, 16), "CLA")
    report = selectors.monthly_report(m)
    assert report["month"] == "2025-03" and report["period"] == {"start": "2025-03-01", "end": "2025-03-31"}
    raised = report["raised"]
    assert raised["total"] == 2
    assert raised["by_theme"]["placement"] == 2 and raised["by_theme"]["health"] == 1
    assert raised["by_theme"]["drift-and-delay"] == 0
    assert raised["by_case_type"] == {"CP": 1, "CLA": 1}
    assert {t["team"]: t["count"] for t in raised["by_team"]} == {"north-1": 1, "south-1": 1}
    assert raised["by_stage_reached"] == {"informal": 1, "stage-1": 0, "stage-2": 1, "stage-3": 0,
                                          "stage-4": 0, "stage-5": 0}
    assert report["closed"] == {"total": 1, "by_stage": {"informal": 0, "stage-1": 1, "stage-2": 0,
                                                         "stage-3": 0, "stage-4": 0, "stage-5": 0}}
    assert report["cafcass_referrals"] == 1
    assert report["positive_practice"]["total"] == 2
    assert {t["team"]: t["count"] for t in report["positive_practice"]["by_team"]} == {"north-1": 1, "south-1": 1}


def test_resolution_time_is_median_working_days_and_within_timescale(org):
    # Raised at Stage 1 (the overall clock starts with it) on Mon 3 Mar 2025: its 20 working
    # days end Mon 31 Mar. -> Mon 10 Mar = 5 working days; -> Mon 31 Mar = 20 (the last day
    # inside the limit); from Mon 3 Feb -> 17 Mar = 30 working days.
    drp(org, date(2025, 3, 3), stage="stage-1", closed_on=date(2025, 3, 10))
    drp(org, date(2025, 3, 3), stage="stage-1", closed_on=date(2025, 3, 31))
    drp(org, date(2025, 2, 3), stage="stage-1", closed_on=date(2025, 3, 17))
    # Resolved informally: no overall clock ran, so it is counted apart from the rate.
    drp(org, date(2025, 3, 3), closed_on=date(2025, 3, 10))
    drp(org, date(2025, 3, 3), status=WITHDRAWN, closed_on=date(2025, 3, 4))  # withdrawn: not a resolution
    res = selectors.monthly_report(date(2025, 3, 1))["resolution"]
    assert res == {"resolved": 4, "median_working_days": 12.5, "with_overall_clock": 3,
                   "before_formal_stage": 1, "within_timescale": 2, "within_timescale_percent": 66.7,
                   "timescale_working_days": 20, "timescale_from": "formal",
                   "timescale_rule": "20 working days from the start of the first formal stage"}


@override_settings(DRP_OVERALL_WORKING_DAYS=10)
def test_timescale_follows_the_setting(org):
    drp(org, date(2025, 3, 3), stage="stage-1", closed_on=date(2025, 3, 31))
    res = selectors.monthly_report(date(2025, 3, 1))["resolution"]
    assert (res["within_timescale"], res["timescale_working_days"]) == (0, 10)


def test_no_resolutions_gives_none(org):
    res = selectors.monthly_report(date(2025, 3, 1))["resolution"]
    assert res["median_working_days"] is None and res["within_timescale_percent"] is None


def test_trend_counts_twelve_months_ending_with_the_month(org):
    drp(org, date(2024, 4, 1), themes=("placement",))     # first month of the window
    drp(org, date(2024, 3, 31), themes=("placement",))    # just outside
    drp(org, date(2025, 3, 31), themes=("placement",))
    trend = selectors.monthly_report(date(2025, 3, 1))["trend"]
    assert trend["months"][0] == "2024-04" and trend["months"][-1] == "2025-03" and len(trend["months"]) == 12
    assert trend["themes"]["placement"]["counts"] == [1] + [0] * 10 + [1]


def _monthly(org, theme, counts_by_month):
    for (year, month), n in counts_by_month.items():
        for _ in range(n):
            drp(org, date(year, month, 10), themes=(theme,))


@pytest.mark.parametrize("previous,this_month,spike", [
    ({}, 3, True),                        # mean 0: 3 >= 3 and 3 >= 0
    ({}, 2, False),                       # fewer than 3
    ({(2024, 4): 11, (2024, 5): 11}, 4, True),    # mean 2: 4 >= 2 x 2
    ({(2024, 4): 11, (2024, 5): 12}, 4, False),   # mean 2.09: 4 < 4.18
    ({(2024, 6): 22}, 3, False),          # mean 2: 3 < 4
])
def test_spike_rule(org, previous, this_month, spike):
    _monthly(org, "health", previous | {(2025, 3): this_month})
    trend = selectors.monthly_report(date(2025, 3, 1))["trend"]
    assert trend["themes"]["health"]["spike"] is spike
    assert ("health" in trend["spikes"]) is spike
    assert trend["themes"]["placement"]["spike"] is False


# --- Service learning and footprint -------------------------------------------------------

def test_team_learning_puts_themes_and_positive_practice_side_by_side(org):
    drp(org, date(2017, 5, 1), "CP", themes=("placement", "health"))
    drp(org, date(2017, 5, 1), "CLA", themes=("placement",), team=org.other_team)
    practice(org, date(2017, 6, 1), "CLA")
    practice(org, date(2016, 6, 1), "CLA")   # last year
    teams = {t["team"]: t for t in selectors.team_learning(reporting_year(2017))}
    assert teams["north-1"]["drps"] == {"CP": 1, "CLA": 0, "total": 1}
    assert teams["north-1"]["themes"] == {"placement": 1, "health": 1}
    assert teams["north-1"]["positive_practice"] == {"CP": 0, "CLA": 1, "total": 1}
    assert teams["south-1"]["drps"]["total"] == 1 and teams["south-1"]["positive_practice"]["total"] == 0


def test_iro_footprint_informal_formal_and_caseload(org):
    year = reporting_year(2017)
    drp(org, date(2017, 5, 1), stage="informal", children=[org.child, org.sibling])
    drp(org, date(2017, 5, 2), stage="stage-1", children=[org.child])
    drp(org, date(2017, 5, 3), stage="stage-3", status=RESOLVED, closed_on=date(2017, 6, 1),
        children=[org.child])
    practice(org, date(2017, 7, 1), children=[org.other_child])
    practice(org, date(2017, 7, 1), recorded_by=org.chair, children=[org.child])
    drp(org, date(2016, 5, 1), raised_by=org.chair, children=[org.other_child])   # last year
    people = {p["username"]: p for p in selectors.iro_footprint(year)}
    iro = people["iro"]
    assert (iro["drps_informal"], iro["drps_formal"], iro["drps_total"], iro["positive_practice"]) == (1, 2, 3, 1)
    assert iro["children"] == 3   # child, sibling, other child (distinct across DRPs and PP)
    assert iro["drps_per_child"] == 1.0 and iro["positive_practice_per_child"] == 0.33
    chair = people["chair"]
    assert (chair["drps_total"], chair["positive_practice"], chair["children"]) == (0, 1, 1)


# --- Constant queries ---------------------------------------------------------------------

def _bulk(org, n):
    for i in range(n):
        day = date(2017, 4 + i % 9, 1 + i % 27)
        drp(org, day, "CP" if i % 2 else "CLA", LADDER[i % 6], themes=("placement", "health"),
            closed_on=day if i % 3 == 0 else None, raised_by=org.chair if i % 2 else org.iro)
        practice(org, day)
        enquiry(org, day, S.CONCLUDED, threshold_met=True, outcome="substantiated", closed_on=day)


@pytest.mark.parametrize("n", [2, 30])
def test_annual_report_queries_do_not_grow_with_data(org, n, django_assert_max_num_queries):
    _bulk(org, n)
    with django_assert_max_num_queries(20):
        selectors.annual_report(2017)


@pytest.mark.parametrize("n", [2, 30])
def test_monthly_and_learning_queries_do_not_grow_with_data(org, n, django_assert_max_num_queries):
    _bulk(org, n)
    with django_assert_max_num_queries(14):
        selectors.monthly_report(date(2017, 5, 1))
    with django_assert_max_num_queries(8):
        selectors.team_learning(reporting_year(2017))
        selectors.iro_footprint(reporting_year(2017))


def test_last_year_not_recorded_before_recording_began(org):
    from reports.models import RecordingStart

    practice(org, date(2017, 5, 4), "CP")
    drp(org, date(2016, 5, 3), "CP")
    drp(org, date(2017, 5, 3), "CP")
    report = selectors.annual_report(2017)["drp"]
    # Positive practice began to be recorded in 2017: last year is not a zero.
    assert report["positive_practice"]["CP"] == {"this_year": 1, "last_year": None, "variance": None,
                                                 "direction": "not-recorded"}
    # DRPs were recorded last year: a real comparison.
    assert report["raised"]["CP"] == {"this_year": 1, "last_year": 1, "variance": 0, "direction": "same"}
    # The team says when recording began: from then on, zeros are zeros.
    RecordingStart.objects.create(record_type="positive-practice", began_on=date(2016, 4, 1))
    report = selectors.annual_report(2017)["drp"]
    assert report["positive_practice"]["CP"] == {"this_year": 1, "last_year": 0, "variance": 1, "direction": "up"}


# --- Designated Officer figures for readers outside the DO team (reports.disclosure) --------------

def _do_figures(**changes):
    do = {
        "enquiries": {"this_year": 12, "last_year": 3, "variance": 9, "direction": "up"},
        "met_threshold": 9, "advice_given": 3, "concluded": 25,
        "outcomes": {"substantiated": 7, "false": 6, "malicious": 5, "unfounded": 5, "unsubstantiated": 2,
                     "cancelled": 3, "total": 28},
        "cancelled_before_decision": 6,
        "decisions": {"made": 12, "within_timescale": 10, "within_timescale_percent": 83.3, "working_days": 1},
        "open_at_end": {"under_1_month": 6, "1_to_3_months": 7, "3_to_12_months": 8, "over_12_months": 9,
                        "total": 30},
        "actions": {"police_investigations": 5, "suspensions": 6, "dbs_referrals": 7, "regulator_referrals": 8},
        "timeliness": {"within_1_month": 92.0, "within_3_months": 60.0, "within_12_months": 100.0},
        "concluded_within": {"within_1_month": 23, "within_3_months": 15, "within_12_months": 25},
        "timeliness_targets": {"within_1_month": 80, "within_3_months": 90, "within_12_months": 100},
        "by_sector": {"public": 10, "private": 2}, "by_setting": {"education": 12},
        "by_category": {"physical": 6, "sexual": 6}, "by_referral_source": {"education": 12},
    }
    do.update(changes)
    return do


def test_small_do_counts_and_what_gives_them_back_are_suppressed_for_non_do_readers(org):
    from reports import disclosure, tables

    vocabularies = tables.vocabulary_names()
    do, how = disclosure.designated_officer_for(org.auditor, _do_figures(), reporting_year(2017), vocabularies)
    hidden = set(how["suppressed"])
    assert how["level"] == "suppressed" and how["threshold"] == 5
    # Last year's 3 and the variance and direction that would give it back.
    assert do["enquiries"] == {"this_year": 12, "last_year": None, "variance": None, "direction": None}
    # 3 given advice would come back as 12 - 9: the 9 goes too.
    assert (do["met_threshold"], do["advice_given"]) == (None, None)
    # One national outcome below 5 (2): the smallest other (5, malicious) goes with it; the 3
    # cancelled would come back as total - concluded, so the total goes.
    assert do["outcomes"] == {"substantiated": 7, "false": 6, "malicious": None, "unfounded": 5,
                              "unsubstantiated": None, "cancelled": None, "total": None}
    assert do["concluded"] == 25
    # 23 of 25 within a month leaves 2 not within: the percentage would give it back.
    assert do["timeliness"] == {"within_1_month": None, "within_3_months": 60.0, "within_12_months": None}
    assert do["concluded_within"] == {"within_1_month": None, "within_3_months": 15, "within_12_months": None}
    # Every sector is listed, so a sector appearing tells nothing; zeros are suppressed too.
    assert set(do["by_sector"]) == set(vocabularies["by_sector"]) | {"not-recorded"}
    assert do["by_sector"]["public"] == 10 and do["by_sector"]["private"] is None
    assert all(n is None for slug, n in do["by_sector"].items() if slug != "public")
    assert {"enquiries.last_year", "outcomes.total", "timeliness.within_1_month", "by_sector.private",
            "by_setting.foster-care"} <= hidden
    # Nothing left shown is below the threshold.
    def shown(value):
        if isinstance(value, dict):
            return [n for v in value.values() for n in shown(v)]
        return [value] if isinstance(value, int) and not isinstance(value, bool) else []
    counts = {k: v for k, v in do.items() if k not in ("timeliness_targets", "timeliness")}
    counts["decisions"] = {k: v for k, v in do["decisions"].items() if k != "working_days"}  # a setting
    assert min(shown(counts)) >= 5


def test_the_do_team_sees_exact_do_figures_and_a_live_period_is_withheld_from_others(org):
    from reports import disclosure

    figures = _do_figures()
    assert disclosure.designated_officer_for(org.do_manager, figures, reporting_year(2017), {})[0] is figures
    with as_of(date(2018, 3, 31)):  # the last day of the 2017 year: it has not ended
        do, how = disclosure.designated_officer_for(org.iro_manager, figures, reporting_year(2017), {})
        assert do is None and how == {"level": "withheld", "threshold": 5, "suppressed": [],
                                      "note": "Designated Officer figures are shown once the period has ended."}
    with as_of(date(2018, 4, 1)):
        assert disclosure.designated_officer_for(org.iro_manager, figures, reporting_year(2017), {})[0]


@override_settings(FOOTPRINT_SMALL_NUMBER_THRESHOLD=10)
def test_the_small_number_threshold_is_a_setting(org):
    from reports import disclosure

    do, how = disclosure.designated_officer_for(org.auditor, _do_figures(), reporting_year(2017), {})
    assert how["threshold"] == 10 and do["enquiries"]["this_year"] == 12 and do["outcomes"]["false"] is None
    assert "fewer than 10" in disclosure.suppressed_note(10)
