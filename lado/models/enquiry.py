"""The Designated Officer's enquiry: an allegation against an adult who works with children,
from enquiry to outcome."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

from workflows.clocks import Clock
from workflows.clocks import today as clock_today
from workflows.concurrency import Versioned
from workflows.history import CaseHistory

from .. import conf
from .retention import RetentionRule
from .vocabularies import (
    Category,
    DelayReason,
    EmploymentBasis,
    ReferralSource,
    SchoolPhase,
    Sector,
    SettingType,
)

if TYPE_CHECKING:
    from .casework import Action


# --- The enquiry ---------------------------------------------------------------------------------


def name_key(value: str) -> str:
    """How subject names and employers are matched: case-insensitive, spacing ignored."""
    return " ".join((value or "").split()).casefold()


class Enquiry(Versioned, models.Model):
    """An enquiry to the Designated Officer about an adult in a position of trust."""

    class Status(models.TextChoices):
        AWAITING_DECISION = "awaiting_decision", "Awaiting threshold decision"
        ADVICE_GIVEN = "advice_given", "Advice given"
        AWAITING_MEETING = "awaiting_meeting", "Awaiting meeting"
        IN_PROGRESS = "in_progress", "In progress"
        CONCLUDED = "concluded", "Concluded"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.AWAITING_DECISION, Status.AWAITING_MEETING, Status.IN_PROGRESS)
    CLOSED_STATUSES = (Status.ADVICE_GIVEN, Status.CONCLUDED, Status.CANCELLED)

    class How(models.TextChoices):
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"
        FORM = "form", "Referral form"

    class Criterion(models.TextChoices):
        """The harm test (Keeping Children Safe in Education, Part 4; Working Together)."""

        HARMED = "harmed", "Harmed a child"
        CRIMINAL_OFFENCE = "criminal-offence", "Criminal offence"
        RISK_OF_HARM = "risk-of-harm", "Risk of harm"
        UNSUITABLE = "unsuitable", "Unsuitable to work with children"

    CRITERION_HINTS = {
        Criterion.HARMED: "The person has behaved in a way that has harmed a child, or may have harmed "
                          "a child.",
        Criterion.CRIMINAL_OFFENCE: "The person has possibly committed a criminal offence against or "
                                    "related to a child.",
        Criterion.RISK_OF_HARM: "The person has behaved towards a child or children in a way that indicates they may "
                                "pose a risk of harm to children.",
        Criterion.UNSUITABLE: "The person has behaved or may have behaved in a way that indicates they may not be "
                              "suitable to work with children (including transferable risk from their private life).",
    }

    class Outcome(models.TextChoices):
        """Outcome definitions, Keeping Children Safe in Education Part 4."""

        SUBSTANTIATED = "substantiated", "Substantiated"
        FALSE = "false", "False"
        MALICIOUS = "malicious", "Malicious"
        UNFOUNDED = "unfounded", "Unfounded"
        UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"

    OUTCOME_HINTS = {
        Outcome.SUBSTANTIATED: "There is sufficient evidence to prove the allegation.",
        Outcome.FALSE: "There is sufficient evidence to disprove the allegation.",
        Outcome.MALICIOUS: "There is sufficient evidence to disprove the allegation and there has been a "
                           "deliberate act to deceive.",
        Outcome.UNFOUNDED: "There is no evidence or proper basis which supports the allegation being made.",
        Outcome.UNSUBSTANTIATED: "There is insufficient evidence to either prove or disprove the allegation. "
                                 "The term therefore does not imply guilt or innocence.",
    }

    class CriminalOutcome(models.TextChoices):
        """The police's or the court's outcome, where there was a criminal investigation."""

        NO_FURTHER_ACTION = "no-further-action", "No further action"
        COMMUNITY_RESOLUTION = "community-resolution", "Community resolution"
        CAUTION = "caution", "Caution or conditional caution"
        CHARGED = "charged", "Charged: awaiting trial"
        CONVICTED = "convicted", "Convicted"
        ACQUITTED = "acquitted", "Acquitted"
        OTHER = "other", "Other"

    class DbsReferral(models.TextChoices):
        REFERRED = "referred", "Referred to the DBS"
        NOT_REFERRED = "not-referred", "Not referred"

    class DbsDecision(models.TextChoices):
        BARRED = "barred", "Barred: included in the children's barred list"
        NOT_BARRED = "not-barred", "Not barred"

    reference = models.CharField(max_length=40, unique=True)

    # The contact
    received_at = models.DateTimeField()
    received_on = models.DateField(db_index=True, help_text="The local date of received_at.")
    how = models.CharField(max_length=10, choices=How.choices, default=How.PHONE)
    referrer_name = models.CharField(max_length=200, blank=True)
    referrer_organisation = models.CharField(max_length=200, blank=True)
    referral_source = models.ForeignKey(ReferralSource, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    setting = models.ForeignKey(SettingType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    school_phase = models.ForeignKey(SchoolPhase, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     help_text="For an education setting: early years, primary, secondary, ...")

    # The subject: may be left blank for a below-threshold consultation
    subject_name = models.CharField(max_length=200, blank=True)
    subject_date_of_birth = models.DateField(null=True, blank=True)
    subject_role = models.CharField(max_length=200, blank=True)
    subject_employer = models.CharField(max_length=200, blank=True)
    employment_basis = models.ForeignKey(EmploymentBasis, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+")
    subject_name_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    subject_employer_key = models.CharField(max_length=200, blank=True, editable=False)

    # The children and the allegation
    children = models.ManyToManyField("children.Child", through="EnquiryChild", blank=True, related_name="+")
    children_description = models.TextField(
        blank=True, help_text="Children involved who have no record here, described.")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    summary = models.TextField()
    incident_on = models.DateField(
        "date of the alleged incident", null=True, blank=True,
        help_text="Identifies non-recent allegations (LADO_NON_RECENT_MONTHS before the referral or more).")
    employer_aware_on = models.DateField(
        "date the employer became aware", null=True, blank=True,
        help_text="The employer refers to the DO within one working day of becoming aware.")

    # What Working Together and the annual report need recorded
    police_reference = models.CharField("police reference", max_length=60, blank=True)
    criminal_outcome = models.CharField("criminal outcome", max_length=30, choices=CriminalOutcome.choices,
                                        blank=True)
    criminal_outcome_detail = models.TextField("criminal outcome in words", blank=True)
    subject_told = models.BooleanField("subject told", null=True, blank=True,
                                       help_text="Whether the subject was told of the allegation; empty: not recorded.")
    subject_told_on = models.DateField("date the subject was told", null=True, blank=True)
    parents_told = models.BooleanField("parents told", null=True, blank=True,
                                       help_text="Whether the child's parents or carers were told.")
    parents_told_on = models.DateField("date the parents were told", null=True, blank=True)
    dbs_referral = models.CharField("DBS referral", max_length=20, choices=DbsReferral.choices, blank=True)
    dbs_decision = models.CharField("DBS decision", max_length=20, choices=DbsDecision.choices, blank=True)
    dbs_decision_on = models.DateField("date of the DBS decision", null=True, blank=True)

    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", help_text="The Designated Officer handling the enquiry.")
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_DECISION,
                              db_index=True)

    # Threshold decision
    decision_due = models.DateField(db_index=True)
    decided_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    threshold_met = models.BooleanField(null=True, blank=True)
    harmed = models.BooleanField(default=False)
    criminal_offence = models.BooleanField(default=False)
    risk_of_harm = models.BooleanField(default=False)
    unsuitable = models.BooleanField(default=False)
    rationale = models.TextField(blank=True)
    advice = models.TextField(blank=True)

    # Meetings and the national targets (calendar months from referral)
    first_meeting_due = models.DateField(
        null=True, blank=True, db_index=True,
        help_text="Once the threshold is met: the first allegation management meeting or strategy discussion.")
    no_meeting_reason = models.TextField(
        blank=True, help_text="Why a clearly unfounded or malicious allegation was concluded without a meeting.")
    next_review_on = models.DateField(null=True, blank=True, db_index=True)
    target_1_due = models.DateField(db_index=True)
    target_2_due = models.DateField(db_index=True)
    target_3_due = models.DateField(db_index=True)

    # Why a case is still open past its first target: coded (a vocabulary) with free text
    delay_reason = models.ForeignKey(DelayReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    delay_note = models.TextField("reason for delay in words", blank=True)
    delay_recorded_on = models.DateField(null=True, blank=True)

    # Closing
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    closed_on = models.DateField(null=True, blank=True, db_index=True)
    cancel_reason = models.TextField(blank=True)

    # Retention
    retention_review_on = models.DateField(null=True, blank=True, db_index=True)
    legal_hold = models.BooleanField(default=False, help_text="A legal hold stops any destruction.")
    legal_hold_reason = models.TextField(blank=True)
    retention_set_by_hand = models.BooleanField(
        default=False, help_text="The DO Manager set the review date; rule changes leave it alone.")

    imported_from = models.CharField(
        max_length=255, blank=True, editable=False,
        help_text="The file an import last wrote this record from; empty for a record made in Footprint.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = CaseHistory()

    CRITERIA_FIELDS = {
        Criterion.HARMED: "harmed",
        Criterion.CRIMINAL_OFFENCE: "criminal_offence",
        Criterion.RISK_OF_HARM: "risk_of_harm",
        Criterion.UNSUITABLE: "unsuitable",
    }

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "DO enquiry"
        verbose_name_plural = "DO enquiries"
        indexes = [
            models.Index(fields=["status", "decision_due"]),
            models.Index(fields=["status", "first_meeting_due"]),
            models.Index(fields=["status", "next_review_on"]),
            models.Index(fields=["status", "target_1_due"]),
            models.Index(fields=["status", "target_2_due"]),
            models.Index(fields=["status", "target_3_due"]),
            models.Index(fields=["subject_name_key", "subject_employer_key"]),
            models.Index(fields=["retention_review_on", "legal_hold"]),
            # The annual report's breakdowns of the enquiries received in a year (sector,
            # setting, category, source) from the index alone, at a million enquiries.
            models.Index(fields=["received_on"], name="lado_enquiry_received_report",
                         include=["id", "sector", "setting", "category", "referral_source"]),
            # The threshold decisions made in a period, for the annual report's DO figures.
            models.Index(fields=["decided_on"], name="lado_enquiry_decided_on",
                         condition=models.Q(decided_on__isnull=False)),
        ]

    def __str__(self):
        return self.reference

    def save(self, *args, **kwargs):
        self.subject_name_key = name_key(self.subject_name)
        self.subject_employer_key = name_key(self.subject_employer)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {"subject_name_key", "subject_employer_key"}
        super().save(*args, **kwargs)

    # --- reading -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def criteria(self) -> list[str]:
        return [value for value, field in self.CRITERIA_FIELDS.items() if getattr(self, field)]

    def criteria_display(self) -> list[str]:
        labels = dict(self.Criterion.choices)
        return [labels[value] for value in self.criteria]

    @property
    def outcome_hint(self) -> str:
        return self.OUTCOME_HINTS.get(self.outcome, "")

    @property
    def closure(self) -> str:
        """What the enquiry closed as, for retention: its outcome, advice-given or cancelled."""
        if self.status == self.Status.CONCLUDED:
            return self.outcome
        if self.status == self.Status.ADVICE_GIVEN:
            return RetentionRule.Closure.ADVICE_GIVEN
        if self.status == self.Status.CANCELLED:
            return RetentionRule.Closure.CANCELLED
        return ""

    @property
    def subject_display(self) -> str:
        return self.subject_name or "Not named"

    def decision_clock(self, on: date | None = None) -> Clock:
        due = self.decision_due if self.status == self.Status.AWAITING_DECISION else None
        return Clock.of("Threshold decision due", due, on)

    def first_meeting_clock(self, on: date | None = None) -> Clock:
        """Runs from the threshold decision until the first meeting is recorded (or the enquiry is
        concluded without one, or cancelled)."""
        due = self.first_meeting_due if self.status == self.Status.AWAITING_MEETING else None
        return Clock.of("First meeting due", due, on)

    @property
    def first_meeting_held_on(self) -> date | None:
        """The day of the first meeting held (from the prefetched meetings)."""
        days = [meeting.held_on for meeting in self.meetings.all()]
        return min(days) if days else None

    def past_target(self, on: date | None = None) -> bool:
        """Open after its first target date: the reason for the delay is asked for."""
        return self.is_open and self.target_1_due < (on or clock_today())

    @property
    def is_non_recent(self) -> bool | None:
        from ..clocks import is_non_recent

        return is_non_recent(self.incident_on, self.received_on)

    @property
    def referred_within_one_working_day(self) -> bool | None:
        """Whether the referral came within one working day of the employer becoming aware."""
        from ..clocks import within_one_working_day

        return within_one_working_day(self.employer_aware_on, self.received_on)

    @property
    def retention_needs_date_of_birth(self) -> bool:
        """No date of birth, and the enquiry is (or, once the threshold is met, may be) kept until
        the subject's pension age: the retention date can count only the years, so the DO
        Manager is shown a flag. ``selectors.with_retention_flag`` computes it in the query."""
        annotated = getattr(self, "needs_date_of_birth", None)
        if annotated is not None:
            return bool(annotated)
        if self.subject_date_of_birth is not None:
            return False
        if self.is_open:
            return bool(self.threshold_met)
        return RetentionRule.objects.filter(closure=self.closure, until_retirement=True).exists()

    def review_clock(self, on: date | None = None) -> Clock:
        due = self.next_review_on if self.status == self.Status.IN_PROGRESS else None
        return Clock.of("Next review meeting", due, on)

    def targets(self, on: date | None = None) -> list[dict]:
        """The three national targets: a running clock while open; met or missed once concluded."""
        on = on or clock_today()
        rows = []
        dues = (self.target_1_due, self.target_2_due, self.target_3_due)
        for months, due in zip(conf.target_months(), dues):
            label = f"Within {conf.months_label(months)}"
            met = None
            if self.status == self.Status.CONCLUDED and self.closed_on:
                met = self.closed_on <= due
            clock = Clock.of(label, due if self.is_open else None, on)
            rows.append({"label": label, "months": months, "due": due, "clock": clock, "met": met})
        return rows

    def _open_actions(self) -> list[Action]:
        prefetched = getattr(self, "open_actions", None)
        if prefetched is not None:
            return prefetched
        return list(self.actions.filter(done_on__isnull=True))

    def next_clock(self, on: date | None = None) -> Clock | None:
        """The soonest running deadline: decision, first meeting, review meeting, an action, or the next target
        not yet passed (the last target once all have passed). Matches ``selectors.with_next_due``."""
        if not self.is_open:
            return None
        on = on or clock_today()
        candidates: list[tuple[date, str]] = []
        if self.status == self.Status.AWAITING_DECISION:
            candidates.append((self.decision_due, "Threshold decision"))
        if self.status == self.Status.AWAITING_MEETING and self.first_meeting_due:
            candidates.append((self.first_meeting_due, "First meeting"))
        if self.status == self.Status.IN_PROGRESS and self.next_review_on:
            candidates.append((self.next_review_on, "Review meeting"))
        for action in self._open_actions():
            if action.due_on:
                candidates.append((action.due_on, action.get_kind_display()))
        months = conf.target_months()
        dues = (self.target_1_due, self.target_2_due, self.target_3_due)
        index = next((i for i, due in enumerate(dues) if due >= on), 2)
        candidates.append((dues[index], f"{conf.months_label(months[index])} target"))
        due, label = min(candidates, key=lambda c: c[0])
        return Clock.of(label, due, on)


