"""The Designated Officer's rules for dates and closures: one function each, used alike by the
services, the reminders, the reports, the calendar recount and the import (see docs/rules.md).

- **Threshold decision**: ``LADO_DECISION_WORKING_DAYS`` (1) working days after receipt.
- **First meeting**: once the threshold is met, the first allegation management meeting (or
  strategy discussion) within ``LADO_FIRST_MEETING_WORKING_DAYS`` (5) working days of the
  decision.
- **Targets**: 1, 3 and 12 calendar months from referral (``LADO_TARGET_MONTHS``); a target that
  falls on a weekend, bank holiday or closure day moves to the next working day.
- **Retention** (Keeping Children Safe in Education, Part 4): substantiated, unsubstantiated and
  unfounded allegations are kept at least until the subject's normal pension age or 10 years
  from the allegation, whichever is longer; a category may keep them longer; false and
  malicious ones, advice given and cancelled enquiries follow the authority's own rules.
- **Outcome rows** of the reports: cancelled counts among outcomes only where the threshold was
  met; an enquiry cancelled before any threshold decision is counted on its own row.

The functions take dates and values, not rows, so the importer (which fills unsaved enquiries in
bulk) and the services call the same rule.
"""

from __future__ import annotations

from datetime import date

from django.db.models import BooleanField, Expression, F, Q
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.db.models.lookups import LessThanOrEqual

from workflows.calendar import WorkingDayCalendar, get_calendar
from workflows.dates import add_months, add_years

from . import conf

# --- Working-day clocks ---------------------------------------------------------------------


def _calendar(calendar: WorkingDayCalendar | None) -> WorkingDayCalendar:
    return calendar or get_calendar()


def decision_due(received_on: date, calendar: WorkingDayCalendar | None = None) -> date:
    """The threshold decision is expected this many working days after receipt."""
    return _calendar(calendar).add_working_days(received_on, conf.decision_working_days())


def first_meeting_due(decided_on: date, calendar: WorkingDayCalendar | None = None) -> date:
    """The first allegation management meeting (or strategy discussion) after the threshold is met."""
    return _calendar(calendar).add_working_days(decided_on, conf.first_meeting_working_days())


def next_working_day_from(day: date, calendar: WorkingDayCalendar | None = None) -> date:
    """``day`` when it is a working day, else the first working day after it."""
    calendar = _calendar(calendar)
    return day if calendar.is_working_day(day) else calendar.add_working_days(day, 1)


def month_target(received_on: date, months: int, calendar: WorkingDayCalendar | None = None) -> date:
    """N calendar months from referral (31 January + 1 month = 28 February), moved to the next
    working day when that date is not one."""
    return next_working_day_from(add_months(received_on, months), calendar)


def target_dues(received_on: date, calendar: WorkingDayCalendar | None = None) -> tuple[date, date, date]:
    """The three timeliness target dates of an enquiry received on ``received_on``."""
    calendar = _calendar(calendar)
    first, second, third = (month_target(received_on, months, calendar) for months in conf.target_months())
    return first, second, third


def within_one_working_day(start: date | None, end: date | None,
                           calendar: WorkingDayCalendar | None = None) -> bool | None:
    """Whether ``end`` is no later than one working day after ``start`` (the employer's duty to
    refer to the DO); None when either date is not known."""
    if start is None or end is None:
        return None
    return end <= _calendar(calendar).add_working_days(start, 1)


def is_non_recent(incident_on: date | None, received_on: date | None) -> bool | None:
    """Whether the alleged incident was ``LADO_NON_RECENT_MONTHS`` (12) months or more before the
    referral; None when the incident date is not known."""
    if incident_on is None or received_on is None:
        return None
    return incident_on <= add_months(received_on, -conf.non_recent_months())


class NonRecentIncident(Expression):
    """``is_non_recent`` as a condition the database evaluates on each enquiry row, so a report
    counts non-recent allegations in its aggregate instead of reading the incident dates out.
    PostgreSQL subtracts the months as an interval (it clamps 29 February - 12 months to 28
    February, as ``add_months`` does); elsewhere the portable form compares (year, month, day)
    keys: an incident is non-recent when its month is more than N months before the referral's,
    or exactly N and its day is on or before the referral's day (which is ``add_months``'s
    clamping too, an incident's day never exceeding its month's length). Unknown dates: NULL,
    so not counted."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, incident: str = "incident_on", received: str = "received_on", months: int | None = None):
        super().__init__()
        self.incident, self.received = F(incident), F(received)
        self.months = conf.non_recent_months() if months is None else months

    def get_source_expressions(self):
        return [self.incident, self.received]

    def set_source_expressions(self, exprs):
        self.incident, self.received = exprs

    def as_sql(self, compiler, connection):
        def key(field):
            return (ExtractYear(field) * 12 + ExtractMonth(field)) * 32 + ExtractDay(field)

        return compiler.compile(LessThanOrEqual(key(self.incident), key(self.received) - 32 * self.months))

    def as_postgresql(self, compiler, connection):
        incident, incident_params = compiler.compile(self.incident)
        received, received_params = compiler.compile(self.received)
        return (f"({incident} <= ({received} - make_interval(months => %s))::date)",
                (*incident_params, *received_params, self.months))


# --- Retention ------------------------------------------------------------------------------

SUBSTANTIATED, UNSUBSTANTIATED, UNFOUNDED = "substantiated", "unsubstantiated", "unfounded"
#: The outcomes Keeping Children Safe in Education (Part 4) keeps at least until the subject's
#: normal pension age or 10 years from the allegation, whichever is longer.
STATUTORY_CLOSURES = (SUBSTANTIATED, UNSUBSTANTIATED, UNFOUNDED)
STATUTORY_YEARS = 10
FROM_ALLEGATION, FROM_CLOSING = "allegation", "closing"


def statutory_minimum(closure: str) -> bool:
    """Whether the law sets a minimum for enquiries closed this way (else the authority decides)."""
    return closure in STATUTORY_CLOSURES


def retention_rule_problems(*, closure: str, years, counted_from: str, until_retirement: bool,
                            retirement_age) -> dict[str, str]:
    """Why a rule for ``closure`` would keep enquiries for less than the law requires (by field);
    empty when it keeps them at least as long. Counting from closing is allowed: an enquiry closes
    on or after the allegation, so N years from closing is never shorter."""
    if not statutory_minimum(closure) or years is None:
        return {}
    problems = {}
    why = ("Keeping Children Safe in Education keeps substantiated, unsubstantiated and unfounded "
           "allegations at least until the subject's normal pension age or 10 years from the allegation, "
           "whichever is longer")
    if years < STATUTORY_YEARS:
        problems["years"] = f"{why}: enter {STATUTORY_YEARS} years or more"
    if counted_from not in (FROM_ALLEGATION, FROM_CLOSING):
        problems["counted_from"] = "Choose whether the years count from the allegation or from closing"
    if not until_retirement:
        problems["until_retirement"] = f"{why}: keep the enquiry until the subject's normal pension age"
    elif retirement_age is not None and retirement_age < conf.pension_age():
        problems["retirement_age"] = (f"{why}: the normal pension age is taken as {conf.pension_age()} "
                                      f"(FOOTPRINT_LADO_PENSION_AGE), enter {conf.pension_age()} or more")
    return problems


def retention_review_date(*, closure: str, received_on: date, closed_on: date | None,
                          date_of_birth: date | None, rule, category_years: int | None = None) -> date | None:
    """When a closed enquiry is next reviewed for destruction: ``rule.years`` from the allegation
    (the date received) or from closing, as the rule counts; or, if the rule keeps enquiries until
    the subject's pension age and that is later, their pension-age birthday; or, for the
    statutory outcomes of a category with a longer period, ``category_years`` from the
    allegation if that is later still. None with no rule (or while open).

    An enquiry with no date of birth cannot be kept to pension age: it gets the years alone, and is
    flagged (``Enquiry.retention_needs_date_of_birth``)."""
    if not closure or closed_on is None or rule is None:
        return None
    start = received_on if rule.counted_from == FROM_ALLEGATION else closed_on
    review = add_years(start, rule.years)
    if rule.until_retirement and date_of_birth:
        review = max(review, add_years(date_of_birth, rule.retirement_age))
    if category_years and statutory_minimum(closure):
        review = max(review, add_years(received_on, category_years))
    return review


def category_retention_problems(years) -> dict[str, str]:
    """A category's period is only ever longer than the statutory 10 years; blank removes it."""
    if years is None:
        return {}
    if not STATUTORY_YEARS < years <= 100:
        return {"years": f"Enter more than {STATUTORY_YEARS} years (and no more than 100), or leave it blank "
                         "to keep this category's enquiries by the outcome rules alone"}
    return {}


# --- How a closed enquiry is counted in the reports --------------------------------------------

CONCLUDED, ADVICE_GIVEN, CANCELLED = "concluded", "advice_given", "cancelled"
#: The outcome row of an enquiry cancelled after the threshold was met, and the row of its own for
#: an enquiry cancelled before any threshold decision.
CANCELLED_ROW = "cancelled"
CANCELLED_BEFORE_DECISION_ROW = "cancelled_before_decision"
ADVICE_GIVEN_ROW = "advice_given"


def outcome_row(*, status: str, threshold_met: bool | None, outcome: str) -> str:
    """The row a closed enquiry is counted on: its outcome when concluded; ``cancelled`` when
    cancelled once the threshold was met; ``cancelled_before_decision`` when cancelled before
    any threshold decision; ``advice_given``; empty while open."""
    if status == CONCLUDED:
        return outcome
    if status == CANCELLED:
        return CANCELLED_ROW if threshold_met else CANCELLED_BEFORE_DECISION_ROW
    if status == ADVICE_GIVEN:
        return ADVICE_GIVEN_ROW
    return ""


def outcome_row_filter(row: str) -> Q:
    """The same rule as ``outcome_row``, as a database filter on ``lado.Enquiry``."""
    if row == CANCELLED_ROW:
        return Q(status=CANCELLED, threshold_met=True)
    if row == CANCELLED_BEFORE_DECISION_ROW:
        return Q(status=CANCELLED) & ~Q(threshold_met=True)
    if row == ADVICE_GIVEN_ROW:
        return Q(status=ADVICE_GIVEN)
    return Q(status=CONCLUDED, outcome=row)


def closing_status(*, threshold_met: bool | None, outcome: str) -> str:
    """The status of an enquiry from its threshold decision and how it ended (as an import states
    them): ``cancelled`` whether or not the threshold was decided (it counts as an outcome only
    where it was met: ``outcome_row``), advice given when not met, concluded with an outcome,
    else awaiting the decision or in progress."""
    if outcome == CANCELLED_ROW:
        return CANCELLED
    if threshold_met is None:
        return "awaiting_decision"
    if threshold_met is False:
        return ADVICE_GIVEN
    return CONCLUDED if outcome else "in_progress"
