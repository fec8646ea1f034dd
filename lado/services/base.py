"""What every change to a Designated Officer case shares: who may, the lock, the refusal
sentences, the one timeline event, and the clocks set when a case is logged or decided."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from people import roles
from people.models import User
from workflows.concurrency import unexpected_state
from workflows.exceptions import TransitionRefused

from .. import clocks
from ..models import (
    CategoryRetention,
    Enquiry,
    RetentionRule,
    TimelineEvent,
)

Event = TimelineEvent.Action
Status = Enquiry.Status

#: What Working Together and the annual report need recorded on a case: given when logging,
#: completed while it is open.
RECORD_FIELDS = (
    "incident_on", "employer_aware_on", "police_reference", "criminal_outcome", "criminal_outcome_detail",
    "subject_told", "subject_told_on", "parents_told", "parents_told_on", "dbs_referral", "dbs_decision",
    "dbs_decision_on",
)
#: What can be corrected or completed after an enquiry is logged.
DETAIL_FIELDS = (
    "received_at", "how", "referrer_name", "referrer_organisation", "referral_source", "sector",
    "setting", "subject_name", "subject_date_of_birth", "subject_role", "subject_employer",
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


def require_do_team(user) -> None:
    """Default deny: only Designated Officers and the DO Manager, never by superuser status."""
    if not (user and user.is_authenticated and user.has_role(*roles.DO_TEAM)):
        raise PermissionDenied("Designated Officer records are only for the DO team.")


def require_do_manager(user) -> None:
    if not (user and user.is_authenticated and user.has_role(roles.DO_MANAGER)):
        raise PermissionDenied("Only the DO Manager can do this.")


def _lock(enquiry: Enquiry) -> Enquiry:
    """The case locked for this change; refused (409) when the move named the status it
    expected (``from_status``) and the case has moved on since."""
    enquiry = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
    expected = unexpected_state(enquiry, enquiry.status)
    if expected:
        raise TransitionRefused(f"{enquiry.reference} is now {enquiry.get_status_display().lower()}, not "
                                f"{expected}: read it again before you change it.")
    return enquiry


def refusal_message(enquiry: Enquiry, consequence: str) -> str:
    return f"{enquiry.reference} is {enquiry.get_status_display().lower()}, so {consequence}."


#: What the case's status stops, by move: the end of the sentence ``refusal_for`` says (409).
REFUSALS = {
    "update_details": "its details can no longer be changed",
    "meet_threshold": "its threshold decision has already been made",
    "give_advice": "its threshold decision has already been made",
    "hold_meeting": "no meeting can be recorded for it",
    "add_action": "no action can be recorded for it",
    "update_action": "its actions can no longer be changed",
    "conclude": "it cannot be concluded",
    "conclude_without_meeting": "it cannot be concluded without a meeting",
    "cancel": "it cannot be cancelled",
    "set_legal_hold": "it cannot be held",
    "release_legal_hold": "its legal hold cannot be released",
    "extend_retention": "its retention cannot be reviewed until it closes",
    "destroy": "it cannot be destroyed until it closes",
}


def refusal_for(enquiry: Enquiry, move: str) -> str:
    """Why the case's status refuses ``move`` (the 409 sentence, alike in pages and the API)."""
    if move == "conclude_without_meeting" and enquiry.status == Status.IN_PROGRESS:
        return refusal_message(enquiry, "a meeting has been held: record the outcome with “Conclude the case”")
    if move == "conclude" and enquiry.status == Status.AWAITING_MEETING:
        return refusal_message(enquiry, "no meeting has been held: record one first, or conclude a clearly "
                                        "unfounded or malicious allegation without a meeting")
    return refusal_message(enquiry, REFUSALS[move])


def _record(enquiry: Enquiry, actor: User | None, action: str, note: str = "", from_stage: str = "",
            to_stage: str = "") -> TimelineEvent:
    return TimelineEvent.objects.create(enquiry=enquiry, actor=actor, action=action, note=note,
                                        from_stage=from_stage, to_stage=to_stage)


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
    """Every retention rule, read once (two queries), for working out many cases' review dates:
    the rule for each way a case closes, and each category's longer period. The importer loads
    one and calls ``review_date`` for each case it fills."""

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
    """When a closed case is next reviewed for destruction (``lado.clocks.retention_review_date``):
    by the rule for how it closed (looked up when not given) and its category's longer period
    (looked up when not given). For many cases, load ``RetentionRules`` once instead."""
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


def _close(enquiry: Enquiry, closed_on: date) -> None:
    enquiry.closed_on = closed_on
    enquiry.retention_review_on = retention_review_date(enquiry)


