"""Designated Officer settings, read when used so each authority (and each test) may set its own.

Each comes from ``settings.LADO_*`` when the project defines it, else from the environment
(``FOOTPRINT_LADO_*``), else the national default.
"""

from __future__ import annotations

import os

from django.conf import settings


def _setting(name: str, env: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(env, default)
    return value


def decision_working_days() -> int:
    """The threshold decision is expected this many working days after receipt (default 1)."""
    return int(_setting("LADO_DECISION_WORKING_DAYS", "FOOTPRINT_LADO_DECISION_WORKING_DAYS", "1"))


def first_meeting_working_days() -> int:
    """Once the threshold is met, the first allegation management meeting (or strategy
    discussion) is due this many working days after the decision (default 5, as local
    procedures commonly say)."""
    return int(_setting("LADO_FIRST_MEETING_WORKING_DAYS", "FOOTPRINT_LADO_FIRST_MEETING_WORKING_DAYS", "5"))


def pension_age() -> int:
    """The subject's normal pension age, for the retention rule of Keeping Children Safe in
    Education Part 4, taken as the state pension age: 67 for people born from 6 March 1961
    (Pensions Act 2014); the law as it stands raises it to 68 for people born after 5 April
    1977, so an authority may set 68. The retention rules hold their own age (data the DO
    Manager edits); a rule for substantiated, unsubstantiated or unfounded allegations may not
    use a lower one than this."""
    return int(_setting("LADO_PENSION_AGE", "FOOTPRINT_LADO_PENSION_AGE", "67"))


def non_recent_months() -> int:
    """An allegation is non-recent when the alleged incident was this many calendar months or
    more before the referral (default 12: a local reporting convention, not a statutory one)."""
    return int(_setting("LADO_NON_RECENT_MONTHS", "FOOTPRINT_LADO_NON_RECENT_MONTHS", "12"))


def target_months() -> tuple[int, int, int]:
    """The three national timeliness targets, in calendar months from referral (1, 3, 12)."""
    value = _setting("LADO_TARGET_MONTHS", "FOOTPRINT_LADO_TARGET_MONTHS", "1,3,12")
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    months = tuple(int(part) for part in value)
    if len(months) != 3 or list(months) != sorted(months) or months[0] < 1:
        raise ValueError("LADO_TARGET_MONTHS must be three increasing numbers of months, e.g. 1,3,12.")
    return months  # type: ignore[return-value]


def target_percentages() -> tuple[int, int, int]:
    """The share of cases expected to conclude within each target (80%, 90%, all but exceptional)."""
    value = _setting("LADO_TARGET_PERCENTAGES", "FOOTPRINT_LADO_TARGET_PERCENTAGES", "80,90,100")
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    return tuple(int(part) for part in value)  # type: ignore[return-value]


def months_label(months: int) -> str:
    return f"{months} month{'s' if months != 1 else ''}"
