"""The annual report. (See the package docstring for the definitions.)"""

from __future__ import annotations

from drp.models import DisputeResolution
from lado import conf as lado_conf
from lado import selectors as lado_selectors
from lado.models import Enquiry
from positive_practice.models import PositivePractice
from workflows.replica import from_replica

from ..periods import Period, reporting_year
from .common import (
    CLOSED,
    _closed_in,
    _compare_by_case_type,
    _raised_in,
    closed_at_stage,
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
    last_received = Enquiry.objects.filter(received_on__gte=last.start, received_on__lte=last.end).count()
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


@from_replica
def annual_report(year: int) -> dict:
    """The annual report for the reporting year starting 1 April ``year`` (shape in the README
    of this app and on ``/api/docs/``)."""
    this, last = reporting_year(year), reporting_year(year - 1)
    stages, theme_rows = ladder(), themes()
    return {
        "year": year,
        "period": this.as_dict(),
        "drp": {
            "raised": _compare_by_case_type(
                DisputeResolution.objects, "raised_on", this, last,
                recording_began("drp", DisputeResolution.objects, "raised_on")),
            "positive_practice": _compare_by_case_type(
                PositivePractice.objects, "recorded_on", this, last,
                recording_began("positive-practice", PositivePractice.objects, "recorded_on")),
            # Two views of one table, labelled: DRPs closed in the year (whenever raised), and
            # DRPs raised in the year that have closed (the seed report's view).
            "closed_at_stage": closed_at_stage(_closed_in(this), stages),
            "closed_at_stage_of_raised": closed_at_stage(_raised_in(this).filter(status__in=CLOSED), stages),
            "themes": themes_by_case_type(this, theme_rows),
        },
        "designated_officer": designated_officer(this, last),
    }


@from_replica
def labels() -> dict:
    """Names for the slugs and keys a report uses (2 queries)."""
    return {"stages": ladder(), "themes": themes()}
