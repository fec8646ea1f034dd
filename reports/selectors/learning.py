"""Service learning (per team) and the IRO/CC footprint. (See the package docstring for the definitions.)"""

from __future__ import annotations

from django.db import connections, router, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum

from drp.models import DisputeResolution, Theme
from people.models import Team, User
from positive_practice.models import PositivePractice
from workflows.replica import from_replica

from ..models import TeamMonthCount
from ..periods import Period
from .common import CASE_TYPES, NOT_RECORDED, _raised_in, _theme_counts_kept

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

    def add(key, row):
        cells = team(row["slug"], row["name"])[key]
        cells[row["ct"]] = cells.get(row["ct"], 0) + row["n"]
        cells["total"] += row["n"]

    # DRPs count for each child's team when raised (DisputeResolution.teams); positive practice
    # for its one team.
    if _theme_counts_kept(period.start, period.end):
        drps, themes = _kept_team_counts(period)
    else:
        # (values() across the many-to-many is an outer join: a DRP with no team is one row of None.)
        drps = raised.values(slug=F("teams__slug"), name=F("teams__name"), ct=F("case_type")).annotate(
            n=Count("pk")).order_by()
        themes = (DisputeResolution.themes.through.objects
                  .filter(disputeresolution__raised_on__gte=period.start,
                          disputeresolution__raised_on__lte=period.end)
                  .values(slug=F("disputeresolution__teams__slug"), name=F("disputeresolution__teams__name"),
                          theme_slug=F("theme__slug"))
                  .annotate(n=Count("pk")).order_by())
    for row in drps:
        add("drps", row)
    practice = practice.values(slug=F("team__slug"), name=F("team__name"), ct=F("case_type"))
    for row in practice.annotate(n=Count("pk")).order_by():
        add("positive_practice", row)
    for row in themes:
        team(row["slug"], row["name"])["themes"][row["theme_slug"]] = row["n"]
    return sorted(teams.values(), key=lambda t: (t["team"] == NOT_RECORDED, t["name"]))


def _kept_team_counts(period: Period) -> tuple[list[dict], list[dict]]:
    """The DRPs per team and case type, and the theme links per team, of the whole months of
    ``period`` from ``TeamMonthCount`` (kept by PostgreSQL): one grouped read of a few thousand
    rows, with the names of their teams and themes."""
    def named(model, pk, field):
        return Subquery(model.objects.filter(pk=OuterRef(pk)).values(field)[:1])

    rows = (TeamMonthCount.objects.filter(month__gte=period.start, month__lte=period.end)
            .values("team_id", "case_type", "theme_id").annotate(total=Sum("n")).filter(total__gt=0)
            .annotate(slug=named(Team, "team_id", "slug"), name=named(Team, "team_id", "name"),
                      theme=named(Theme, "theme_id", "slug")).order_by())
    drps, links = [], {}
    for row in rows:
        if row["theme_id"] == 0:
            drps.append({"slug": row["slug"], "name": row["name"], "ct": row["case_type"], "n": row["total"]})
        elif row["theme"] is not None:  # the report's themes per team are of both case types
            key = (row["slug"], row["name"], row["theme"])
            links[key] = links.get(key, 0) + row["total"]
    return drps, [{"slug": slug, "name": name, "theme_slug": theme, "n": n}
                  for (slug, name, theme), n in links.items()]


#: Memory for hashing the person-child pairs of a year (``_caseloads``), for that statement only.
CASELOAD_WORK_MEM = "64MB"


def _caseloads(period: Period) -> dict[int, int]:
    """{user id: distinct children in the DRPs they raised and the positive practice they
    recorded in the period}: one UNION query grouped by person."""
    drp, pp = DisputeResolution._meta, PositivePractice._meta
    drp_children = DisputeResolution.children.through._meta.db_table
    pp_children = PositivePractice.children.through._meta.db_table
    # Raw SQL is not routed by itself: run it where the ORM's reads of these rows would go.
    connection = connections[router.db_for_read(DisputeResolution)]
    q = connection.ops.quote_name
    # The UNION already leaves each person-child pair once: a plain count per person. Hashing
    # a year's pairs (335,000 at a million DRPs) needs more than the default 4 MB of work_mem,
    # without which they were sorted on disk: this statement gets CASELOAD_WORK_MEM.
    sql = (
        f"SELECT person, COUNT(*) FROM ("
        f" SELECT d.{q('raised_by_id')} AS person, c.{q('child_id')} AS child"
        f" FROM {q(drp.db_table)} d JOIN {q(drp_children)} c ON c.{q('disputeresolution_id')} = d.{q('id')}"
        f" WHERE d.{q('raised_on')} >= %s AND d.{q('raised_on')} <= %s"
        f" UNION"
        f" SELECT p.{q('recorded_by_id')} AS person, c.{q('child_id')} AS child"
        f" FROM {q(pp.db_table)} p JOIN {q(pp_children)} c ON c.{q('positivepractice_id')} = p.{q('id')}"
        f" WHERE p.{q('recorded_on')} >= %s AND p.{q('recorded_on')} <= %s"
        f") footprint GROUP BY person"
    )
    # SET LOCAL lasts to the end of the transaction: this one, or the caller's if it has one.
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{CASELOAD_WORK_MEM}'")
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


def my_figures(user, period: Period, on) -> dict:
    """An IRO's or chair's own figures for a reporting year (their row of the IRO/CC
    footprint) and their DRPs now: open, overdue, and closed in the year by how they ended."""
    from drp.selectors import overdue_condition

    row = next((p for p in iro_footprint(period) if p["user_id"] == user.pk), None) or {
        "drps_informal": 0, "drps_formal": 0, "drps_total": 0, "positive_practice": 0, "children": 0,
        "drps_per_child": None, "positive_practice_per_child": None}
    mine = DisputeResolution.objects.filter(raised_by=user)
    now = mine.filter(status__in=DisputeResolution.OPEN_STATUSES).aggregate(
        open=Count("id"), overdue=Count("id", filter=overdue_condition(on)))
    closed = mine.filter(closed_on__gte=period.start, closed_on__lte=period.end).aggregate(
        resolved=Count("id", filter=Q(status=DisputeResolution.Status.RESOLVED)),
        withdrawn=Count("id", filter=Q(status=DisputeResolution.Status.WITHDRAWN)))
    return {**row, **now, **closed}
