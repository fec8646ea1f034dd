"""Helpers shared by the Designated Officer rule tests (tests/lado/test_lado_*_rules.py)."""

from __future__ import annotations

from datetime import date

from lado import services
from lado.models import Enquiry
from tests.support.lado_fixtures import at, in_progress, log, meet
from workflows.clocks import as_of

S = Enquiry.Status


def conclude_later(org, outcome, received: date, concluded_on: date, **overrides) -> Enquiry:
    """A case received on one day and concluded on a later one, through the services."""
    with as_of(received):
        enquiry = in_progress(org, received_at=at(received), **overrides)
    with as_of(concluded_on):
        return services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome=outcome)


def awaiting_meeting(org, decided: date, **overrides) -> Enquiry:
    with as_of(decided):
        return meet(org, log(org, received_at=at(decided), **overrides))
