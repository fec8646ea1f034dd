"""Designated Officer figures for readers outside the DO team (reports.disclosure): small counts
suppressed, the DO team sees exact figures, the threshold a setting."""

from datetime import date

import pytest
from django.test import override_settings

from reports.periods import reporting_year
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db


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
