"""What is recorded on an enquiry while it is open: the children, meetings, actions and the
timeline."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models

from workflows.clocks import Clock
from workflows.clocks import now as clock_now
from workflows.concurrency import Versioned
from workflows.history import CaseHistory
from workflows.models import TimelineEvent as BaseTimelineEvent
from workflows.models import protect_history

from .enquiry import Enquiry


class EnquiryChild(models.Model):
    """A child an enquiry is about. The child cannot be deleted while linked (PROTECT), so a
    child never drops silently out of a DO enquiry (the admin's delete used to cascade here):
    the link goes only when the DO team edits the enquiry or the enquiry is destroyed."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="+")
    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "lado_enquiry_children"  # the table Django made for the plain many-to-many
        unique_together = [("enquiry", "child")]
        verbose_name = "child in a DO enquiry"

    def __str__(self):
        return f"Child {self.child_id} in enquiry {self.enquiry_id}"


class Meeting(models.Model):
    """An allegation management meeting: the initial one (or a strategy discussion, where the police
    or a section 47 enquiry are involved: Working Together), reviews, and the outcome meeting."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial allegation management meeting"
        STRATEGY = "strategy", "Strategy discussion"
        REVIEW = "review", "Review meeting"
        OUTCOME = "outcome", "Outcome meeting"

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    held_on = models.DateField()
    attendees = models.TextField(help_text="One per line: name, agency.")
    minutes = models.TextField(blank=True)
    decisions = models.TextField()
    next_review_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock_now)
    history = CaseHistory()

    class Meta:
        ordering = ["held_on", "id"]
        indexes = [
            # The DO indicators' first meeting and next meeting of an enquiry: one index probe each.
            models.Index(fields=["enquiry", "held_on"], name="lado_meeting_enquiry_held"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.held_on:%d %B %Y}"

    def attendee_lines(self) -> list[str]:
        return [line.strip() for line in self.attendees.splitlines() if line.strip()]


class Action(Versioned, models.Model):
    """An action agreed for an enquiry: an investigation, a suspension, a referral, an outcome."""

    class Kind(models.TextChoices):
        POLICE_INVESTIGATION = "police-investigation", "Police investigation"
        SECTION_47 = "section-47-enquiry", "Section 47 enquiry"
        EMPLOYER_INVESTIGATION = "employer-investigation", "Employer investigation"
        SUSPENSION = "suspension", "Suspension"
        RISK_ASSESSMENT = "risk-assessment", "Risk assessment"
        DBS_REFERRAL = "dbs-referral", "DBS referral"
        REGULATOR_REFERRAL = "regulator-referral", "Regulator referral"
        EMPLOYER_OUTCOME = "employer-outcome", "Employer outcome"
        OTHER = "other", "Other"

    class Regulator(models.TextChoices):
        TRA = "tra", "Teaching Regulation Agency (TRA)"
        OFSTED = "ofsted", "Ofsted"
        SOCIAL_WORK_ENGLAND = "social-work-england", "Social Work England"
        NMC = "nmc", "Nursing and Midwifery Council (NMC)"
        GMC = "gmc", "General Medical Council (GMC)"
        OTHER = "other", "Other regulator"

    class EmployerOutcome(models.TextChoices):
        DISMISSAL = "dismissal", "Dismissal"
        RESIGNATION = "resignation", "Resignation"
        FINAL_WARNING = "final-warning", "Final warning"
        TRAINING = "training", "Training"
        NO_ACTION = "no-action", "No action"

    class AtClosure(models.TextChoices):
        DONE = "done", "Done"
        NOT_DONE = "not-done", "Not done"
        CARRIES_ON = "carries-on", "Carries on after the enquiry closes"

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    regulator = models.CharField(max_length=30, choices=Regulator.choices, blank=True)
    employer_outcome = models.CharField(max_length=20, choices=EmployerOutcome.choices, blank=True)
    owner_name = models.CharField(max_length=200)
    owner_agency = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(null=True, blank=True, db_index=True)
    done_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    at_closure = models.CharField(
        max_length=20, choices=AtClosure.choices, blank=True,
        help_text="For an action still open when the enquiry was concluded: what the officer confirmed "
                  "happens to it (done, not done, or carries on with its owner).")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock_now)
    history = CaseHistory()

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["done_on", "due_on"])]

    def __str__(self):
        return self.description

    @property
    def description(self) -> str:
        text = self.get_kind_display()
        if self.regulator:
            text += f": {self.get_regulator_display()}"
        if self.employer_outcome:
            text += f": {self.get_employer_outcome_display()}"
        return text

    @property
    def owner(self) -> str:
        return ", ".join(part for part in (self.owner_name, self.owner_agency) if part)

    def clock(self, on: date | None = None) -> Clock:
        stopped = self.done_on or self.at_closure == self.AtClosure.NOT_DONE
        return Clock.of(f"{self.get_kind_display()} due", None if stopped else self.due_on, on)


class TimelineEvent(BaseTimelineEvent):
    #: What happened to the enquiry. Called ``Event``, not ``Action``: in the DO enquiry an action is
    #: one agreed for the enquiry (``Action``, an investigation, a suspension, a referral).
    class Event(models.TextChoices):
        LOGGED = "logged", "Enquiry logged"
        UPDATED = "updated", "Details updated"
        ADVICE_GIVEN = "advice-given", "Threshold not met: advice given"
        THRESHOLD_MET = "threshold-met", "Threshold met"
        MEETING_HELD = "meeting-held", "Meeting held"
        ACTION_ADDED = "action-added", "Action recorded"
        ACTION_UPDATED = "action-updated", "Action updated"
        CONCLUDED = "concluded", "Concluded"
        CONCLUDED_WITHOUT_MEETING = "concluded-without-meeting", "Concluded without a meeting"
        CANCELLED = "cancelled", "Cancelled"
        DELAY_RECORDED = "delay-recorded", "Reason for delay recorded"
        DEADLINES_RECALCULATED = "deadlines-recalculated", "Deadlines recalculated"
        LEGAL_HOLD_SET = "legal-hold-set", "Legal hold placed"
        LEGAL_HOLD_RELEASED = "legal-hold-released", "Legal hold released"
        RETENTION_EXTENDED = "retention-extended", "Retention review date changed"
        RETENTION_RULE_APPLIED = "retention-rule-applied", "Retention rule changed"
        IMPORTED = "imported", "Imported"

    #: The name before issue 11, kept so that work written against it still runs; new code says Event.
    Action = Event

    # Redeclared with choices so that get_action_display names the event in the timeline.
    action = models.CharField(max_length=40, choices=Event.choices)
    # PROTECT: only the recorded destruction (``services.purge``) removes an enquiry's timeline.
    enquiry = models.ForeignKey(Enquiry, on_delete=models.PROTECT, related_name="timeline")
    # A DO enquiry moves through statuses, not stages: the base's stage fields are named for what
    # they hold here (migration 0012 renamed the columns; the values were always statuses).
    from_stage = None
    to_stage = None
    from_status = models.CharField(max_length=40, blank=True)
    to_status = models.CharField(max_length=40, blank=True)
    FROM_FIELD, TO_FIELD = "from_status", "to_status"

    class Meta(BaseTimelineEvent.Meta):
        indexes = [models.Index(fields=["enquiry", "at"])]


protect_history(Enquiry, Meeting, Action)


