"""Aggregated figures of DO enquiries for reports (no personal data): from the per-month counts
PostgreSQL keeps (``EnquiryMonthCount``) for a period's whole months, and from the enquiries for
the days after them (a year to date: its whole months kept, this month's days counted), and for
the few months that straddle an edge of the open-at-end age bands."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import connections, router
from django.db.models import Count, F, Q, Sum, Value

from workflows.dates import add_months, is_month_end, month_end, whole_months

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


def _band_edges(end: date) -> list[date]:
    return [add_months(end, -months) for _, _, low, high in AGE_BANDS for months in (low, high) if months]


def database_keeps_counts() -> bool:
    """Whether the database keeps ``EnquiryMonthCount`` (PostgreSQL's triggers); elsewhere every
    figure is counted from the enquiries."""
    return connections[router.db_for_read(EnquiryMonthCount)].vendor == "postgresql"


def kept_and_counted(start: date, end: date) -> tuple[tuple[date, date] | None, tuple[date, date] | None]:
    """[start, end] as the span the kept counts answer for (its whole months) and the span
    counted from the enquiries (the days after them), either None."""
    return whole_months(start, end) if database_keeps_counts() else (None, (start, end))


def received_count(start: date, end: date) -> int:
    """Enquiries received in [start, end]."""
    kept, counted = kept_and_counted(start, end)
    total = 0
    if kept:
        months = EnquiryMonthCount.objects.filter(measure="received", month__gte=kept[0], month__lte=kept[1])
        total += months.aggregate(total=Sum("n"))["total"] or 0
    if counted:
        total += Enquiry.objects.filter(received_on__gte=counted[0], received_on__lte=counted[1]).count()
    return total


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
    counts = defaultdict(int)
    breakdowns = {field: defaultdict(int) for field, _ in BREAKDOWNS}
    kept, counted = kept_and_counted(start, end)
    if kept:
        _add_kept_flows(counts, breakdowns, *kept)
    if counted:
        _add_counted_flows(counts, breakdowns, *counted, period_start=start)
    _add_open_at_end(counts, end)
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


def _add_kept_flows(counts: dict, breakdowns: dict, start: date, end: date) -> None:
    """Adds what happened in the whole months [start, end] from the kept per-month counts (one
    read of a few thousand rows, and the breakdowns' names): enquiries received, decided and
    closed there, of those received by ``end`` (a decision dated before its receipt, received
    in the days after ``end``, is ``_add_counted_flows``')."""
    names = {field: {} for field, _ in BREAKDOWNS}
    vocabularies = [model.objects.annotate(field=Value(field)).values_list("field", "pk", "slug")
                    for field, model in BREAKDOWNS]
    for field, pk, slug in vocabularies[0].union(*vocabularies[1:], all=True):
        names[field][str(pk)] = slug
    rows = (EnquiryMonthCount.objects.filter(month__gte=start, month__lte=end).exclude(measure="open_until")
            .values_list("measure", "value").annotate(total=Sum("n")).order_by())
    last_month_received = end.strftime("%Y-%m")
    for measure, value, n in rows:
        value, _, received_in = value.partition("@")
        if received_in > last_month_received:  # decided or closed in the period, received after it
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


def _add_counted_flows(counts: dict, breakdowns: dict, start: date, end: date, *, period_start: date) -> None:
    """Adds what happened in [start, end] counted from the enquiries: the four breakdowns of
    those received, and every plain count, in two statements. [start, end] ends a period from
    ``period_start`` whose months before ``start`` were read from the kept counts; a decision or
    closure in those months of an enquiry received from ``start`` (its dates mistyped) was not,
    and is counted here, as a count of the whole period would."""
    received = Enquiry.objects.filter(received_on__gte=start, received_on__lte=end)

    # The four breakdowns from one scan of the period's enquiries, grouped by all four at once
    # (a few thousand combinations at most) and summed per breakdown here: at a million enquiries
    # four separate GROUP BYs read the year's rows four times.
    dimensions = [field for field, _ in BREAKDOWNS]
    for row in received.values(*(f"{field}__slug" for field in dimensions)).annotate(n=Count("id")).order_by():
        for field in dimensions:
            breakdowns[field][row[f"{field}__slug"] or "not-recorded"] += row["n"]

    # Every plain count in one pass over the enquiries received, decided or closed in the
    # period (each arm of the OR has its index: received_on, decided_on, closed_on), of those
    # received by its end; each count filters its own rows.
    was_received = Q(received_on__gte=start)
    was_closed = Q(closed_on__gte=start, closed_on__lte=end)
    was_decided = Q(decided_on__gte=start, decided_on__lte=end)
    if period_start < start:
        was_closed |= Q(closed_on__gte=period_start, closed_on__lt=start, received_on__gte=start)
        was_decided |= Q(decided_on__gte=period_start, decided_on__lt=start, received_on__gte=start)
    months = conf.target_months()
    found = Enquiry.objects.filter(was_received | was_decided | was_closed, received_on__lte=end).aggregate(
        n_received=Count("id", filter=was_received),
        n_met=Count("id", filter=was_received & Q(threshold_met=True)),
        n_advice=Count("id", filter=was_received & Q(threshold_met=False)),
        n_decided=Count("id", filter=was_decided),
        n_decided_within=Count("id", filter=was_decided & Q(decided_on__lte=F("decision_due"))),
        n_cancelled=Count("id", filter=was_closed & clocks.outcome_row_filter(clocks.CANCELLED_ROW)),
        n_cancelled_before=Count("id", filter=was_closed
                                 & clocks.outcome_row_filter(clocks.CANCELLED_BEFORE_DECISION_ROW)),
        n_concluded=Count("id", filter=was_closed & Q(status=Status.CONCLUDED)),
        **{f"within_{i}": Count("id", filter=was_closed & Q(status=Status.CONCLUDED,
                                                            closed_on__lte=F(f"target_{i + 1}_due")))
           for i in range(len(months))},
        # Outcomes of the enquiries concluded in the period, in the same pass.
        **{f"outcome_{value}": Count("id", filter=was_closed & Q(status=Status.CONCLUDED, outcome=value))
           for value in Enquiry.Outcome.values})
    for key, n in found.items():
        counts[key] += n


def _add_open_at_end(counts: dict, end: date) -> None:
    """Adds the enquiries open at the end of ``end`` (received by then, closed after it or not
    at all), by months since receipt (``AGE_BANDS``).

    Where the database keeps the counts, a month's receipts still open at the end are one kept
    count (``open_until``: received that month, closed in a later month than ``end``'s or not
    at all). Counted from the enquiries instead: the months a band's edge falls inside, and
    ``end``'s own month, whose receipts fall on both sides of it, and those closed later in
    ``end``'s month, which the month closed cannot place before or after ``end``. A year ending
    31 March has no such month; a year to date a handful."""
    open_at_end = Q(closed_on__isnull=True) | Q(closed_on__gt=end)
    if not database_keeps_counts():
        _add_open_counted(counts, end, Q(received_on__lte=end) & open_at_end)
        return
    straddled = {edge.replace(day=1) for edge in [*_band_edges(end), end] if not is_month_end(edge)}
    end_month = end.strftime("%Y-%m")
    still_open = Q(value="") | Q(value__gt=end_month)
    by_month = (EnquiryMonthCount.objects.filter(still_open, measure="open_until", month__lte=end)
                .exclude(month__in=straddled).values_list("month").annotate(total=Sum("n")).order_by())
    for month, n in by_month:
        counts["n_open"] += n
        for key, _, low, high in AGE_BANDS:
            if (not low or month <= add_months(end, -low)) and (high is None or month > add_months(end, -high)):
                counts[f"open_{key}"] += n
    if straddled:
        unplaced = Q(closed_on__gt=end, closed_on__lte=month_end(end))
        for month in straddled:
            unplaced |= Q(received_on__gte=month, received_on__lte=month_end(month))
        _add_open_counted(counts, end, Q(received_on__lte=end) & open_at_end & unplaced)


def _add_open_counted(counts: dict, end: date, rows: Q) -> None:
    """Adds the enquiries ``rows`` picks (open at ``end``) by their age band, in one statement."""
    bands = {}
    for key, _, low, high in AGE_BANDS:
        band = Q()
        if low:
            band &= Q(received_on__lte=add_months(end, -low))
        if high is not None:
            band &= Q(received_on__gt=add_months(end, -high))
        bands[f"open_{key}"] = Count("id", filter=band)
    found = Enquiry.objects.filter(rows).aggregate(n_open=Count("id"), **bands)
    for key, n in found.items():
        counts[key] += n
