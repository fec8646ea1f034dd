"""The DRP's two deadlines, computed in one place: by the services when a DRP is raised or
escalated, and by the importer for historical DRPs (so an imported DRP runs the same clocks)."""

from __future__ import annotations

from datetime import date

from django.conf import settings

from workflows.calendar import add_working_days

from .models import Stage


def stage_due(stage: Stage, started_on: date) -> date:
    """When the response to ``stage`` is due: its working-day timescale from the day it began."""
    return add_working_days(started_on, stage.working_days)


def overall_due(formal_started_on: date) -> date:
    """The overall formal time limit (IRO Handbook 6.2), from the day the formal process began."""
    return add_working_days(formal_started_on, settings.DRP_OVERALL_WORKING_DAYS)
