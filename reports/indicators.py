"""DRP indicators the published IRO annual reports ask for (issue 16): how quickly a challenge
gets actions in place and gets resolved, whether each stage was answered by its deadline, the
children affected, escalations to partner agencies, the impact for the child, and positive
practice beside them; per period (a month, the year to date, a reporting year), per team and
per IRO/CC.

A fixed number of queries whatever the data (GROUP BYs; the working days of the DRPs resolved,
or given actions, in the period are counted in Python over one query's rows, as
``selectors.resolution_times`` does). Counts only: no child's details.

Definitions (shown on the page and in the API description):

* **Raised**, **children affected**: DRPs raised in the period, by the DRP's case type; a child
  named in two DRPs counts once (the total counts each child once whatever the case type).
* **Time to agreed actions**: working days from the date raised to the day the DRP's first
  agreed action was recorded, for DRPs whose first action was agreed in the period.
* **Time to resolution**: working days from the date raised to the date resolved, for DRPs
  resolved (not withdrawn) in the period.
* Both: the median and the distribution in :data:`BANDS` (0 to 5, 6 to 10, 11 to 20, over 20).
* **Stage deadlines met**: stages whose response deadline fell in the period and has passed (or
  that were answered), and of those the ones answered on or before it (an escalation with no
  response is not an answer).
* **Agreed actions**: agreed in the period; and of those *due* in the period: done by the date,
  done late, not done, and still open past the date.
* **Partner agencies** (escalations outside social care): actions owned by a partner agency's
  contact agreed in the period, stages addressed to one started in the period, and the DRPs
  either belongs to, per agency (every active agency listed).
* **Impact for the child**: DRPs resolved in the period per impact code (a DRP with two codes
  counts for each).
* **Positive practice**: records made in the period, by case type.
* **Per team**: each child's team when raised (a sibling group across two teams counts for
  each). **Per IRO/CC**: the person who raised the DRP.
"""

from __future__ import annotations

import statistics
from datetime import date

from django.db.models import Count, F, Min, Q

from drp.models import AgreedAction, DisputeResolution, ImpactCode, PartnerAgency, StageRecord
from people.models import User
from positive_practice.models import PositivePractice
from workflows.clocks import today
from workflows.replica import from_replica

from .periods import Period, month_period, reporting_year, reporting_year_of
from .selectors import CASE_TYPES, NOT_RECORDED, ladder, percent, working_days_for

#: Distribution bands of working days: (key, label, lowest, highest or None).
BANDS = (("0-5", "0 to 5 working days", 0, 5), ("6-10", "6 to 10 working days", 6, 10),
         ("11-20", "11 to 20 working days", 11, 20), ("over-20", "Over 20 working days", 21, None))


def distribution(days: list[int]) -> dict:
    """How many, the median and the count in each band."""
    bands = {key: 0 for key, *_ in BANDS}
    for n in days:
        for key, _, low, high in BANDS:
            if n >= low and (high is None or n <= high):
                bands[key] += 1
                break
    return {"count": len(days), "median_working_days": statistics.median(days) if days else None,
            "bands": bands}


def _by_case_type(rows, key="case_type", value="n") -> dict:
    counts = {ct: 0 for ct in CASE_TYPES}
    for row in rows:
        counts[row[key]] = counts.get(row[key], 0) + row[value]
    return counts | {"total": sum(counts.values())}


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})


def _people(pks) -> dict[int, User]:
    return {user.pk: user for user in User.objects.filter(pk__in=list(pks))}


def drp_indicators(period: Period) -> dict:
    """Every DRP indicator for one period (see the module docstring)."""
    on = today()
    raised = DisputeResolution.objects.filter(_in("raised_on", period))
    children = DisputeResolution.children.through.objects.filter(_in("disputeresolution__raised_on", period))
    children_by_type = _by_case_type(
        children.values(case_type=F("disputeresolution__case_type")).annotate(n=Count("child_id", distinct=True))
        .order_by())
    children_by_type["total"] = children.aggregate(n=Count("child_id", distinct=True))["n"]

    # Each DRP's first agreed action, from the actions table (far smaller than the DRPs'): the
    # earliest of those agreed by the period's end, kept when it falls in the period.
    first_actions = [(row["drp__raised_on"], row["first"], row["drp__raised_by_id"]) for row in (
        AgreedAction.objects.filter(agreed_on__lte=period.end)
        .values("drp_id", "drp__raised_on", "drp__raised_by_id").annotate(first=Min("agreed_on"))
        .filter(first__gte=period.start).order_by())]
    to_actions = working_days_for([(raised_on, first) for raised_on, first, _ in first_actions])

    # One row per (resolved DRP, team of its children): a DRP across two teams is two rows.
    resolved_rows = list(DisputeResolution.objects.filter(status=DisputeResolution.Status.RESOLVED)
                         .filter(_in("closed_on", period))
                         .values_list("pk", "raised_on", "closed_on", "raised_by_id", "teams__slug"))
    resolved_days = dict(zip([row[0] for row in resolved_rows],
                             working_days_for([(row[1], row[2]) for row in resolved_rows])))

    stages = ladder()
    compliance_rows = {row["stage__key"]: row for row in (
        StageRecord.objects.filter(_in("due_date", period))
        .filter(Q(responded_on__isnull=False) | Q(due_date__lt=on))
        .values("stage__key")
        .annotate(due=Count("pk"), on_time=Count("pk", filter=Q(responded_on__lte=F("due_date"))))
        .order_by())}
    stage_compliance = []
    for stage in stages:
        row = compliance_rows.get(stage["key"], {"due": 0, "on_time": 0})
        stage_compliance.append({"stage": stage["key"], "name": stage["name"], "due": row["due"],
                                 "answered_on_time": row["on_time"],
                                 "answered_on_time_percent": percent(row["on_time"], row["due"])})
    total_due = sum(s["due"] for s in stage_compliance)
    total_on_time = sum(s["answered_on_time"] for s in stage_compliance)

    Status = AgreedAction.Status
    actions = AgreedAction.objects.aggregate(
        agreed=Count("pk", filter=_in("agreed_on", period)),
        due=Count("pk", filter=_in("due_on", period)),
        done_on_time=Count("pk", filter=_in("due_on", period) & Q(status=Status.DONE,
                                                                   completed_on__lte=F("due_on"))),
        done_late=Count("pk", filter=_in("due_on", period) & Q(status=Status.DONE, completed_on__gt=F("due_on"))),
        not_done=Count("pk", filter=_in("due_on", period) & Q(status=Status.NOT_DONE)),
        open_overdue=Count("pk", filter=_in("due_on", period) & Q(status=Status.OPEN, due_on__lt=on)),
    )
    actions["done_on_time_percent"] = percent(actions["done_on_time"], actions["due"])

    # (agency, DRP) pairs: actions agreed, and stages started, in the period addressed to an agency.
    action_pairs = list(AgreedAction.objects.filter(_in("agreed_on", period), owner_contact__isnull=False)
                        .values_list("owner_contact__agency__slug", "drp_id"))
    stage_pairs = list(StageRecord.objects.filter(_in("started_on", period), addressee_contact__isnull=False)
                       .values_list("addressee_contact__agency__slug", "drp_id"))
    used = {slug for slug, _ in action_pairs + stage_pairs}
    agencies = []
    for agency in PartnerAgency.objects.all():
        if not (agency.active or agency.slug in used):
            continue
        agencies.append({"agency": agency.slug, "name": agency.name,
                         "actions": sum(1 for slug, _ in action_pairs if slug == agency.slug),
                         "stages": sum(1 for slug, _ in stage_pairs if slug == agency.slug),
                         "drps": len({drp for slug, drp in action_pairs + stage_pairs if slug == agency.slug})})
    agencies_total = {"actions": len(action_pairs), "stages": len(stage_pairs),
                      "drps": len({drp for _, drp in action_pairs + stage_pairs})}

    impact_counts = dict(
        DisputeResolution.impact_codes.through.objects
        .filter(disputeresolution__status=DisputeResolution.Status.RESOLVED)
        .filter(_in("disputeresolution__closed_on", period))
        .values_list("impactcode__slug").annotate(n=Count("pk")).order_by())
    impact = [{"code": code.slug, "name": code.name, "drps": impact_counts.get(code.slug, 0)}
              for code in ImpactCode.objects.all() if code.active or code.slug in impact_counts]

    practice = _by_case_type(PositivePractice.objects.filter(_in("recorded_on", period))
                             .values("case_type").annotate(n=Count("pk")).order_by())

    return {
        "period": period.as_dict(),
        "raised": _by_case_type(raised.values("case_type").annotate(n=Count("pk")).order_by()),
        "children_affected": children_by_type,
        "time_to_agreed_actions": distribution(to_actions),
        "time_to_resolution": distribution(list(resolved_days.values())),
        "stage_deadlines": {"stages": stage_compliance, "due": total_due, "answered_on_time": total_on_time,
                            "answered_on_time_percent": percent(total_on_time, total_due)},
        "agreed_actions": actions,
        "partner_agencies": {"agencies": agencies, **agencies_total},
        "impact": impact,
        "positive_practice": practice,
        "by_team": _by_team(raised, children, resolved_rows, resolved_days),
        "by_iro": _by_iro(raised, first_actions, resolved_rows, resolved_days),
    }


def _by_team(raised, children, resolved_rows, resolved_days) -> list[dict]:
    teams: dict[str, dict] = {}

    def team(slug, name=None):
        slug = slug or NOT_RECORDED
        entry = teams.setdefault(slug, {"team": slug, "name": name or "No team recorded", "raised": 0,
                                        "children_affected": 0, "resolved": 0, "days": []})
        if name:
            entry["name"] = name
        return entry

    for row in raised.values("teams__slug", "teams__name").annotate(n=Count("pk")).order_by():
        team(row["teams__slug"], row["teams__name"])["raised"] = row["n"]
    for row in (children.values("disputeresolution__teams__slug", "disputeresolution__teams__name")
                .annotate(n=Count("child_id", distinct=True)).order_by()):
        team(row["disputeresolution__teams__slug"], row["disputeresolution__teams__name"])["children_affected"] = row["n"]
    for pk, _, _, _, slug in resolved_rows:
        entry = team(slug)
        entry["resolved"] += 1
        entry["days"].append(resolved_days[pk])
    result = []
    for entry in teams.values():
        days = entry.pop("days")
        entry["median_working_days_to_resolution"] = statistics.median(days) if days else None
        result.append(entry)
    return sorted(result, key=lambda t: (t["team"] == NOT_RECORDED, t["name"]))


def _by_iro(raised, first_actions, resolved_rows, resolved_days) -> list[dict]:
    people: dict[int, dict] = {}

    def person(pk):
        return people.setdefault(pk, {"user_id": pk, "raised": 0, "with_agreed_actions": 0, "resolved": 0,
                                      "resolve_days": [], "action_days": []})

    for row in raised.values("raised_by_id").annotate(n=Count("pk")).order_by():
        person(row["raised_by_id"])["raised"] = row["n"]
    for (raised_on, first, pk), days in zip(first_actions, working_days_for(
            [(raised_on, first) for raised_on, first, _ in first_actions])):
        entry = person(pk)
        entry["with_agreed_actions"] += 1
        entry["action_days"].append(days)
    seen = set()
    for pk, _, _, user_id, _ in resolved_rows:
        if pk in seen:
            continue
        seen.add(pk)
        entry = person(user_id)
        entry["resolved"] += 1
        entry["resolve_days"].append(resolved_days[pk])
    names = _people(people)
    result = []
    for pk, entry in people.items():
        user = names.get(pk)
        resolve_days, action_days = entry.pop("resolve_days"), entry.pop("action_days")
        entry |= {"name": (user.get_full_name() or user.username) if user else str(pk),
                  "username": user.username if user else "",
                  "median_working_days_to_agreed_actions": statistics.median(action_days) if action_days else None,
                  "median_working_days_to_resolution": statistics.median(resolve_days) if resolve_days else None}
        result.append(entry)
    return sorted(result, key=lambda p: p["name"].casefold())


def periods_for(*, month: date | None = None, year: int | None = None) -> list[tuple[str, str, Period]]:
    """(key, label, period): a month with its reporting year to date, or one reporting year."""
    if month is not None:
        first = reporting_year(reporting_year_of(month)).start
        this = month_period(month)
        return [("month", f"{month:%B %Y}", this),
                ("year_to_date", f"Year to date ({first:%-d %B %Y} to {this.end:%-d %B %Y})", Period(first, this.end))]
    period = reporting_year(year)
    return [("year", f"{year} to {year + 1}", period)]


@from_replica
def drp_indicator_report(*, month: date | None = None, year: int | None = None) -> dict:
    """{"periods": [{"key", "label", ...indicators}]}: each period's figures."""
    return {"periods": [{"key": key, "label": label, **drp_indicators(period)}
                        for key, label, period in periods_for(month=month, year=year)]}
