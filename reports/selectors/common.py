"""Definitions and helpers every report shares. (See the package docstring for the definitions.)"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connections, router
from django.db.models import Count, Q, Sum

from children.models import CaseType
from drp.models import DisputeResolution, Stage, Theme
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


def case_counts_kept(*periods: Period) -> bool:
    """Whether ``CaseMonthCount`` answers for these periods: on PostgreSQL (the database keeps
    the counts) and for whole months."""
    connection = connections[router.db_for_read(CaseMonthCount)]
    return connection.vendor == "postgresql" and all(
        p.start.day == 1 and (p.end + timedelta(days=1)).day == 1 for p in periods)


def _compare_by_case_type(qs, date_field: str, this: Period, last: Period,
                          recorded_from: date | None = None, kept_measure: str = "") -> dict:
    """{case type: comparison} from one GROUP BY over both years (of the kept counts of
    ``kept_measure`` where they answer); last year "not recorded" when it ended before
    recording began."""
    def count(where):
        return Count("id", filter=where)

    if kept_measure and case_counts_kept(this, last):
        date_field, qs = "month", CaseMonthCount.objects.filter(measure=kept_measure)

        def count(where):
            return Sum("n", filter=where)

    in_this = Q(**{f"{date_field}__gte": this.start, f"{date_field}__lte": this.end})
    in_last = Q(**{f"{date_field}__gte": last.start, f"{date_field}__lte": last.end})
    rows = (qs.filter(**{f"{date_field}__gte": last.start, f"{date_field}__lte": this.end})
            .values("case_type").annotate(this_year=count(in_this), last_year=count(in_last)).order_by())
    counts = {row["case_type"]: row for row in rows}
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
    """Whether ``ThemeMonthCount`` answers for [start, end]: on PostgreSQL (the database keeps
    the counts) and for whole months (every report period is)."""
    connection = connections[router.db_for_read(ThemeMonthCount)]
    return connection.vendor == "postgresql" and start.day == 1 and (end + timedelta(days=1)).day == 1


def _kept_theme_counts(start: date, end: date, *group):
    """Sums of the kept per-month theme counts over [start, end], grouped (zeros left out, as
    a count of the links would)."""
    return (ThemeMonthCount.objects.filter(month__gte=start, month__lte=end).values(*group)
            .annotate(total=Sum("n")).filter(total__gt=0).order_by())


def themes_by_case_type(period: Period, theme_rows: list[dict]) -> dict:
    """{case type: {theme slug: DRPs raised in the period with that theme}}."""
    through = DisputeResolution.themes.through
    if _theme_counts_kept(period.start, period.end):
        rows = [{"disputeresolution__case_type": row["case_type"], "theme__slug": row["theme__slug"],
                 "n": row["total"]}
                for row in _kept_theme_counts(period.start, period.end, "case_type", "theme__slug")]
    else:
        rows = (through.objects.filter(disputeresolution__raised_on__gte=period.start,
                                       disputeresolution__raised_on__lte=period.end)
                .values("disputeresolution__case_type", "theme__slug").annotate(n=Count("id")).order_by())
    table = {ct: _zero_themes(theme_rows) for ct in CASE_TYPES}
    for row in rows:
        table.setdefault(row["disputeresolution__case_type"], _zero_themes(theme_rows))[row["theme__slug"]] = row["n"]
    return table
