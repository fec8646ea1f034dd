"""Designated Officer indicators the published LADO annual reports ask for (issue 16), per period
(a month with the year to date for the DO team; a reporting year for every report reader) and a
five-year trend of each headline figure. Counts only: no subject's or child's details. A fixed
number of queries whatever the data (each period is a handful of aggregates).

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

from django.db.models import Count, Exists, F, Min, OuterRef, Q

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


def do_indicators(period: Period, named_by: dict | None = None) -> dict:
    """Every DO indicator for one period (see the module docstring); ``named_by``: the
    ``vocabularies()`` already read, when counting several periods."""
    on = today()
    named_by = named_by or vocabularies()
    figures = lado_selectors.figures(period.start, period.end)
    received = Enquiry.objects.filter(_in("received_on", period))
    consultations = Consultation.objects.filter(_in("consulted_on", period)).count()
    contacts = figures["received"] + consultations

    # The harm-test criteria and the non-recent count share one pass over the period's enquiries;
    # non-recent is decided by the database row by row (``lado.clocks.NonRecentIncident``).
    received_counts = received.aggregate(
        **{field: Count("id", filter=Q(threshold_met=True, **{field: True})) for field, _ in CRITERIA},
        incident_dated=Count("id", filter=Q(incident_on__isnull=False)),
        non_recent=Count("id", filter=NonRecentIncident()))
    criteria = {field: received_counts[field] for field, _ in CRITERIA}

    first = (Enquiry.objects.filter(_in("first_meeting_due", period), threshold_met=True)
             .annotate(first_held=Min("meetings__held_on"))
             .aggregate(due=Count("id", filter=Q(first_held__isnull=False) | (
                            Q(first_meeting_due__lt=on)
                            & (Q(closed_on__isnull=True) | Q(closed_on__gt=F("first_meeting_due"))))),
                        on_time=Count("id", filter=Q(first_held__lte=F("first_meeting_due")))))

    later = Meeting.objects.filter(enquiry=OuterRef("enquiry"), held_on__gt=OuterRef("held_on"))
    reviews = (Meeting.objects.filter(_in("next_review_on", period))
               .annotate(followed=Exists(later), kept=Exists(later.filter(held_on__lte=OuterRef("next_review_on"))))
               .aggregate(due=Count("id", filter=Q(followed=True) | (
                              Q(next_review_on__lt=on)
                              & (Q(enquiry__closed_on__isnull=True) | Q(enquiry__closed_on__gt=F("next_review_on"))))),
                          on_time=Count("id", filter=Q(kept=True))))

    open_at_end = Q(received_on__lte=period.end) & (Q(closed_on__isnull=True) | Q(closed_on__gt=period.end))
    delay_counts = {(row["delay_reason__slug"] or NOT_RECORDED): row["n"] for row in (
        Enquiry.objects.filter(open_at_end, target_1_due__lt=period.end)
        .values("delay_reason__slug").annotate(n=Count("id")).order_by())}

    phased = SettingType.objects.filter(asks_school_phase=True)
    phase_counts = {(row["school_phase__slug"] or NOT_RECORDED): row["n"] for row in (
        received.filter(setting__in=phased).values("school_phase__slug").annotate(n=Count("id")).order_by())}

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
        "non_recent": {"non_recent": received_counts["non_recent"], "incident_dated": received_counts["incident_dated"],
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
    counted: dict[Period, dict] = {}  # a year asked for is also the trend's last: counted once
    named_by = vocabularies()

    def figures(period: Period) -> dict:
        if period not in counted:
            counted[period] = do_indicators(period, named_by)
        return counted[period]

    periods = [{"key": key, "label": label, "period": period.as_dict(), "figures": figures(period)}
               for key, label, period in periods_for(month=month, year=year)]
    years = [{"year": y, "label": label, "period": period.as_dict(), "figures": figures(period)}
             for y, label, period in trend_years(chosen)]
    return {"periods": periods, "years": years}
