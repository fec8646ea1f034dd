"""Reporting periods: the reporting year (1 April to 31 March) and calendar months."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from workflows.clocks import today
from workflows.dates import (
    add_months,  # noqa: F401  (the reports name their months with it)
    month_end,
)

MIN_YEAR, MAX_YEAR = 2000, 2100


class BadPeriod(ValueError):
    """A year or month that cannot be read; ``field`` names the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def reporting_year(year: int) -> Period:
    """The reporting year starting 1 April ``year`` and ending 31 March ``year + 1``."""
    return Period(date(year, 4, 1), date(year + 1, 3, 31))


def reporting_year_of(day: date) -> int:
    """The reporting year a day falls in: 31 March 2018 is in 2017, 1 April 2018 in 2018."""
    return day.year if day.month >= 4 else day.year - 1


def month_period(first: date) -> Period:
    return Period(first.replace(day=1), month_end(first))


def last_month(on: date | None = None) -> date:
    return add_months((on or today()).replace(day=1), -1)


def parse_year(value, *, default: int | None = None) -> int:
    """A reporting year from a query parameter, or ``BadPeriod`` naming ``year``."""
    if value in (None, ""):
        return default if default is not None else reporting_year_of(today())
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}", text) or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise BadPeriod("year", f"Enter a reporting year as four digits, {MIN_YEAR} to {MAX_YEAR}, "
                                "for example 2017 for 1 April 2017 to 31 March 2018.")
    return int(text)


def parse_month(value, *, default: date | None = None) -> date:
    """The first day of a month from ``YYYY-MM``, or ``BadPeriod`` naming ``month``.
    Defaults to last month."""
    if value in (None, ""):
        return default or last_month()
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(value).strip())
    if not match or not 1 <= int(match[2]) <= 12 or not MIN_YEAR <= int(match[1]) <= MAX_YEAR:
        raise BadPeriod("month", "Enter a month as YYYY-MM, for example 2025-03.")
    return date(int(match[1]), int(match[2]), 1)
