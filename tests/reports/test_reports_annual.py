"""The annual report (docs/rules.md): reporting periods and their validation, the DRP section
(raised, closed at stage, themes, the ladder) and the Designated Officer section."""

from datetime import date

import pytest

from drp.models import Stage, Theme
from reports import selectors
from reports.periods import BadPeriod, parse_month, parse_year, reporting_year, reporting_year_of
from tests.support.reports_figures import LADDER, S
from tests.support.reports_helpers import WITHDRAWN, drp, enquiry, practice

pytestmark = pytest.mark.django_db


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
    assert set(report) == {"year", "period", "year_to_date", "compared_with", "drp", "designated_officer"}
    assert report["year"] == 2017 and report["period"] == {"start": "2017-04-01", "end": "2018-03-31"}
    assert report["year_to_date"] is False and report["compared_with"] == {"start": "2016-04-01", "end": "2017-03-31"}
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
