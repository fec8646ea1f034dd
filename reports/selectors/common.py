"""Definitions and helpers every report shares. (See the package docstring for the definitions.)"""

from __future__ import annotations

from datetime import date

from django.db import connections, router
from django.db.models import Count, Q, Sum, Value

from children.models import CaseType
from drp.models import DisputeResolution, Stage, Theme
from workflows.dates import whole_months
from workflows.replica import from_replica

from ..models import CaseMonthCount, ThemeMonthCount
from ..periods import Period

CASE_TYPES = list(CaseType.values)  # ["CP", "CLA"]
CLOSED = (DisputeResolution.Status.RESOLVED, DisputeResolution.Status.WITHDRAWN)
NOT_RECORDED = "not-recorded"
SPIKE_MIN_COUNT = 3
SPIKE_FACTOR = 2
TREND_MONTHS = 12


# --- Helpers ------------------------------------------------------------------------------


def direction(this_year: int, last_year: int) -> str:
    if this_year > last_year:
        return "up"
    if this_year < last_year:
        return "down"
    return "same"


NOT_RECORDED_DIRECTION = "not-recorded"


def comparison(this_year: int, last_year: int | None) -> dict:
    """This year against last; last year ``None`` when nothing was recorded then."""
    if last_year is None:
        return {"this_year": this_year, "last_year": None, "variance": None,
                "direction": NOT_RECORDED_DIRECTION}
    return {"this_year": this_year, "last_year": last_year, "variance": this_year - last_year,
            "direction": direction(this_year, last_year)}


def recording_began(record_type: str, qs, date_field: str) -> date | None:
    """When recording of this kind began: as set in the admin (``RecordingStart``), else the
    day of the earliest record (one query, on an indexed date)."""
    from ..models import RecordingStart

    began = RecordingStart.objects.filter(record_type=record_type).values_list("began_on", flat=True).first()
    if began is not None:
        return began
    return qs.order_by(date_field).values_list(date_field, flat=True).first()


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@from_replica
def ladder() -> list[dict]:
    """The stages, lowest first: key, name, formal."""
    return list(Stage.objects.order_by("order").values("key", "name", "is_formal"))


@from_replica
def themes() -> list[dict]:
    """Active themes by name, then any inactive ones (they still appear when counted)."""
    return list(Theme.objects.order_by("-active", "name").values("slug", "name", "active"))


def _zero_themes(theme_rows) -> dict:
    return {t["slug"]: 0 for t in theme_rows if t["active"]}


def kept_and_counted(period: Period | None, model=CaseMonthCount) -> tuple[Period | None, Period | None]:
    """``period`` split where the counts the database keeps per month stop answering: its whole
    months, read from ``model``, and the days after them, counted from the rows (either may be
    None). A year to date (1 April to today) is its whole months kept and this month's days
    counted, not eight months of rows counted. Not on PostgreSQL, or not from a 1st: all counted."""
    if period is None:
        return None, None
    if connections[router.db_for_read(model)].vendor != "postgresql":
        return None, period
    kept, counted = whole_months(period.start, period.end)
    return (Period(*kept) if kept else None), (Period(*counted) if counted else None)


def _by_case_type(qs, date_field: str, count, this: Period | None, last: Period | None) -> list[dict]:
    """One GROUP BY case type over ``this`` and ``last`` (either may be None: counted as 0)."""
    periods = [p for p in (this, last) if p]
    if not periods:
        return []

    def within(period):
        return Q(**{f"{date_field}__gte": period.start, f"{date_field}__lte": period.end})

    spans = Q()
    for period in periods:
        spans |= within(period)
    return list(qs.filter(spans).values("case_type").annotate(
        this_year=count(within(this)) if this else Value(0),
        last_year=count(within(last)) if last else Value(0)).order_by())


def _compare_by_case_type(qs, date_field: str, this: Period, last: Period,
                          recorded_from: date | None = None, kept_measure: str = "") -> dict:
    """{case type: comparison}: the whole months of both years from the kept counts of
    ``kept_measure`` where they answer, the rest counted from the rows, each in one GROUP BY
    over both years; last year "not recorded" when it ended before recording began."""
    (this_kept, this_rest), (last_kept, last_rest) = (
        (kept_and_counted(this), kept_and_counted(last)) if kept_measure else ((None, this), (None, last)))
    rows = _by_case_type(CaseMonthCount.objects.filter(measure=kept_measure), "month",
                         lambda where: Sum("n", filter=where), this_kept, last_kept)
    rows += _by_case_type(qs, date_field, lambda where: Count("id", filter=where), this_rest, last_rest)
    counts = {}
    for row in rows:
        cells = counts.setdefault(row["case_type"], {"this_year": 0, "last_year": 0})
        cells["this_year"] += row["this_year"] or 0
        cells["last_year"] += row["last_year"] or 0
    unrecorded = recorded_from is None or last.end < recorded_from
    return {ct: comparison(counts.get(ct, {}).get("this_year") or 0,
                           None if unrecorded else counts.get(ct, {}).get("last_year") or 0)
            for ct in CASE_TYPES}


def _raised_in(period: Period):
    return DisputeResolution.objects.filter(raised_on__gte=period.start, raised_on__lte=period.end)


def _closed_in(period: Period):
    return DisputeResolution.objects.filter(status__in=CLOSED, closed_on__gte=period.start,
                                            closed_on__lte=period.end)


WITHDRAWN_ROW = "withdrawn"


def closed_rows(measure: str, period: Period, counted) -> list[dict]:
    """The rows ``closed_at_stage`` groups for ``period``: its whole months from the kept counts
    of ``measure``, the days after them from ``counted(days)`` (a queryset of closed DRPs)."""
    kept, rest = kept_and_counted(period)
    rows = kept_closed_at_stage(measure, kept) if kept else []
    if rest:
        rows += list(counted(rest).values("case_type", "status", "closed_at_stage__key").annotate(n=Count("id"))
                     .order_by())
    return rows


def kept_closed_at_stage(measure: str, period: Period) -> list[dict]:
    """The rows ``closed_at_stage`` groups, from the kept counts of the closed DRPs raised
    (``drp_raised``) or closed (``drp_closed``) in the period: two small reads."""
    keys = dict(Stage.objects.values_list("id", "key"))
    rows = (CaseMonthCount.objects.filter(measure=measure, month__gte=period.start, month__lte=period.end,
                                          status__in=CLOSED)
            .values("case_type", "status", "stage_id").annotate(total=Sum("n")).filter(total__gt=0).order_by())
    return [{"case_type": row["case_type"], "status": row["status"], "closed_at_stage__key": keys.get(row["stage_id"]),
             "n": row["total"]} for row in rows]


def closed_at_stage(closed, stages: list[dict]) -> dict:
    """{row: {stage key: n, ..., "total": n}} for the closed DRPs ``closed`` (a queryset, or the
    rows of ``kept_closed_at_stage``), by the stage they closed at: a row for DRPs *resolved* of
    each case type (CP, CLA), and one row for every DRP *withdrawn*, whatever its type (a
    withdrawal is not a resolution). One GROUP BY."""
    rows = closed if isinstance(closed, list) else (
        closed.values("case_type", "status", "closed_at_stage__key").annotate(n=Count("id")).order_by())
    table = {row: {s["key"]: 0 for s in stages} | {"total": 0} for row in (*CASE_TYPES, WITHDRAWN_ROW)}
    for row in rows:
        name = WITHDRAWN_ROW if row["status"] == DisputeResolution.Status.WITHDRAWN else row["case_type"]
        cells = table.setdefault(name, {s["key"]: 0 for s in stages} | {"total": 0})
        key = row["closed_at_stage__key"] or NOT_RECORDED
        cells[key] = cells.get(key, 0) + row["n"]
        cells["total"] += row["n"]
    return table


def _theme_counts_kept(start: date, end: date) -> bool:
    """Whether ``ThemeMonthCount`` answers for all of [start, end] (``kept_and_counted`` leaves
    nothing to count): on PostgreSQL and for whole months."""
    kept, rest = kept_and_counted(Period(start, end), ThemeMonthCount)
    return kept is not None and rest is None


def _kept_theme_counts(start: date, end: date, *group):
    """Sums of the kept per-month theme counts over [start, end], grouped (zeros left out, as
    a count of the links would)."""
    return (ThemeMonthCount.objects.filter(month__gte=start, month__lte=end).values(*group)
            .annotate(total=Sum("n")).filter(total__gt=0).order_by())


def themes_by_case_type(period: Period, theme_rows: list[dict]) -> dict:
    """{case type: {theme slug: DRPs raised in the period with that theme}}."""
    through = DisputeResolution.themes.through
    kept, rest = kept_and_counted(period, ThemeMonthCount)
    rows = [{"disputeresolution__case_type": row["case_type"], "theme__slug": row["theme__slug"], "n": row["total"]}
            for row in (_kept_theme_counts(kept.start, kept.end, "case_type", "theme__slug") if kept else [])]
    if rest:
        rows += list(through.objects.filter(disputeresolution__raised_on__gte=rest.start,
                                            disputeresolution__raised_on__lte=rest.end)
                     .values("disputeresolution__case_type", "theme__slug").annotate(n=Count("id")).order_by())
    table = {ct: _zero_themes(theme_rows) for ct in CASE_TYPES}
    for row in rows:
        cells = table.setdefault(row["disputeresolution__case_type"], _zero_themes(theme_rows))
        cells[row["theme__slug"]] = cells.get(row["theme__slug"], 0) + row["n"]
    return table
