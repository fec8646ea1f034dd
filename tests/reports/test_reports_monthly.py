"""The monthly report, service learning and the IRO footprint, and the queries every report makes
staying constant whatever the data."""

from datetime import date

import pytest
from django.test import override_settings

from reports import selectors
from reports.periods import reporting_year
from tests.support.reports_figures import LADDER, S
from tests.support.reports_helpers import RESOLVED, WITHDRAWN, drp, enquiry, practice

pytestmark = pytest.mark.django_db


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
