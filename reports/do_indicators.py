"""Designated Officer indicators the published LADO annual reports ask for (issue 16), per period
(a month with the year to date for the DO team; a reporting year for every report reader) and a
five-year trend of each headline figure. Counts only: no subject's or child's details. A fixed
number of set-based statements whatever the data: one per figure group for all of a report's
periods (``shared_counts``) and ``lado.selectors.figures`` per period (24 for a year).

Definitions (shown on the page and in the API description):

* **Referrals**: enquiries received in the period. **Advice-only consultations**: consultations
  logged (without the subject's identity) in the period; their share of all contacts
  (referrals and consultations).
* **Threshold met / not met**: enquiries received in the period, by the decision recorded.
* **Threshold decisions on time**: decisions made in the period, and of those made by the
  decision due date (``LADO_DECISION_WORKING_DAYS``, one working day after receipt).
* **First meetings on time**: enquiries whose threshold was met and whose first meeting was due
  (``LADO_FIRST_MEETING_WORKING_DAYS`` after the decision) in the period, counted once a meeting
  was held or the due date passed with the case still waiting (a case concluded without a
  meeting or cancelled by the due date is left out); on time when the first meeting was held
  on or before the due date.
* **Reviews on time**: review dates set at a meeting (``next_review_on``) that fell in the
  period, counted once a later meeting was held or the date passed with the case still open;
  on time when a later meeting was held on or before the date.
* **Harm test**: enquiries received in the period whose threshold was met, per criterion (an
  enquiry meeting two counts for each).
* **Police involvement, suspensions, DBS and regulator referrals**: as the annual report, cases
  with such an action recorded in the period.
* **Open at the end**: enquiries open on the period's last day by months since receipt; of
  those, the ones past their first target (``LADO_TARGET_MONTHS``), by the reason for delay
  recorded on them (as it stands now).
* **Non-recent**: enquiries received in the period whose alleged incident was
  ``LADO_NON_RECENT_MONTHS`` (12) months or more before the referral.
* **Setting and school phase**: enquiries received in the period by setting; those in a setting
  that asks for a school phase (education) by phase.
* **Five-year trend**: each headline figure for this reporting year (1 April to 31 March; to
  today while it runs) and the four before it.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan

from lado import conf as lado_conf
from lado import selectors as lado_selectors
from lado.clocks import NonRecentIncident
from lado.models import Consultation, DelayReason, Enquiry, Meeting, SchoolPhase, SettingType
from workflows.clocks import today
from workflows.replica import from_replica

from .periods import Period, reporting_year, reporting_year_of
from .selectors import NOT_RECORDED, percent

CRITERIA = tuple((field, label) for value, field in Enquiry.CRITERIA_FIELDS.items()
                 for v, label in Enquiry.Criterion.choices if v == value)
TREND_YEARS = 5

#: The headline figures with a five-year trend: (key, name, path in a period's figures, percent?).
HEADLINES = (
    ("referrals", "Referrals (enquiries received)", ("referrals", "received"), False),
    ("consultations", "Advice-only consultations", ("referrals", "consultations"), False),
    ("threshold_met", "Threshold met", ("threshold", "met"), False),
    ("decisions_on_time", "Threshold decisions on time (%)", ("decisions", "on_time_percent"), True),
    ("first_meetings_on_time", "First meetings on time (%)", ("first_meetings", "on_time_percent"), True),
    ("reviews_on_time", "Reviews on time (%)", ("reviews", "on_time_percent"), True),
    ("police_investigations", "Police involvement", ("actions", "police_investigations"), False),
    ("suspensions", "Suspensions", ("actions", "suspensions"), False),
    ("dbs_referrals", "DBS referrals", ("actions", "dbs_referrals"), False),
    ("regulator_referrals", "Regulator referrals", ("actions", "regulator_referrals"), False),
    ("non_recent", "Non-recent allegations", ("non_recent", "non_recent"), False),
    ("open_at_end", "Open at the end of the year", ("open_at_end", "total"), False),
    ("past_target", "Open past the first target", ("delays", "past_target"), False),
)


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})


def _rate(due: int, on_time: int) -> dict:
    return {"due": due, "on_time": on_time, "on_time_percent": percent(on_time, due)}


def vocabularies() -> dict:
    """The vocabularies the figures are named by, read once for every period of a report."""
    return {vocabulary: list(vocabulary.objects.all()) for vocabulary in (DelayReason, SettingType, SchoolPhase)}


def _named(items: list, counts: dict) -> list[dict]:
    """Every active value of a vocabulary (and any counted), then "not recorded"."""
    rows = [{"code": item.slug, "name": item.name, "enquiries": counts.get(item.slug, 0)}
            for item in items if item.active or item.slug in counts]
    return rows + [{"code": NOT_RECORDED, "name": "Not recorded", "enquiries": counts.get(NOT_RECORDED, 0)}]


def _per_period(periods: list[Period], counts: dict) -> dict:
    """``Count`` aggregates per period, keyed ``name_<i>``, for one statement over every period."""
    return {f"{name}_{i}": Count("id", filter=condition(period)) for i, period in enumerate(periods)
            for name, condition in counts.items()}


def _grouped(queryset, field: str, periods: list[Period], condition) -> list[dict]:
    """{value: n} per period from one GROUP BY over the rows of every period."""
    rows = list(queryset.values(field).annotate(**_per_period(periods, {"n": condition})).order_by())
    return [{(row[field] or NOT_RECORDED): row[f"n_{i}"] for row in rows if row[f"n_{i}"]}
            for i in range(len(periods))]


def shared_counts(periods: list[Period]) -> dict[Period, dict]:
    """The indicators that are not ``lado.selectors.figures``, for every period of a report at
    once: one statement per figure group over the rows of all the periods (a year and its
    five-year trend read the enquiries, meetings and consultations once, not five times), each
    period's counts filtered in the aggregate."""
    on = today()
    span = Period(min(p.start for p in periods), max(p.end for p in periods))

    def received(p):
        return _in("received_on", p)

    # The harm-test criteria and non-recent allegations (decided by the database row by row:
    # ``lado.clocks.NonRecentIncident``) share one pass over the enquiries received.
    enquiries = Enquiry.objects.filter(received(span)).aggregate(**_per_period(periods, {
        **{field: lambda p, field=field: received(p) & Q(threshold_met=True, **{field: True}) for field, _ in CRITERIA},
        "incident_dated": lambda p: received(p) & Q(incident_on__isnull=False),
        "non_recent": lambda p: received(p) & NonRecentIncident()}))
    consultations = Consultation.objects.filter(_in("consulted_on", span)).aggregate(
        **_per_period(periods, {"consultations": lambda p: _in("consulted_on", p)}))

    # A first meeting or a review counts once held, or once its date passed with the case open.
    # The earliest meeting and the next one are each a probe of the (enquiry, held_on) index,
    # made only for the rows of the period whose FILTER asks (the periods of a trend are apart).
    held = Meeting.objects.filter(enquiry=OuterRef("pk")).order_by("held_on").values("held_on")[:1]
    waited = Q(first_meeting_due__lt=on) & (Q(closed_on__isnull=True) | Q(closed_on__gt=F("first_meeting_due")))
    first = (Enquiry.objects.filter(_in("first_meeting_due", span), threshold_met=True)
             .annotate(first_held=Subquery(held))
             .aggregate(**_per_period(periods, {
                 "due": lambda p: _in("first_meeting_due", p) & (Q(first_held__isnull=False) | waited),
                 "on_time": lambda p: _in("first_meeting_due", p) & Q(first_held__lte=F("first_meeting_due"))})))
    later = (Meeting.objects.filter(enquiry=OuterRef("enquiry"), held_on__gt=OuterRef("held_on"))
             .order_by("held_on").values("held_on")[:1])
    # The enquiry's closing date is looked up only for a review with no later meeting and its date
    # passed (a join would hash every enquiry for the few rows that ask).
    closed = Subquery(Enquiry.objects.filter(pk=OuterRef("enquiry_id")).order_by().values("closed_on")[:1])
    waited = Q(next_review_on__lt=on) & GreaterThan(F("case_closed"), F("next_review_on"))
    reviews = (Meeting.objects.filter(_in("next_review_on", span))
               .annotate(next_held=Subquery(later), case_closed=Coalesce(closed, Value(date.max)))
               .aggregate(**_per_period(periods, {
                   "due": lambda p: _in("next_review_on", p) & (Q(next_held__isnull=False) | waited),
                   "on_time": lambda p: _in("next_review_on", p) & Q(next_held__lte=F("next_review_on"))})))

    def open_past_target(p):
        return (Q(received_on__lte=p.end, target_1_due__lt=p.end)
                & (Q(closed_on__isnull=True) | Q(closed_on__gt=p.end)))

    delays = _grouped(Enquiry.objects.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=span.start),
                                             received_on__lte=span.end, target_1_due__lt=span.end),
                      "delay_reason__slug", periods, open_past_target)
    phases = _grouped(Enquiry.objects.filter(received(span), setting__asks_school_phase=True),
                      "school_phase__slug", periods, received)
    return {period: {
        "criteria": {field: enquiries[f"{field}_{i}"] for field, _ in CRITERIA},
        "incident_dated": enquiries[f"incident_dated_{i}"], "non_recent": enquiries[f"non_recent_{i}"],
        "consultations": consultations[f"consultations_{i}"],
        "first": {"due": first[f"due_{i}"], "on_time": first[f"on_time_{i}"]},
        "reviews": {"due": reviews[f"due_{i}"], "on_time": reviews[f"on_time_{i}"]},
        "delays": delays[i], "phases": phases[i],
    } for i, period in enumerate(periods)}


def do_indicators(period: Period, named_by: dict | None = None, shared: dict | None = None) -> dict:
    """Every DO indicator for one period (see the module docstring); ``named_by`` and ``shared``:
    the ``vocabularies()`` and this period's ``shared_counts`` already read for a whole report."""
    named_by = named_by or vocabularies()
    shared = shared or shared_counts([period])[period]
    figures = lado_selectors.figures(period.start, period.end)
    consultations, first, reviews = shared["consultations"], shared["first"], shared["reviews"]
    contacts = figures["received"] + consultations
    criteria, delay_counts, phase_counts = shared["criteria"], shared["delays"], shared["phases"]
    non_recent = {"non_recent": shared["non_recent"], "incident_dated": shared["incident_dated"]}

    return {
        "period": period.as_dict(),
        "referrals": {"received": figures["received"], "consultations": consultations, "contacts": contacts,
                      "consultations_percent": percent(consultations, contacts)},
        "threshold": {"met": figures["threshold_met"], "not_met": figures["advice_given"]},
        "decisions": {**_rate(figures["decided"], figures["decided_within"]),
                      "working_days": lado_conf.decision_working_days()},
        "first_meetings": {**_rate(first["due"], first["on_time"]),
                           "working_days": lado_conf.first_meeting_working_days()},
        "reviews": _rate(reviews["due"], reviews["on_time"]),
        "criteria": criteria,
        "actions": figures["actions"],
        "open_at_end": figures["open_at_end"],
        "delays": {"past_target": sum(delay_counts.values()), "reasons": _named(named_by[DelayReason], delay_counts)},
        "non_recent": {**non_recent,
                       "months": lado_conf.non_recent_months()},
        "by_setting": _named(named_by[SettingType], figures["by_setting"]),
        "by_school_phase": _named(named_by[SchoolPhase], phase_counts),
    }


def periods_for(*, month: date | None = None, year: int | None = None) -> list[tuple[str, str, Period]]:
    """(key, label, period): a month with its reporting year to date, or one reporting year."""
    from .indicators import periods_for as drp_periods

    return drp_periods(month=month, year=year)


def trend_years(year: int, on: date | None = None) -> list[tuple[int, str, Period]]:
    """This reporting year (to today while it runs) and the four before it, oldest first."""
    on = on or today()
    years = []
    for y in range(year - TREND_YEARS + 1, year + 1):
        period = reporting_year(y)
        to_date = period.start <= on < period.end
        if to_date:
            period = Period(period.start, on)
        years.append((y, f"{y} to {y + 1}" + (" (to date)" if to_date else ""), period))
    return years


def headline(figures: dict | None, path: tuple[str, str]):
    return None if figures is None else figures[path[0]][path[1]]


def trend_of(years: list[dict]) -> dict:
    """{"years": [...], "figures": [{"key", "name", "percent", "values"}]} from each year's figures
    (``None`` for a year withheld)."""
    return {"years": [{k: y[k] for k in ("year", "label", "period")} for y in years],
            "figures": [{"key": key, "name": name, "percent": is_percent,
                         "values": [headline(y["figures"], path) for y in years]}
                        for key, name, path, is_percent in HEADLINES]}


@from_replica
def do_indicator_report(*, month: date | None = None, year: int | None = None) -> dict:
    """Exact figures: {"periods": [{"key", "label", "period", "figures"}], "years": [...]}, the
    years being the five of the trend. ``reports.do_disclosure`` shapes it for its reader."""
    chosen = year if year is not None else reporting_year_of(month)
    asked, trend = periods_for(month=month, year=year), trend_years(chosen)
    # A year asked for is also the trend's last: counted once.
    distinct = list(dict.fromkeys([period for _, _, period in asked] + [period for _, _, period in trend]))
    named_by, shared = vocabularies(), shared_counts(distinct)
    counted = {period: do_indicators(period, named_by, shared[period]) for period in distinct}

    periods = [{"key": key, "label": label, "period": period.as_dict(), "figures": counted[period]}
               for key, label, period in asked]
    years = [{"year": y, "label": label, "period": period.as_dict(), "figures": counted[period]}
             for y, label, period in trend]
    return {"periods": periods, "years": years}
