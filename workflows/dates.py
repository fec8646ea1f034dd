"""Calendar-month arithmetic: the one ``add_months`` (and ``add_years``) every app uses.

Working days come from ``workflows.calendar``; months and years are calendar months from the
date, ending on the same day of the month or the last day of a shorter month (31 January + 1
month = 28 or 29 February; the first of a month + N months is the first of a month, as the
reports count). Used for the DO enquiry's targets and retention and the reports' months.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta


def add_months(start: date, months: int) -> date:
    """``months`` calendar months after (or, negative, before) ``start``."""
    return start + relativedelta(months=months)


def add_years(start: date, years: int) -> date:
    """29 February + 1 year = 28 February."""
    return start + relativedelta(years=years)
