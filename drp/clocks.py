"""The DRP's clocks: one rule each, used alike by the services, the importer, the reminders
and the reports (IRO Handbook 2010, 6.2: stage timescales that together do not exceed an
overall limit of 20 working days; see docs/rules.md).

- **Stage**: each stage's own response timescale (the ladder's ``working_days``); a formal
  stage's deadline never falls after the overall deadline.
- **Overall**: ``DRP_OVERALL_WORKING_DAYS`` from the first formal stage, or from the date
  raised when ``DRP_TIMESCALE_FROM`` is ``raised``.
- **Review**: once a response is in, the IRO resolves or escalates within
  ``DRP_REVIEW_WORKING_DAYS``: an answered DRP never waits unseen.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings

from workflows.calendar import add_working_days

FORMAL = "formal"
RAISED = "raised"


def timescale_from() -> str:
    """``formal`` or ``raised``: where the overall limit starts (FOOTPRINT_DRP_TIMESCALE_FROM)."""
    return settings.DRP_TIMESCALE_FROM


def timescale_description() -> str:
    """The rule in words, for clocks' labels and reports' footnotes."""
    days = settings.DRP_OVERALL_WORKING_DAYS
    if timescale_from() == RAISED:
        return f"{days} working days from the date the DRP was raised"
    return f"{days} working days from the start of the first formal stage"


def overall_start(*, raised_on: date, formal_started_on: date | None) -> date | None:
    """The day the overall limit counts from, or None while it has not started."""
    return raised_on if timescale_from() == RAISED else formal_started_on


def overall_due(start: date | None) -> date | None:
    return add_working_days(start, settings.DRP_OVERALL_WORKING_DAYS) if start else None


def stage_due(*, working_days: int, is_formal: bool, started_on: date,
              overall_due_date: date | None) -> date:
    """The stage's response deadline: its own timescale, never after the overall deadline for
    a formal stage."""
    due = add_working_days(started_on, working_days)
    if is_formal and overall_due_date is not None and overall_due_date < due:
        return overall_due_date
    return due


def review_due(responded_on: date) -> date:
    """By when the IRO resolves or escalates after a response."""
    return add_working_days(responded_on, settings.DRP_REVIEW_WORKING_DAYS)


def closed_within_timescale(*, closed_on: date | None, overall_due_date: date | None) -> bool | None:
    """Whether a DRP closed inside the overall limit; None when no overall clock ran (closed
    informally while the limit counts from the first formal stage)."""
    if closed_on is None or overall_due_date is None:
        return None
    return closed_on <= overall_due_date


def formal_ladder_total(stages) -> int:
    """Working days the formal stages of a ladder add up to, one stage after another."""
    return sum(stage.working_days for stage in stages if stage.is_formal)


def ladder_fits(stages) -> bool:
    """Whether the formal stages, each taking its full timescale, fit in the overall limit."""
    return formal_ladder_total(stages) <= settings.DRP_OVERALL_WORKING_DAYS
