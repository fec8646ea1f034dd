"""What a plausible date is, for every date field of every workflow, so that the GOV.UK date
input on a page and the API refuse the same dates with the same words.

A date raised in 1900 (a DRP overdue since before IROs existed) or a subject born 150 years ago
is a typing mistake, not a record: each field names its rule, and the message names the field
("Date raised must be the same as or after 1 January 2004").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError

from .clocks import today

#: Dates outside this range are typing mistakes (year 99, year 20255), not records.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199

#: Independent Reviewing Officers began in 2004 (Adoption and Children Act 2002, s.118): no DRP,
#: response or positive practice is older.
IROS_BEGAN = date(2004, 1, 1)

#: No Designated Officer record (received, told, decided, met, concluded) is older than this;
#: an allegation may be about something long before, so the incident date is not held to it.
DO_RECORDS_BEGAN = date(2000, 1, 1)


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True)
class DateRule:
    """The range of dates a field accepts. ``past``: today or earlier; ``future``: today or
    later; ``earliest``: a fixed first day; ``years_back``: a first day that moves with today
    (a date of birth at most 100 years ago)."""

    earliest: date | None = None
    years_back: int | None = None
    past: bool = False
    future: bool = False

    def first_day(self) -> date | None:
        days = [d for d in (self.earliest, self.years_back and today() - relativedelta(years=self.years_back)) if d]
        return max(days) if days else None

    def problem(self, value: date | None, label: str) -> str | None:
        """The GOV.UK message for a date outside the rule, or None when it is plausible."""
        if value is None:
            return None
        label = field_label(label)
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            return f"{label} must be a real date"
        if self.past and value > today():
            return f"{label} must be today or in the past"
        if self.future and value < today():
            return f"{label} must be today or in the future"
        first = self.first_day()
        if first and value < first:
            return f"{label} must be the same as or after {long_date(first)}"
        return None

    def check(self, value: date | None, label: str) -> date | None:
        """Raise a ValidationError (code ``implausible_date``) for a date outside the rule."""
        message = self.problem(value, label)
        if message:
            raise ValidationError(message, code="implausible_date")
        return value


def field_label(label) -> str:
    """"Agreed by (optional)" is "Agreed by" in a message."""
    return str(label or "The date").replace("(optional)", "").strip().rstrip("?").strip()


#: Any real date (a due date, a retention review).
ANY_DATE = DateRule()
#: Any date up to today.
PAST_DATE = DateRule(past=True)
#: The day a DRP was raised, a stage started, practice was recorded: since IROs, not ahead.
DRP_DATE = DateRule(earliest=IROS_BEGAN, past=True)
#: A date someone agrees to have done something by.
AGREED_BY = DateRule(earliest=IROS_BEGAN, future=True)
#: A child's date of birth: not ahead, and the reviewing service knows no one over 25
#: (care leavers are supported to 25).
CHILD_DATE_OF_BIRTH = DateRule(years_back=25, past=True)
#: The date of birth of a person an allegation is about: not ahead, at most 100 years ago.
SUBJECT_DATE_OF_BIRTH = DateRule(years_back=100, past=True)
#: Something that happened on a Designated Officer enquiry (received, told, met, concluded).
DO_DATE = DateRule(earliest=DO_RECORDS_BEGAN, past=True)
#: What an allegation is about, which may be long ago (non-recent abuse).
DO_INCIDENT_DATE = DateRule(years_back=100, past=True)
#: A Designated Officer date planned ahead (an action's due date, the next review meeting).
DO_PLANNED_DATE = DateRule(earliest=DO_RECORDS_BEGAN)
