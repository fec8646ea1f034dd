"""The monthly theme report. (See the package docstring for the definitions.)"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncMonth

from drp import clocks as drp_clocks
from drp.models import DisputeResolution
from positive_practice.models import PositivePractice
from workflows.calendar import get_calendar
from workflows.replica import from_replica

from ..periods import Period, add_months, month_period
from .common import (
    CASE_TYPES,
    NOT_RECORDED,
    SPIKE_FACTOR,
    SPIKE_MIN_COUNT,
    TREND_MONTHS,
    _closed_in,
    _raised_in,
    ladder,
    percent,
    themes,
    themes_by_case_type,
)

# --- Monthly theme report -----------------------------------------------------------------


def _by(qs, field: str, name_field: str | None = None) -> dict:
    """{value of field (or "not-recorded"): n}, ordered by value."""
    rows = qs.values(field).annotate(n=Count("id")).order_by(field)
    return {row[field] or NOT_RECORDED: row["n"] for row in rows}


def _by_team(qs) -> list[dict]:
    rows = qs.values("team__slug", "team__name").annotate(n=Count("id")).order_by("team__name")
    return [{"team": row["team__slug"] or NOT_RECORDED, "name": row["team__name"] or "No team recorded",
             "count": row["n"]} for row in rows]


def _drps_by_team(drps) -> list[dict]:
    """DRPs per team of the children when raised: a sibling group's DRP across two teams counts
    once for each (so the rows can add up to more than the DRPs raised). One grouped query."""
    rows = drps.values("teams__slug", "teams__name").annotate(n=Count("pk")).order_by("teams__name")
    result = [{"team": row["teams__slug"], "name": row["teams__name"], "count": row["n"]}
              for row in rows if row["teams__slug"]]
    return result + [{"team": NOT_RECORDED, "name": "No team recorded", "count": row["n"]}
                     for row in rows if not row["teams__slug"]]


def working_days_for(pairs: list[tuple[date, date]]) -> list[int]:
    """``workflows.calendar.working_days_between(start, end)`` for many pairs at once.

    One walk over the calendar from the earliest day to the latest numbers the working days;
    each pair is then a subtraction. Walking each pair instead costs a call per calendar day
    per DRP: 0.9 s for a month of 14,000 resolved DRPs (bench/report_bench.py)."""
    if not pairs:
        return []
    calendar = get_calendar()
    day, last = min(min(pair) for pair in pairs), max(max(pair) for pair in pairs)
    counted, working_so_far = {}, 0  # day -> working days from the first day to it, inclusive
    while day <= last:
        working_so_far += calendar.is_working_day(day)
        counted[day] = working_so_far
        day += timedelta(days=1)
    return [counted[end] - counted[start] for start, end in pairs]


def resolution_times(period: Period) -> dict:
    """Median working days from raised to resolved, for DRPs resolved in the period, and the
    share resolved inside the overall limit by the same rule as the DRP's own clock
    (``drp.clocks``: from the first formal stage, or from the date raised, as
    ``FOOTPRINT_DRP_TIMESCALE_FROM`` says). DRPs resolved before any formal stage ran have no
    overall clock when it runs from the first formal stage: they are counted apart. Counts
    working days in Python over that month's resolved DRPs only (one query)."""
    rows = list(_closed_in(period).filter(status=DisputeResolution.Status.RESOLVED)
                .values_list("raised_on", "closed_on", "overall_due_date"))
    days = working_days_for([(raised, closed) for raised, closed, _ in rows])
    timed = [drp_clocks.closed_within_timescale(closed_on=closed, overall_due_date=due)
             for _, closed, due in rows]
    with_clock = [within for within in timed if within is not None]
    within = sum(with_clock)
    return {
        "resolved": len(days),
        "median_working_days": statistics.median(days) if days else None,
        "with_overall_clock": len(with_clock),
        "before_formal_stage": len(timed) - len(with_clock),
        "within_timescale": within,
        "within_timescale_percent": percent(within, len(with_clock)),
        "timescale_working_days": settings.DRP_OVERALL_WORKING_DAYS,
        "timescale_from": drp_clocks.timescale_from(),
        "timescale_rule": drp_clocks.timescale_description(),
    }


def theme_trend(month: date, theme_rows: list[dict]) -> dict:
    """DRPs raised per theme for each of the 12 months ending with ``month`` (one GROUP BY by
    month), with the spike flag for ``month`` (see the module docstring)."""
    first = add_months(month.replace(day=1), -(TREND_MONTHS - 1))
    end = month_period(month).end
    months = [add_months(first, i) for i in range(TREND_MONTHS)]
    through = DisputeResolution.themes.through
    rows = (through.objects.filter(disputeresolution__raised_on__gte=first, disputeresolution__raised_on__lte=end)
            .annotate(month=TruncMonth("disputeresolution__raised_on"))
            .values("month", "theme__slug").annotate(n=Count("id")).order_by())
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        bucket = row["month"]
        bucket = bucket.date() if hasattr(bucket, "date") and callable(bucket.date) else bucket
        counts[row["theme__slug"]][bucket] = row["n"]
    slugs = [t["slug"] for t in theme_rows if t["active"] or t["slug"] in counts]
    series = {}
    for slug in slugs:
        values = [counts.get(slug, {}).get(m, 0) for m in months]
        this_month, previous = values[-1], values[:-1]
        mean = sum(previous) / len(previous)
        series[slug] = {
            "counts": values,
            "this_month": this_month,
            "previous_mean": round(mean, 2),
            "spike": this_month >= SPIKE_MIN_COUNT and this_month >= SPIKE_FACTOR * mean,
        }
    return {"months": [m.strftime("%Y-%m") for m in months], "themes": series,
            "spikes": [slug for slug, s in series.items() if s["spike"]]}


@from_replica
def monthly_report(month: date) -> dict:
    """The monthly theme report for the month starting ``month``."""
    period = month_period(month)
    stages, theme_rows = ladder(), themes()
    raised = _raised_in(period)
    closed = _closed_in(period)
    practice = PositivePractice.objects.filter(recorded_on__gte=period.start, recorded_on__lte=period.end)
    by_stage = {s["key"]: 0 for s in stages} | _by(raised, "stage__key")
    closed_by_stage = {s["key"]: 0 for s in stages} | _by(closed, "closed_at_stage__key")
    by_case_type = {ct: 0 for ct in CASE_TYPES} | _by(raised, "case_type")
    themes_all = themes_by_case_type(period, theme_rows)
    by_theme = {slug: sum(themes_all[ct].get(slug, 0) for ct in themes_all)
                for slug in dict.fromkeys(k for ct in themes_all for k in themes_all[ct])}
    pp_by_case_type = {ct: 0 for ct in CASE_TYPES} | _by(practice, "case_type")
    return {
        "month": month.strftime("%Y-%m"),
        "period": period.as_dict(),
        "raised": {
            "total": sum(by_case_type.values()),
            "by_theme": by_theme,
            "by_theme_and_case_type": themes_all,
            "by_case_type": by_case_type,
            "by_team": _drps_by_team(raised),
            "by_stage_reached": by_stage,
        },
        "closed": {"total": sum(closed_by_stage.values()), "by_stage": closed_by_stage},
        "resolution": resolution_times(period),
        "positive_practice": {"total": sum(pp_by_case_type.values()), "by_case_type": pp_by_case_type,
                              "by_team": _by_team(practice)},
        "cafcass_referrals": DisputeResolution.objects.filter(
            referred_to_cafcass=True, referred_to_cafcass_on__gte=period.start,
            referred_to_cafcass_on__lte=period.end).count(),
        "trend": theme_trend(month, theme_rows),
    }
