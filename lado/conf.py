"""Designated Officer settings, read when used so each authority (and each test) may set its own.

Each is ``settings.LADO_*``, defined in ``config/settings/base.py`` from the environment
(``FOOTPRINT_LADO_*``) with the national default, as every domain setting is.
"""

from __future__ import annotations

from django.conf import settings


def decision_working_days() -> int:
    """The threshold decision is expected this many working days after receipt (default 1)."""
    return int(settings.LADO_DECISION_WORKING_DAYS)


def first_meeting_working_days() -> int:
    """Once the threshold is met, the first allegation management meeting (or strategy
    discussion) is due this many working days after the decision (default 5, as local
    procedures commonly say)."""
    return int(settings.LADO_FIRST_MEETING_WORKING_DAYS)


def pension_age() -> int:
    """The subject's normal pension age, for the retention rule of Keeping Children Safe in
    Education Part 4, taken as the state pension age: 67 for people born from 6 March 1961
    (Pensions Act 2014); the law as it stands raises it to 68 for people born after 5 April
    1977, so an authority may set 68. The retention rules hold their own age (data the DO
    Manager edits); a rule for substantiated, unsubstantiated or unfounded allegations may not
    use a lower one than this."""
    return int(settings.LADO_PENSION_AGE)


def non_recent_months() -> int:
    """An allegation is non-recent when the alleged incident was this many calendar months or
    more before the referral (default 12: a local reporting convention, not a statutory one)."""
    return int(settings.LADO_NON_RECENT_MONTHS)


def target_months() -> tuple[int, int, int]:
    """The three national timeliness targets, in calendar months from referral (1, 3, 12)."""
    value = settings.LADO_TARGET_MONTHS
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    months = tuple(int(part) for part in value)
    if len(months) != 3 or list(months) != sorted(months) or months[0] < 1:
        raise ValueError("LADO_TARGET_MONTHS must be three increasing numbers of months, e.g. 1,3,12.")
    return months  # type: ignore[return-value]


def target_percentages() -> tuple[int, int, int]:
    """The share of enquiries expected to conclude within each target (80%, 90%, all but exceptional)."""
    value = settings.LADO_TARGET_PERCENTAGES
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    return tuple(int(part) for part in value)  # type: ignore[return-value]


def months_label(months: int) -> str:
    return f"{months} month{'s' if months != 1 else ''}"
