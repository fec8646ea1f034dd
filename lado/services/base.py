"""What every change to a Designated Officer enquiry shares: the lock, the fields, and the clocks
set when an enquiry is logged or decided. Who may is ``lado.access``; the refusal sentences are the
flow's (``lado.flows``); the one timeline event is ``workflows.timeline.record_event``."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from workflows.concurrency import unexpected_state
from workflows.exceptions import TransitionRefused
from workflows.locks import lock

from .. import clocks
from ..access import require_do_manager, require_do_team  # noqa: F401  (the service modules' gate)
from ..flows import REFUSALS, refusal_for, refusal_message  # noqa: F401  (the flow words its refusals)
from ..models import (
    CategoryRetention,
    Enquiry,
    RetentionRule,
    TimelineEvent,
)

Event = TimelineEvent.Event
Status = Enquiry.Status

#: What Working Together and the annual report need recorded on an enquiry: given when logging,
#: completed while it is open.
RECORD_FIELDS = (
    "incident_on", "employer_aware_on", "police_reference", "criminal_outcome", "criminal_outcome_detail",
    "subject_told", "subject_told_on", "parents_told", "parents_told_on", "dbs_referral", "dbs_decision",
    "dbs_decision_on",
)
#: What can be corrected or completed after an enquiry is logged.
DETAIL_FIELDS = (
    "received_at", "how", "referrer_name", "referrer_organisation", "referral_source", "sector",
    "setting", "school_phase", "subject_name", "subject_date_of_birth", "subject_role", "subject_employer",
    "employment_basis", "children", "children_description", "category", "summary", "officer",
    *RECORD_FIELDS,
)
TEXT_FIELDS = ("referrer_name", "referrer_organisation", "subject_name", "subject_role",
               "subject_employer", "children_description", "summary", "police_reference",
               "criminal_outcome_detail")
#: Coded fields: blank, or one of the choices.
CODED_FIELDS = {
    "criminal_outcome": ("Enquiry.CriminalOutcome", Enquiry.CriminalOutcome.values, "Choose the criminal outcome."),
    "dbs_referral": ("Enquiry.DbsReferral", Enquiry.DbsReferral.values, "Choose referred or not referred."),
    "dbs_decision": ("Enquiry.DbsDecision", Enquiry.DbsDecision.values, "Choose the DBS decision."),
}


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def lock_enquiry(enquiry: Enquiry) -> Enquiry:
    """The enquiry's row locked for this change (``workflows.locks``, the recipe every app uses);
    refused (409) when the move named the status it expected (``from_status``) and the enquiry
    has moved on since."""
    enquiry = lock(Enquiry.objects, enquiry.pk)
    expected = unexpected_state(enquiry, enquiry.status)
    if expected:
        raise TransitionRefused(f"{enquiry.reference} is now {enquiry.get_status_display().lower()}, not "
                                f"{expected}: read it again before you change it.")
    return enquiry


# --- Clocks -------------------------------------------------------------------------------


def received_date(received_at: datetime) -> date:
    return timezone.localdate(received_at)


def set_clocks(enquiry: Enquiry) -> None:
    """Decision due N working days after receipt; targets N calendar months after it, on the
    next working day when that is not one (``lado.clocks``); the first meeting N working days
    after the threshold was met."""
    enquiry.received_on = received_date(enquiry.received_at)
    enquiry.decision_due = clocks.decision_due(enquiry.received_on)
    enquiry.target_1_due, enquiry.target_2_due, enquiry.target_3_due = clocks.target_dues(enquiry.received_on)
    if enquiry.threshold_met and enquiry.decided_on:
        enquiry.first_meeting_due = clocks.first_meeting_due(enquiry.decided_on)


class RetentionRules:
    """Every retention rule, read once (two queries), for working out many enquiries' review dates:
    the rule for each way an enquiry closes, and each category's longer period. The importer loads
    one and calls ``review_date`` for each enquiry it fills."""

    def __init__(self, closures: dict[str, RetentionRule], category_years: dict[int, int]):
        self.closures = closures
        self.category_years = category_years

    @classmethod
    def load(cls) -> RetentionRules:
        return cls({rule.closure: rule for rule in RetentionRule.objects.all()},
                   dict(CategoryRetention.objects.values_list("category_id", "years")))

    def review_date(self, enquiry: Enquiry) -> date | None:
        closure = enquiry.closure
        return clocks.retention_review_date(
            closure=closure, received_on=enquiry.received_on, closed_on=enquiry.closed_on,
            date_of_birth=enquiry.subject_date_of_birth, rule=self.closures.get(closure),
            category_years=self.category_years.get(enquiry.category_id))


_LOOK_UP = object()


def retention_review_date(enquiry: Enquiry, rule: RetentionRule | None = None, category_years=_LOOK_UP) -> date | None:
    """When a closed enquiry is next reviewed for destruction (``lado.clocks.retention_review_date``):
    by the rule for how it closed (looked up when not given) and its category's longer period
    (looked up when not given). For many enquiries, load ``RetentionRules`` once instead."""
    closure = enquiry.closure
    if not closure or enquiry.closed_on is None:
        return None
    if rule is None:
        rule = RetentionRule.objects.filter(closure=closure).first()
    if category_years is _LOOK_UP:
        category_years = None
        if enquiry.category_id and clocks.statutory_minimum(closure):
            category_years = CategoryRetention.objects.filter(category_id=enquiry.category_id).values_list(
                "years", flat=True).first()
    return clocks.retention_review_date(
        closure=closure, received_on=enquiry.received_on, closed_on=enquiry.closed_on,
        date_of_birth=enquiry.subject_date_of_birth, rule=rule, category_years=category_years)


def close_enquiry(enquiry: Enquiry, closed_on: date) -> None:
    """Close the (locked) enquiry on ``closed_on`` with its retention review date."""
    enquiry.closed_on = closed_on
    enquiry.retention_review_on = retention_review_date(enquiry)


