"""The Designated Officer state machine (viewflow.fsm). Services drive it; nothing else sets ``status``.

    awaiting_decision --give_advice--> advice_given (closed)
    awaiting_decision --meet_threshold--> awaiting_meeting --hold_meeting--> in_progress
    awaiting_meeting --conclude_without_meeting--> concluded (clearly unfounded or malicious)
    in_progress --hold_meeting--> in_progress --conclude--> concluded (closed)
    any open status --cancel--> cancelled (closed)
    a closed enquiry an import created, untouched since --reimport--> any closed status

An import creates historical enquiries in the status its file gives; it changes an existing enquiry
only through ``reimport``.
"""

from viewflow import fsm

from . import access
from .models import Enquiry, TimelineEvent

Status = Enquiry.Status
OPEN = list(Enquiry.OPEN_STATUSES)
CLOSED = list(Enquiry.CLOSED_STATUSES)
ALLEGATION = [Status.AWAITING_MEETING, Status.IN_PROGRESS]


def is_do_team(flow, user) -> bool:
    """Designated Officers and the DO Manager: nobody else, superusers included."""
    return access.is_do_team(user)


def is_do_manager(flow, user) -> bool:
    return access.is_do_manager(user)


def changed_in_footprint(enquiry: Enquiry) -> bool:
    """Whether anything but an import wrote the timeline (an importer annotates
    ``changed_in_footprint`` for a whole chunk in its query)."""
    if hasattr(enquiry, "changed_in_footprint"):
        return enquiry.changed_in_footprint
    return enquiry.timeline.exclude(action=TimelineEvent.Event.IMPORTED).exists()


def imported_and_untouched(flow):
    """Only what an import wrote may an import rewrite: not an enquiry logged in Footprint, nor one
    the DO team has touched since (meetings, actions, legal hold, retention)."""
    enquiry = flow.enquiry
    if not enquiry.imported_from:
        return fsm.State.CONDITION(
            False, unmet=f"{enquiry.reference} was logged in Footprint: an import never changes it.")
    return fsm.State.CONDITION(
        not changed_in_footprint(enquiry),
        unmet=f"{enquiry.reference} has been changed in Footprint since it was imported: "
              "an import no longer changes it.")


def on_legal_hold(flow):
    return fsm.State.CONDITION(
        flow.enquiry.legal_hold, unmet=f"{flow.enquiry.reference} is not on legal hold.")


def not_on_legal_hold(flow):
    return fsm.State.CONDITION(
        not flow.enquiry.legal_hold,
        unmet=f"{flow.enquiry.reference} is on legal hold, so it cannot be destroyed.")


def not_already_on_legal_hold(flow):
    return fsm.State.CONDITION(
        not flow.enquiry.legal_hold,
        unmet=f"{flow.enquiry.reference} is already on legal hold: release the hold first to place "
              "it again with another reason.")


def retention_review_due(flow):
    from workflows.clocks import today

    enquiry = flow.enquiry
    due = enquiry.retention_review_on
    if due is None:
        return fsm.State.CONDITION(
            False, unmet=f"{enquiry.reference} has no retention review date, so it cannot be destroyed.")
    return fsm.State.CONDITION(
        due <= today(),
        unmet=f"{enquiry.reference} is kept until its retention review on {due.day} {due:%B %Y}.")


def past_its_target(flow):
    from workflows.clocks import today

    enquiry = flow.enquiry
    due = enquiry.target_1_due
    return fsm.State.CONDITION(
        enquiry.past_target(today()),
        unmet=f"{enquiry.reference} is within its first target ({due.day} {due:%B %Y}): a reason for delay is "
              "recorded once an enquiry is past it.")


def refusal_message(enquiry: Enquiry, consequence: str) -> str:
    return f"{enquiry.reference} is {enquiry.get_status_display().lower()}, so {consequence}."


#: What the enquiry's status stops, by move: the end of the sentence ``EnquiryFlow.refusal`` says (409).
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
    "record_delay": "no reason for delay is needed",
    "set_legal_hold": "it cannot be held",
    "release_legal_hold": "its legal hold cannot be released",
    "extend_retention": "its retention cannot be reviewed until it closes",
    "destroy": "it cannot be destroyed until it closes",
}


def refusal_for(enquiry: Enquiry, move: str) -> str:
    """Why the enquiry's status refuses ``move`` (the 409 sentence, alike in pages and the API)."""
    if move == "conclude_without_meeting" and enquiry.status == Status.IN_PROGRESS:
        return refusal_message(enquiry, "a meeting has been held: record the outcome with “Conclude the enquiry”")
    if move == "conclude" and enquiry.status == Status.AWAITING_MEETING:
        return refusal_message(enquiry, "no meeting has been held: record one first, or conclude a clearly "
                                        "unfounded or malicious allegation without a meeting")
    return refusal_message(enquiry, REFUSALS.get(move, "it cannot be changed this way"))


class EnquiryFlow:
    status = fsm.State(Status, default=Status.AWAITING_DECISION)

    def __init__(self, enquiry: Enquiry):
        self.enquiry = enquiry

    def refusal(self, name: str) -> str:
        """The 409 sentence when the enquiry's status does not allow move ``name``."""
        return refusal_for(self.enquiry, name)

    def forbidden(self, name: str) -> str:
        """The 403 sentence: the DO Manager's moves say so; the rest are the DO team's."""
        if any(t.permission is is_do_manager for t in getattr(self, name).get_transitions()):
            return "Only the DO Manager can do this."
        return "Designated Officer records are only for the DO team."

    @status.getter()
    def _get_status(self):
        return self.enquiry.status

    @status.setter()
    def _set_status(self, value):
        self.enquiry.status = value

    @status.transition(source=OPEN, label="Update details", permission=is_do_team)
    def update_details(self):
        """Correct or complete what was recorded when the enquiry came in."""

    @status.transition(source=Status.AWAITING_DECISION, target=Status.ADVICE_GIVEN,
                       label="Record the threshold decision", permission=is_do_team)
    def give_advice(self):
        """The harm test is not met: advice and guidance is given and the enquiry closes."""

    @status.transition(source=Status.AWAITING_DECISION, target=Status.AWAITING_MEETING,
                       label="Record the threshold decision", permission=is_do_team)
    def meet_threshold(self):
        """The harm test is met: an allegation management meeting is to be held."""

    @status.transition(source=ALLEGATION, target=Status.IN_PROGRESS, label="Record a meeting",
                       permission=is_do_team)
    def hold_meeting(self):
        """An allegation management meeting (initial, review or outcome) was held."""

    @status.transition(source=ALLEGATION, label="Record an action", permission=is_do_team)
    def add_action(self):
        """An action agreed for the enquiry: investigation, suspension, referral ..."""

    @status.transition(source=ALLEGATION + [Status.CONCLUDED], label="Update an action",
                       permission=is_do_team)
    def update_action(self):
        """Change an action's due date, or record it done (also after the outcome)."""

    @status.transition(source=Status.IN_PROGRESS, target=Status.CONCLUDED, label="Conclude",
                       permission=is_do_team)
    def conclude(self):
        """Record the outcome: substantiated, false, malicious, unfounded or unsubstantiated."""

    @status.transition(source=Status.AWAITING_MEETING, target=Status.CONCLUDED, label="Conclude without a meeting",
                       permission=is_do_team)
    def conclude_without_meeting(self):
        """A clearly unfounded or malicious allegation, concluded with a reason and no meeting."""

    @status.transition(source=OPEN, label="Record the reason for delay", permission=is_do_team,
                       conditions=[past_its_target])
    def record_delay(self):
        """Why an open case is past its first target: a coded reason with words."""

    @status.transition(source=OPEN, target=Status.CANCELLED, label="Cancel", permission=is_do_team)
    def cancel(self):
        """Withdrawn before an outcome, with a reason."""

    @status.transition(source=fsm.State.ANY, label="Place a legal hold", permission=is_do_team,
                       conditions=[not_already_on_legal_hold])
    def set_legal_hold(self):
        """Stop any destruction of the enquiry while a legal reason applies."""

    @status.transition(source=fsm.State.ANY, label="Release the legal hold", permission=is_do_manager,
                       conditions=[on_legal_hold])
    def release_legal_hold(self):
        """The reason for the hold has ended."""

    @status.transition(source=CLOSED, label="Change the retention review date", permission=is_do_manager)
    def extend_retention(self):
        """Keep the enquiry for longer and review it again on a later date."""

    @status.transition(source=CLOSED, target=fsm.State.GET_STATE(lambda flow, status: status, states=CLOSED),
                       label="Correct by importing again", permission=is_do_manager,
                       conditions=[imported_and_untouched])
    def reimport(self, status):
        """A file imported again corrects a closed historical enquiry; it stays closed."""

    @status.transition(source=CLOSED, label="Destroy", permission=is_do_manager,
                       conditions=[not_on_legal_hold, retention_review_due])
    def destroy(self):
        """Remove the enquiry and its personal data; a destruction-log entry remains."""


