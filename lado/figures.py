"""Aggregated figures of DO enquiries for reports (no personal data): from the per-month counts
PostgreSQL keeps (``EnquiryMonthCount``) where a period is whole months, else from the enquiries."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db import connections, router
from django.db.models import Count, F, Q, Sum, Value

from workflows.dates import add_months

from . import clocks, conf
from .models import (
    Action,
    Category,
    Enquiry,
    EnquiryMonthCount,
    ReferralSource,
    Sector,
    SettingType,
)

Status = Enquiry.Status

#: Age bands of enquiries open at the end of a period: (key, label, from months, to months).
AGE_BANDS = (("under_1_month", "Under 1 month", 0, 1), ("1_to_3_months", "1 to 3 months", 1, 3),
             ("3_to_12_months", "3 to 12 months", 3, 12), ("over_12_months", "Over 12 months", 12, None))
#: The actions the annual report counts, as enquiries with one recorded in the period.
ACTION_COUNTS = (("police_investigations", Action.Kind.POLICE_INVESTIGATION),
                 ("suspensions", Action.Kind.SUSPENSION),
                 ("dbs_referrals", Action.Kind.DBS_REFERRAL),
                 ("regulator_referrals", Action.Kind.REGULATOR_REFERRAL))
#: The breakdowns of the enquiries received: (field, vocabulary).
BREAKDOWNS = (("sector", Sector), ("setting", SettingType), ("category", Category),
              ("referral_source", ReferralSource))


def _is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def _band_edges(end: date) -> list[date]:
    return [add_months(end, -months) for _, _, low, high in AGE_BANDS for months in (low, high) if months]


def counts_kept(start: date, end: date) -> bool:
    """Whether ``EnquiryMonthCount`` answers for [start, end]: on PostgreSQL (the database keeps
    the counts), for whole months, with every age band's edge a month's end (a year ending
    31 March: 28/29 February, 31 December, 31 March)."""
    connection = connections[router.db_for_read(EnquiryMonthCount)]
    return (connection.vendor == "postgresql" and start.day == 1 and _is_month_end(end)
            and all(_is_month_end(edge) for edge in _band_edges(end)))


def received_count(start: date, end: date) -> int:
    """Enquiries received in [start, end]."""
    if counts_kept(start, end):
        kept = EnquiryMonthCount.objects.filter(measure="received", month__gte=start, month__lte=end)
        return kept.aggregate(total=Sum("n"))["total"] or 0
    return Enquiry.objects.filter(received_on__gte=start, received_on__lte=end).count()


def figures(start: date, end: date) -> dict:
    """Counts for reports over [start, end]: enquiries received, threshold decisions (and how
    many were made within their timescale), enquiries closed by outcome and within each target,
    enquiries open at the end by age, police involvement, suspensions and referrals, and enquiries
    by sector, setting, category and source. Holds no personal data; a fixed number of
    queries whatever the data. Readers outside the DO team see it through ``reports.disclosure``.

    Outcomes follow ``lado.clocks.outcome_row``: *cancelled* counts among the outcomes only
    where the threshold was met; an enquiry cancelled before any threshold decision is counted
    apart (``cancelled_before_decision``)."""
    months = conf.target_months()
    counts, breakdowns = (_kept_counts if counts_kept(start, end) else _counted_counts)(start, end)
    outcomes = {value: counts[f"outcome_{value}"] for value in Enquiry.Outcome.values}
    outcomes["cancelled"] = counts["n_cancelled"]
    within = {conf.months_label(m): counts[f"within_{i}"] for i, m in enumerate(months)}

    # Police involvement, suspensions and referrals: enquiries with such an action recorded in the period.
    actions = Action.objects.filter(recorded_at__date__gte=start, recorded_at__date__lte=end).aggregate(
        **{key: Count("enquiry", filter=Q(kind=kind), distinct=True) for key, kind in ACTION_COUNTS})
    return {
        "received": counts["n_received"],
        "threshold_met": counts["n_met"],
        "advice_given": counts["n_advice"],
        "decided": counts["n_decided"],
        "decided_within": counts["n_decided_within"],
        "decision_working_days": conf.decision_working_days(),
        "concluded": counts["n_concluded"],
        "outcomes": outcomes,
        "cancelled_before_decision": counts["n_cancelled_before"],
        "concluded_within": within,
        "open_at_end": {key: counts[f"open_{key}"] for key, *_ in AGE_BANDS} | {"total": counts["n_open"]},
        "actions": {key: actions[key] for key, _ in ACTION_COUNTS},
        **{f"by_{field}": dict(sorted(breakdowns[field].items())) for field, _ in BREAKDOWNS},
    }


def _kept_counts(start: date, end: date) -> tuple[dict, dict]:
    """The counts of ``_counted_counts`` from the kept per-month counts: two reads of a few
    thousand rows, and the breakdowns' names."""
    counts = defaultdict(int)
    breakdowns = {field: defaultdict(int) for field, _ in BREAKDOWNS}
    names = {field: {} for field, _ in BREAKDOWNS}
    vocabularies = [model.objects.annotate(field=Value(field)).values_list("field", "pk", "slug")
                    for field, model in BREAKDOWNS]
    for field, pk, slug in vocabularies[0].union(*vocabularies[1:], all=True):
        names[field][str(pk)] = slug
    rows = (EnquiryMonthCount.objects.filter(month__gte=start, month__lte=end).exclude(measure="open_until")
            .values_list("measure", "value").annotate(total=Sum("n")).order_by())
    end_month = end.strftime("%Y-%m")
    for measure, value, n in rows:
        value, _, received_in = value.partition("@")
        if received_in > end_month:  # decided or closed in the period, received after it
            continue
        if measure == "received":
            counts["n_received"] += n
            counts[{"met": "n_met", "advice": "n_advice"}.get(value, "n_undecided")] += n
        elif measure in names:
            if n:
                breakdowns[measure][names[measure].get(value, "not-recorded")] += n
        elif measure == "decided":
            counts["n_decided"] += n
            counts["n_decided_within"] += n if value == "within" else 0
        elif measure == "closed" and value.startswith("concluded:"):
            counts["n_concluded"] += n
            counts[f"outcome_{value.removeprefix('concluded:')}"] += n
        elif measure == "closed":
            counts[{clocks.CANCELLED_ROW: "n_cancelled",
                    clocks.CANCELLED_BEFORE_DECISION_ROW: "n_cancelled_before"}.get(value, "n_other")] += n
        elif measure == "concluded_within":
            counts[f"within_{int(value) - 1}"] += n
    # Open at the end: received by then, closed after it or not at all, by the month received.
    still_open = Q(value="") | Q(value__gt=end_month)
    by_month = (EnquiryMonthCount.objects.filter(still_open, measure="open_until", month__lte=end)
                .values_list("month").annotate(total=Sum("n")).order_by())
    for month, n in by_month:
        counts["n_open"] += n
        for key, _, low, high in AGE_BANDS:
            if (not low or month <= add_months(end, -low)) and (high is None or month > add_months(end, -high)):
                counts[f"open_{key}"] += n
    return counts, breakdowns


def _counted_counts(start: date, end: date) -> tuple[dict, dict]:
    """The plain counts and the four breakdowns, counted from the enquiries."""
    received = Enquiry.objects.filter(received_on__gte=start, received_on__lte=end)

    # The four breakdowns from one scan of the period's enquiries, grouped by all four at once
    # (a few thousand combinations at most) and summed per breakdown here: at a million enquiries
    # four separate GROUP BYs read the year's rows four times.
    dimensions = [field for field, _ in BREAKDOWNS]
    breakdowns = {field: defaultdict(int) for field in dimensions}
    for row in received.values(*(f"{field}__slug" for field in dimensions)).annotate(n=Count("id")).order_by():
        for field in dimensions:
            breakdowns[field][row[f"{field}__slug"] or "not-recorded"] += row["n"]

    # Every plain count in one pass over the enquiries received by the end of the period (those
    # received, decided, closed or still open in it): each count filters its own rows.
    was_received = Q(received_on__gte=start)
    was_closed = Q(closed_on__gte=start, closed_on__lte=end)
    was_decided = Q(decided_on__gte=start, decided_on__lte=end)
    open_at_end = Q(closed_on__isnull=True) | Q(closed_on__gt=end)
    bands = {}
    for key, _, low, high in AGE_BANDS:
        band = open_at_end
        if low:
            band &= Q(received_on__lte=add_months(end, -low))
        if high is not None:
            band &= Q(received_on__gt=add_months(end, -high))
        bands[f"open_{key}"] = Count("id", filter=band)
    months = conf.target_months()
    # Only the rows some count needs: received, decided or closed in the period, or still open
    # at its end; not the years of cases closed before it (most of them, at a million). Each
    # arm of the OR has its index (received_on, decided_on, closed_on).
    counted = was_received | was_decided | Q(closed_on__gte=start) | Q(closed_on__isnull=True)
    counts = Enquiry.objects.filter(counted, received_on__lte=end).aggregate(
        n_received=Count("id", filter=was_received),
        n_met=Count("id", filter=was_received & Q(threshold_met=True)),
        n_advice=Count("id", filter=was_received & Q(threshold_met=False)),
        n_decided=Count("id", filter=was_decided),
        n_decided_within=Count("id", filter=was_decided & Q(decided_on__lte=F("decision_due"))),
        n_cancelled=Count("id", filter=was_closed & clocks.outcome_row_filter(clocks.CANCELLED_ROW)),
        n_cancelled_before=Count("id", filter=was_closed
                                 & clocks.outcome_row_filter(clocks.CANCELLED_BEFORE_DECISION_ROW)),
        n_concluded=Count("id", filter=was_closed & Q(status=Status.CONCLUDED)),
        n_open=Count("id", filter=open_at_end),
        **bands,
        **{f"within_{i}": Count("id", filter=was_closed & Q(status=Status.CONCLUDED,
                                                            closed_on__lte=F(f"target_{i + 1}_due")))
           for i in range(len(months))},
        # Outcomes of the enquiries concluded in the period, in the same pass.
        **{f"outcome_{value}": Count("id", filter=was_closed & Q(status=Status.CONCLUDED, outcome=value))
           for value in Enquiry.Outcome.values})
    return counts, breakdowns
