"""Calendar-month arithmetic: the one ``add_months`` (and ``add_years``) every app uses.

Working days come from ``workflows.calendar``; months and years are calendar months from the
date, ending on the same day of the month or the last day of a shorter month (31 January + 1
month = 28 or 29 February; the first of a month + N months is the first of a month, as the
reports count). Used for the DO enquiry's targets and retention and the reports' months, and to split a period
where per-month counts the database keeps stop answering (``whole_months``).
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def add_months(start: date, months: int) -> date:
    """``months`` calendar months after (or, negative, before) ``start``."""
    return start + relativedelta(months=months)


def add_years(start: date, years: int) -> date:
    """29 February + 1 year = 28 February."""
    return start + relativedelta(years=years)


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return add_months(day.replace(day=1), 1) - timedelta(days=1)


def whole_months(start: date, end: date) -> tuple[tuple[date, date] | None, tuple[date, date] | None]:
    """[start, end] as its whole calendar months and the days after them, either None: a year
    to date (1 April to 3 December) is 1 April to 30 November and 1 to 3 December. A period not
    starting on a 1st has no whole months here: all of it is the days. Counts kept per month
    answer for the months; the days are counted from the rows."""
    if start.day != 1:
        return None, (start, end)
    whole_end = end if is_month_end(end) else end.replace(day=1) - timedelta(days=1)
    if whole_end < start:
        return None, (start, end)
    return (start, whole_end), (None if whole_end == end else (whole_end + timedelta(days=1), end))
