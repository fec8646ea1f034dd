"""Report figures: aggregate queries only.

Every function here runs a fixed number of queries whatever the amount of data (counting is a
GROUP BY in the database; Python only reshapes the grouped rows). The one exception, documented
on :func:`resolution_times`, walks the DRPs *resolved in one month* to count working days.

Reports hold counts, theme, stage and team names, and the names of the IROs/CCs who raised DRPs;
they hold no child's or DO subject's details. Who may read them is decided by :func:`can_read`.

Definitions (shown on the pages too):

* **Reporting year** ``Y``: 1 April ``Y`` to 31 March ``Y + 1`` inclusive.
* **Raised**: DRPs whose ``raised_on`` falls in the period. **Positive practice**: records whose
  ``recorded_on`` falls in the period.
* **Closed**: DRPs resolved or withdrawn with ``closed_on`` in the period, counted by the stage
  they closed at (``closed_at_stage``); every stage of the ladder appears, zeros included. The
  annual report shows it two ways, labelled: DRPs *closed in the year*, and DRPs *raised in the
  year* that have closed (the seed report's view); in both, resolved DRPs are counted by case
  type and withdrawn ones on a row of their own.
* **Themes**: DRPs raised in the period per theme (a DRP with two themes counts once for each);
  every active theme appears.
* **Stage reached**: a DRP's current stage, the highest it has reached (stages only go up).
* **Time to resolution**: working days (``workflows.calendar``) from ``raised_on`` to
  ``closed_on`` for DRPs *resolved* (not withdrawn) in the month. **Within timescale**: resolved
  on or before the DRP's overall deadline, the 20-working-day limit of the IRO Handbook (6.2),
  counted from the first formal stage or from the date raised as ``FOOTPRINT_DRP_TIMESCALE_FROM``
  says (``drp.clocks``, the rule the DRP's own clock and reminders use); DRPs resolved before
  any formal stage have no overall clock under the first and are counted apart.
* **Theme spike**: a theme's count this month is at least :data:`SPIKE_MIN_COUNT` (3) *and* at
  least :data:`SPIKE_FACTOR` (2) times its mean monthly count over the previous 11 months
  (zero months included).
* **Designated Officer**: ``lado.selectors.figures`` (aggregates only): enquiries received,
  met threshold and advice given count enquiries *received* in the period; ``decisions``
  counts threshold decisions *made* in the period and those made by their due date (one
  working day after receipt, ``LADO_DECISION_WORKING_DAYS``); outcomes count cases *concluded
  or cancelled* in the period, *cancelled* only where the threshold was met, and
  ``cancelled_before_decision`` on its own row (``lado.clocks.outcome_row``); timeliness is the
  percentage (one decimal; ``None`` when none concluded) of cases concluded in the period that
  concluded by each configured target date (``lado.conf.target_months``, default 1, 3 and 12
  months, on the next working day when the date is not one), and ``concluded_within`` the
  counts behind it; ``open_at_end`` the cases open on the period's last day by their age then
  (under 1 month, 1 to 3, 3 to 12, over 12 months from referral); ``actions`` the cases with a
  police investigation, suspension, DBS or regulator referral action recorded in the period.
  Readers outside the DO team see these only for a period that has ended, small counts
  suppressed: ``reports.disclosure``.
* **Caseload** (IRO/CC footprint): the distinct children named in the DRPs the IRO/CC raised
  and the positive practice they recorded in the period; the only caseload Footprint can see.
* **Where figures are read**: the public functions here are :func:`workflows.replica.from_replica`:
  with ``DATABASE_REPLICA_URL`` set they read the streaming replica (usually under a second
  behind the primary, seconds under heavy writes), and the primary when it is down; pages,
  downloads, the API and the monthly email alike.
* **Informal / formal** (IRO/CC footprint): a DRP is *informal* while its highest stage reached
  is not formal (resolved, withdrawn or still open at the informal stage), *formal* once it has
  reached a formal stage.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db import connections, router
from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth

from children.models import CaseType
from drp import clocks as drp_clocks
from drp.models import DisputeResolution, Stage, Theme
from lado import conf as lado_conf
from lado import selectors as lado_selectors
from lado.models import Enquiry
from people import roles
from people.models import User
from positive_practice.models import PositivePractice
from workflows.calendar import get_calendar
from workflows.replica import from_replica

from .periods import Period, add_months, month_period, reporting_year

READERS = frozenset({roles.IRO_MANAGER, roles.DO_MANAGER, roles.AUDITOR, roles.SYSTEM_READ_REPORTS})
CASE_TYPES = list(CaseType.values)  # ["CP", "CLA"]
CLOSED = (DisputeResolution.Status.RESOLVED, DisputeResolution.Status.WITHDRAWN)
NOT_RECORDED = "not-recorded"
SPIKE_MIN_COUNT = 3
SPIKE_FACTOR = 2
TREND_MONTHS = 12


def can_read(user) -> bool:
    """IRO Managers, DO Managers and Auditors read reports; nobody else (superusers included)."""
    return bool(user and user.is_authenticated and user.has_role(*READERS))


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
    from .models import RecordingStart

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


def _compare_by_case_type(qs, date_field: str, this: Period, last: Period,
                          recorded_from: date | None = None) -> dict:
    """{case type: comparison} from one GROUP BY over both years; last year "not recorded"
    when it ended before recording began."""
    in_this = Q(**{f"{date_field}__gte": this.start, f"{date_field}__lte": this.end})
    in_last = Q(**{f"{date_field}__gte": last.start, f"{date_field}__lte": last.end})
    rows = (qs.filter(**{f"{date_field}__gte": last.start, f"{date_field}__lte": this.end})
            .values("case_type")
            .annotate(this_year=Count("id", filter=in_this), last_year=Count("id", filter=in_last))
            .order_by())
    counts = {row["case_type"]: row for row in rows}
    unrecorded = recorded_from is None or last.end < recorded_from
    return {ct: comparison(counts.get(ct, {}).get("this_year", 0),
                           None if unrecorded else counts.get(ct, {}).get("last_year", 0))
            for ct in CASE_TYPES}


def _raised_in(period: Period):
    return DisputeResolution.objects.filter(raised_on__gte=period.start, raised_on__lte=period.end)


def _closed_in(period: Period):
    return DisputeResolution.objects.filter(status__in=CLOSED, closed_on__gte=period.start,
                                            closed_on__lte=period.end)


WITHDRAWN_ROW = "withdrawn"


def closed_at_stage(closed, stages: list[dict]) -> dict:
    """{row: {stage key: n, ..., "total": n}} for the closed DRPs ``closed``, by the stage they
    closed at: a row for DRPs *resolved* of each case type (CP, CLA), and one row for every DRP
    *withdrawn*, whatever its type (a withdrawal is not a resolution). One GROUP BY."""
    rows = (closed.values("case_type", "status", "closed_at_stage__key").annotate(n=Count("id"))
            .order_by())
    table = {row: {s["key"]: 0 for s in stages} | {"total": 0} for row in (*CASE_TYPES, WITHDRAWN_ROW)}
    for row in rows:
        name = WITHDRAWN_ROW if row["status"] == DisputeResolution.Status.WITHDRAWN else row["case_type"]
        cells = table.setdefault(name, {s["key"]: 0 for s in stages} | {"total": 0})
        key = row["closed_at_stage__key"] or NOT_RECORDED
        cells[key] = cells.get(key, 0) + row["n"]
        cells["total"] += row["n"]
    return table


def themes_by_case_type(period: Period, theme_rows: list[dict]) -> dict:
    """{case type: {theme slug: DRPs raised in the period with that theme}}."""
    through = DisputeResolution.themes.through
    rows = (through.objects.filter(disputeresolution__raised_on__gte=period.start,
                                   disputeresolution__raised_on__lte=period.end)
            .values("disputeresolution__case_type", "theme__slug").annotate(n=Count("id")).order_by())
    table = {ct: _zero_themes(theme_rows) for ct in CASE_TYPES}
    for row in rows:
        table.setdefault(row["disputeresolution__case_type"], _zero_themes(theme_rows))[row["theme__slug"]] = row["n"]
    return table


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
    first = add_months(month, -(TREND_MONTHS - 1))
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


# --- Service learning and IRO/CC footprint ------------------------------------------------


@from_replica
def team_learning(period: Period) -> list[dict]:
    """Per team: DRPs raised (CP/CLA), their themes, and positive practice (CP/CLA) side by side."""
    raised = _raised_in(period)
    practice = PositivePractice.objects.filter(recorded_on__gte=period.start, recorded_on__lte=period.end)
    teams: dict[str, dict] = {}

    def team(slug, name):
        slug = slug or NOT_RECORDED
        return teams.setdefault(slug, {
            "team": slug, "name": name or "No team recorded",
            "drps": {ct: 0 for ct in CASE_TYPES} | {"total": 0},
            "positive_practice": {ct: 0 for ct in CASE_TYPES} | {"total": 0},
            "themes": {},
        })

    # DRPs count for each child's team when raised (DisputeResolution.teams); positive practice
    # for its one team.
    # (values() across the many-to-many is an outer join: a DRP with no team is one row of None.)
    grouped = (
        ("drps", raised.values(slug=F("teams__slug"), name=F("teams__name"), ct=F("case_type"))),
        ("positive_practice", practice.values(slug=F("team__slug"), name=F("team__name"), ct=F("case_type"))),
    )
    for key, qs in grouped:
        for row in qs.annotate(n=Count("pk")).order_by():
            cells = team(row["slug"], row["name"])[key]
            cells[row["ct"]] = cells.get(row["ct"], 0) + row["n"]
            cells["total"] += row["n"]
    themes = DisputeResolution.themes.through.objects.filter(
        disputeresolution__raised_on__gte=period.start, disputeresolution__raised_on__lte=period.end)
    rows = (themes.values("disputeresolution__teams__slug", "disputeresolution__teams__name", "theme__slug")
            .annotate(n=Count("pk")).order_by())
    for row in rows:
        team(row["disputeresolution__teams__slug"], row["disputeresolution__teams__name"])[
            "themes"][row["theme__slug"]] = row["n"]
    return sorted(teams.values(), key=lambda t: (t["team"] == NOT_RECORDED, t["name"]))


def _caseloads(period: Period) -> dict[int, int]:
    """{user id: distinct children in the DRPs they raised and the positive practice they
    recorded in the period}: one UNION query grouped by person."""
    drp, pp = DisputeResolution._meta, PositivePractice._meta
    drp_children = DisputeResolution.children.through._meta.db_table
    pp_children = PositivePractice.children.through._meta.db_table
    # Raw SQL is not routed by itself: run it where the ORM's reads of these rows would go.
    connection = connections[router.db_for_read(DisputeResolution)]
    q = connection.ops.quote_name
    sql = (
        f"SELECT person, COUNT(DISTINCT child) FROM ("
        f" SELECT d.{q('raised_by_id')} AS person, c.{q('child_id')} AS child"
        f" FROM {q(drp.db_table)} d JOIN {q(drp_children)} c ON c.{q('disputeresolution_id')} = d.{q('id')}"
        f" WHERE d.{q('raised_on')} >= %s AND d.{q('raised_on')} <= %s"
        f" UNION"
        f" SELECT p.{q('recorded_by_id')} AS person, c.{q('child_id')} AS child"
        f" FROM {q(pp.db_table)} p JOIN {q(pp_children)} c ON c.{q('positivepractice_id')} = p.{q('id')}"
        f" WHERE p.{q('recorded_on')} >= %s AND p.{q('recorded_on')} <= %s"
        f") footprint GROUP BY person"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.start, period.end, period.start, period.end])
        return dict(cursor.fetchall())


@from_replica
def iro_footprint(period: Period) -> list[dict]:
    """Per IRO/CC: DRPs raised (informal, formal), positive practice recorded, the children
    on their caseload (see the module docstring) and each per child."""
    people: dict[int, dict] = {}

    def person(pk):
        return people.setdefault(pk, {"user_id": pk, "drps_informal": 0, "drps_formal": 0,
                                      "drps_total": 0, "positive_practice": 0})

    rows = (_raised_in(period).values("raised_by_id")
            .annotate(informal=Count("id", filter=Q(stage__is_formal=False)),
                      formal=Count("id", filter=Q(stage__is_formal=True))).order_by())
    for row in rows:
        p = person(row["raised_by_id"])
        p["drps_informal"], p["drps_formal"] = row["informal"], row["formal"]
        p["drps_total"] = row["informal"] + row["formal"]
    practice = (PositivePractice.objects.filter(recorded_on__gte=period.start, recorded_on__lte=period.end)
                .values("recorded_by_id").annotate(n=Count("id")).order_by())
    for row in practice:
        person(row["recorded_by_id"])["positive_practice"] = row["n"]
    caseloads = _caseloads(period)
    names = {u.pk: u for u in User.objects.filter(pk__in=list(people))}
    result = []
    for pk, p in people.items():
        children = caseloads.get(pk, 0)
        user = names.get(pk)
        p |= {
            "name": (user.get_full_name() or user.username) if user else str(pk),
            "username": user.username if user else "",
            "children": children,
            "drps_per_child": round(p["drps_total"] / children, 2) if children else None,
            "positive_practice_per_child": round(p["positive_practice"] / children, 2) if children else None,
        }
        result.append(p)
    return sorted(result, key=lambda p: p["name"].casefold())
