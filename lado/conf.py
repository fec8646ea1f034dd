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
