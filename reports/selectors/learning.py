"""Service learning (per team) and the IRO/CC footprint. (See the package docstring for the definitions.)"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Count, F, Q

from drp.models import DisputeResolution
from people.models import User
from positive_practice.models import PositivePractice
from workflows.replica import from_replica

from ..periods import Period
from .common import CASE_TYPES, NOT_RECORDED, _raised_in

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
