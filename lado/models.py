"""Designated Officer (formerly LADO) casework: allegations against adults who work with children.

These records hold criminal-offence and special-category data. They are seen and changed only
by the DO team (``people.roles.DO_TEAM``), every read is logged, and none is registered in the
Django admin (a superuser is not a Designated Officer). Only the vocabularies, which hold no
personal data, are edited there; the retention rules and who holds a DO role are the DO
Manager's, on pages of the DO area.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from workflows.clocks import Clock, rag_for
from workflows.clocks import now as clock_now
from workflows.clocks import today as clock_today
from workflows.history import CaseHistory
from workflows.models import TimelineEvent as BaseTimelineEvent
from workflows.models import append_only, protect_history

from . import conf

# --- Vocabularies (admin-editable, seeded with the national defaults) -------------------------


class Vocabulary(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(
        max_length=300, blank=True, help_text="Shown as a hint beside the choice."
    )
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Offered when logging a new enquiry.")

    class Meta:
        abstract = True
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class ReferralSource(Vocabulary):
    """Who brought the concern to the DO (education, police, parent or carer, ...)."""


class Sector(Vocabulary):
    """The sector of the subject's organisation (public, voluntary, private, independent)."""


class SettingType(Vocabulary):
    """The kind of setting the subject works in (education, foster care, sport and leisure, ...)."""

    class Meta(Vocabulary.Meta):
        verbose_name = "setting type"


class EmploymentBasis(Vocabulary):
    """Permanent, temporary, agency, volunteer."""

    class Meta(Vocabulary.Meta):
        verbose_name = "employment basis"
        verbose_name_plural = "employment bases"


class Category(Vocabulary):
    """The category of the allegation (physical, sexual, emotional, neglect, suitability)."""

    class Meta(Vocabulary.Meta):
        verbose_name = "allegation category"
        verbose_name_plural = "allegation categories"


# --- The case ---------------------------------------------------------------------------------


def name_key(value: str) -> str:
    """How subject names and employers are matched: case-insensitive, spacing ignored."""
    return " ".join((value or "").split()).casefold()


class Enquiry(models.Model):
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
                                related_name="+", help_text="The Designated Officer handling the case.")
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
        """What the case closed as, for retention: its outcome, advice-given or cancelled."""
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
        """Runs from the threshold decision until the first meeting is recorded (or the case is
        concluded without one, or cancelled)."""
        due = self.first_meeting_due if self.status == self.Status.AWAITING_MEETING else None
        return Clock.of("First meeting due", due, on)

    @property
    def first_meeting_held_on(self) -> date | None:
        """The day of the first meeting held (from the prefetched meetings)."""
        days = [meeting.held_on for meeting in self.meetings.all()]
        return min(days) if days else None

    @property
    def is_non_recent(self) -> bool | None:
        from .clocks import is_non_recent

        return is_non_recent(self.incident_on, self.received_on)

    @property
    def referred_within_one_working_day(self) -> bool | None:
        """Whether the referral came within one working day of the employer becoming aware."""
        from .clocks import within_one_working_day

        return within_one_working_day(self.employer_aware_on, self.received_on)

    @property
    def retention_needs_date_of_birth(self) -> bool:
        """No date of birth, and the case is (or, once the threshold is met, may be) kept until
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
        return Clock(label=label, due=due, rag=rag_for(due, on))


class EnquiryChild(models.Model):
    """A child an enquiry is about. The child cannot be deleted while linked (PROTECT), so a
    child never drops silently out of a DO case (the admin's delete used to cascade here):
    the link goes only when the DO team edits the case or the case is destroyed."""

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

    def __str__(self):
        return f"{self.get_kind_display()} on {self.held_on:%d %B %Y}"

    def attendee_lines(self) -> list[str]:
        return [line.strip() for line in self.attendees.splitlines() if line.strip()]


class Action(models.Model):
    """An action agreed for a case: an investigation, a suspension, a referral, an outcome."""

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

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    regulator = models.CharField(max_length=30, choices=Regulator.choices, blank=True)
    employer_outcome = models.CharField(max_length=20, choices=EmployerOutcome.choices, blank=True)
    owner_name = models.CharField(max_length=200)
    owner_agency = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(null=True, blank=True, db_index=True)
    done_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
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
        return Clock.of(f"{self.get_kind_display()} due", None if self.done_on else self.due_on, on)


class TimelineEvent(BaseTimelineEvent):
    class Action(models.TextChoices):
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
        DEADLINES_RECALCULATED = "deadlines-recalculated", "Deadlines recalculated"
        LEGAL_HOLD_SET = "legal-hold-set", "Legal hold placed"
        LEGAL_HOLD_RELEASED = "legal-hold-released", "Legal hold released"
        RETENTION_EXTENDED = "retention-extended", "Retention review date changed"
        RETENTION_RULE_APPLIED = "retention-rule-applied", "Retention rule changed"
        IMPORTED = "imported", "Imported"

    # Redeclared with choices so that get_action_display names the event in the timeline.
    action = models.CharField(max_length=40, choices=Action.choices)
    # PROTECT: only the recorded destruction (``services.purge``) removes a case's timeline.
    enquiry = models.ForeignKey(Enquiry, on_delete=models.PROTECT, related_name="timeline")

    class Meta(BaseTimelineEvent.Meta):
        indexes = [models.Index(fields=["enquiry", "at"])]


protect_history(Enquiry, Meeting, Action)


# --- Retention ------------------------------------------------------------------------------


class RetentionRule(models.Model):
    """How long a closed case is kept before it is reviewed for destruction, per outcome."""

    class Closure(models.TextChoices):
        SUBSTANTIATED = "substantiated", "Substantiated"
        FALSE = "false", "False"
        MALICIOUS = "malicious", "Malicious"
        UNFOUNDED = "unfounded", "Unfounded"
        UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"
        ADVICE_GIVEN = "advice-given", "Advice given (threshold not met)"
        CANCELLED = "cancelled", "Cancelled"

    class CountedFrom(models.TextChoices):
        ALLEGATION = "allegation", "the allegation"
        CLOSING = "closing", "closing"

    closure = models.CharField(max_length=20, choices=Closure.choices, unique=True)
    years = models.PositiveSmallIntegerField(help_text="Review this many years after the allegation or closing.")
    counted_from = models.CharField(
        max_length=10, choices=CountedFrom.choices, default=CountedFrom.CLOSING,
        help_text="The allegation: the date the DO received it (Keeping Children Safe in Education counts "
                  "10 years from it).")
    until_retirement = models.BooleanField(
        "until pension age",
        default=False,
        help_text="Or when the subject reaches normal pension age, if that is later (needs their date of birth).",
    )
    retirement_age = models.PositiveSmallIntegerField("normal pension age", default=67)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["closure"]

    def __str__(self):
        text = (f"{self.get_closure_display()}: review {self.years} year{'s' if self.years != 1 else ''} "
                f"after {self.get_counted_from_display()}")
        if self.until_retirement:
            text += f" or at normal pension age ({self.retirement_age}) if later"
        return text

    @property
    def statutory(self) -> bool:
        """Keeping Children Safe in Education sets a minimum for cases closed this way."""
        from .clocks import statutory_minimum

        return statutory_minimum(self.closure)


class CategoryRetention(models.Model):
    """A longer period for one category of allegation (for example sexual abuse): its
    substantiated, unsubstantiated and unfounded cases are kept at least this many years from
    the allegation, if that is later than the rule for the outcome gives. The DO Manager sets it
    with the retention rules; false and malicious allegations keep their own rules."""

    category = models.OneToOneField(Category, on_delete=models.PROTECT, related_name="retention")
    years = models.PositiveSmallIntegerField(help_text="Years from the allegation.")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["category__order", "category__name"]

    def __str__(self):
        return describe_category_retention(self.category, self.years)


def describe_category_retention(category, years: int | None) -> str:
    if not years:
        return f"{category}: kept by the outcome rules alone"
    return (f"{category}: substantiated, unsubstantiated and unfounded allegations kept at least {years} years "
            "from the allegation")


class DestructionLog(models.Model):
    """What is left of a destroyed case: no personal data, only the decision to destroy it."""

    case_id = models.PositiveBigIntegerField(db_index=True)
    reference = models.CharField(max_length=40, unique=True)
    closure = models.CharField(max_length=20, choices=RetentionRule.Closure.choices, blank=True)
    received_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    retention_review_on = models.DateField(null=True, blank=True)
    destroyed_at = models.DateTimeField(default=clock_now)
    destroyed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()

    class Meta:
        ordering = ["-destroyed_at", "-id"]
        # The proof that a case was destroyed, by whom and why: added to, never changed.
        triggers = [append_only()]

    def __str__(self):
        return f"{self.reference} destroyed {self.destroyed_at:%d %B %Y}"



# --- The DO Manager's records: rule changes, DO roles, access reviews -----------------------


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("This record is append-only.")

    def delete(self):
        raise TypeError("This record is append-only.")


class AppendOnlyRecord(models.Model):
    """A row that is written once and never changed or removed: refused here, and by the
    database on PostgreSQL (``workflows.models.append_only``)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        triggers = [append_only()]

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("This record is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("This record is append-only.")


class RetentionRuleChange(AppendOnlyRecord):
    """The DO Manager changed a retention rule (for an outcome, or a category's longer period):
    the rule before and after, why, and how many closed cases got a new review date (each one
    also has it on its timeline)."""

    rule = models.ForeignKey(RetentionRule, on_delete=models.PROTECT, related_name="changes", null=True,
                             blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                 help_text="Set when a category's longer period changed.")
    at = models.DateTimeField(default=clock_now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    before = models.CharField(max_length=400)
    after = models.CharField(max_length=400)
    reason = models.TextField()
    cases_changed = models.PositiveIntegerField(default=0)

    class Meta(AppendOnlyRecord.Meta):
        ordering = ["-at", "-id"]

    def __str__(self):
        what = self.rule.get_closure_display() if self.rule_id else str(self.category)
        return f"{what} rule changed {self.at:%d %B %Y}"


class RoleChange(AppendOnlyRecord):
    """A Designated Officer role granted or removed: who did it, to whom, which role, when and
    why. Only the DO Manager makes these (``services.do_role_grant`` / ``do_role_remove``),
    except the first DO Manager, appointed from the server (``manage.py appoint_do_manager``,
    ``actor`` empty)."""

    class Change(models.TextChoices):
        GRANTED = "granted", "Granted"
        REMOVED = "removed", "Removed"

    at = models.DateTimeField(default=clock_now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", help_text="Empty: appointed from the server.")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.ForeignKey("people.Role", on_delete=models.PROTECT, related_name="+")
    change = models.CharField(max_length=10, choices=Change.choices)
    reason = models.TextField()

    class Meta(AppendOnlyRecord.Meta):
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "role", "at"])]

    def __str__(self):
        return f"{self.role_id} {self.change} {self.at:%d %B %Y}"


class AccessReview(AppendOnlyRecord):
    """The DO Manager's yearly review of who holds DO roles: when, by whom, who held which
    role at the time, and a note."""

    at = models.DateTimeField(default=clock_now, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    holders = models.JSONField(default=list, help_text="Each holder's username and DO roles at the review.")
    note = models.TextField(blank=True)

    class Meta(AppendOnlyRecord.Meta):
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"DO access review {self.at:%d %B %Y}"
