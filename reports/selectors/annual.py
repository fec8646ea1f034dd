"""The annual report. (See the package docstring for the definitions.)"""

from __future__ import annotations

from datetime import date

from drp.models import DisputeResolution
from lado import conf as lado_conf
from lado import selectors as lado_selectors
from lado.models import Enquiry
from positive_practice.models import PositivePractice
from workflows.clocks import today
from workflows.replica import from_replica

from ..periods import Period, reporting_year
from .common import (
    CLOSED,
    _closed_in,
    _compare_by_case_type,
    _raised_in,
    closed_at_stage,
    closed_rows,
    comparison,
    ladder,
    percent,
    recording_began,
    themes,
    themes_by_case_type,
)

# --- Annual report ------------------------------------------------------------------------


def designated_officer(this: Period, last: Period) -> dict:
    """The DO section: aggregates from ``lado.selectors.figures`` (no personal data)."""
    figures = lado_selectors.figures(this.start, this.end)
    last_received = lado_selectors.received_count(last.start, last.end)
    outcomes = {value: figures["outcomes"].get(value, 0) for value in Enquiry.Outcome.values}
    outcomes["cancelled"] = figures["outcomes"].get("cancelled", 0)
    outcomes["total"] = sum(outcomes.values())
    timeliness, within = {}, {}
    for months in lado_conf.target_months():
        label = lado_conf.months_label(months)
        key = "within_" + label.replace(" ", "_")
        within[key] = figures["concluded_within"].get(label, 0)
        timeliness[key] = percent(within[key], figures["concluded"])
    return {
        "enquiries": comparison(figures["received"], last_received),
        "met_threshold": figures["threshold_met"],
        "advice_given": figures["advice_given"],
        "decisions": {"made": figures["decided"], "within_timescale": figures["decided_within"],
                      "within_timescale_percent": percent(figures["decided_within"], figures["decided"]),
                      "working_days": figures["decision_working_days"]},
        "concluded": figures["concluded"],
        "outcomes": outcomes,
        "cancelled_before_decision": figures["cancelled_before_decision"],
        "timeliness": timeliness,
        "concluded_within": within,
        "timeliness_targets": dict(zip(timeliness, lado_conf.target_percentages())),
        "open_at_end": figures["open_at_end"],
        "actions": figures["actions"],
        "by_sector": figures["by_sector"],
        "by_setting": figures["by_setting"],
        "by_category": figures["by_category"],
        "by_referral_source": figures["by_referral_source"],
    }


def a_year_before(day: date) -> date:
    """The same day a year earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def annual_periods(year: int, on: date | None = None) -> tuple[Period, Period, bool]:
    """What the annual report counts and what it compares it with: the whole reporting year
    and the one before; or, for a year not yet over, the year to date and the same months of
    last year (to the same day), so that the comparison is like for like."""
    on = on or today()
    this, last = reporting_year(year), reporting_year(year - 1)
    if this.start <= on < this.end:
        return Period(this.start, on), Period(last.start, a_year_before(on)), True
    return this, last, False


@from_replica
def annual_report(year: int) -> dict:
    """The annual report for the reporting year starting 1 April ``year`` (shape in the README
    of this app and on ``/api/docs/``). ``period`` is what is counted (to today while the year
    runs, with ``year_to_date``), ``compared_with`` the period of last year it is set against."""
    this, last, year_to_date = annual_periods(year)
    stages, theme_rows = ladder(), themes()
    return {
        "year": year,
        "period": this.as_dict(),
        "year_to_date": year_to_date,
        "compared_with": last.as_dict(),
        "drp": {
            "raised": _compare_by_case_type(
                DisputeResolution.objects, "raised_on", this, last,
                recording_began("drp", DisputeResolution.objects, "raised_on"), kept_measure="drp_raised"),
            "positive_practice": _compare_by_case_type(
                PositivePractice.objects, "recorded_on", this, last,
                recording_began("positive-practice", PositivePractice.objects, "recorded_on"),
                kept_measure="practice"),
            # Two views of one table, labelled: DRPs closed in the year (whenever raised), and
            # DRPs raised in the year that have closed (the seed report's view).
            "closed_at_stage": closed_at_stage(closed_rows("drp_closed", this, _closed_in), stages),
            "closed_at_stage_of_raised": closed_at_stage(
                closed_rows("drp_raised", this, lambda days: _raised_in(days).filter(status__in=CLOSED)), stages),
            "themes": themes_by_case_type(this, theme_rows),
        },
        "designated_officer": designated_officer(this, last),
    }


@from_replica
def labels() -> dict:
    """Names for the slugs and keys a report uses (2 queries)."""
    return {"stages": ladder(), "themes": themes()}
