from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from children.models import CaseType
from workflows.clocks import Clock
from workflows.concurrency import Versioned
from workflows.models import TimelineEvent as BaseTimelineEvent
from workflows.models import protect_history


class Stage(models.Model):
    """One rung of the local DRP ladder (data, not code: each authority sets its own)."""

    order = models.PositiveSmallIntegerField(unique=True)
    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    addressed_to = models.ManyToManyField(
        "people.Role", related_name="drp_stages",
        help_text="Who answers a DRP at this stage, found from the child's allocation.",
    )
    working_days = models.PositiveSmallIntegerField(
        default=5, help_text="Response timescale in working days from the start of the stage. "
        "Formal stages together should not exceed the overall limit (20 working days, IRO "
        "Handbook 6.2); a formal stage's deadline is never later than the overall deadline."
    )
    is_formal = models.BooleanField(
        default=True, help_text="Formal stages count towards the overall formal time limit."
    )

    class Meta:
        ordering = ["order"]

    def __str__(self):
        return self.name


class Theme(models.Model):
    """What a DRP is about (drift and delay, placement, ...); several per DRP."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    active = models.BooleanField(default=True, help_text="Offered when raising a new DRP.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ImpactCode(models.Model):
    """What difference a resolved DRP made for the child (plan changed, placement stabilised,
    service provided, no change...): a local list, several per DRP, counted in reports."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Offered when resolving a DRP.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class DisputeResolution(Versioned, models.Model):
    """A challenge raised by an IRO or Conference Chair on behalf of a child or sibling group."""

    class Status(models.TextChoices):
        AWAITING_RESPONSE = "awaiting_response", "Awaiting response"
        AWAITING_REVIEW = "awaiting_review", "Awaiting IRO review"
        RESOLVED = "resolved", "Resolved"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN_STATUSES = (Status.AWAITING_RESPONSE, Status.AWAITING_REVIEW)

    reference = models.CharField(max_length=40, unique=True, null=True, blank=True)
    case_type = models.CharField(max_length=3, choices=CaseType.choices)
    children = models.ManyToManyField("children.Child", related_name="drps")
    themes = models.ManyToManyField(Theme, related_name="drps")
    concern = models.TextField()
    team = models.ForeignKey(
        "people.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="drps",
        help_text="The lead team when raised (the children's team, or the one the IRO chose for "
                  "siblings in different teams); finds the addressees.",
    )
    teams = models.ManyToManyField(
        "people.Team", blank=True, related_name="+",
        help_text="Every child's allocated team when raised: each sees the DRP and reports "
                  "count it for each.",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="raised_drps"
    )
    raised_on = models.DateField()
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_RESPONSE, db_index=True
    )
    addressee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="addressed_drps",
    )
    stage_started_on = models.DateField()
    stage_due_date = models.DateField(db_index=True)
    formal_started_on = models.DateField(null=True, blank=True)
    overall_due_date = models.DateField(null=True, blank=True, db_index=True)
    review_due_date = models.DateField(
        null=True, blank=True,
        help_text="While the DRP awaits the IRO's review of a response: by when they resolve or escalate.")
    referred_to_cafcass = models.BooleanField(default=False)
    referred_to_cafcass_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    impact = models.TextField(blank=True, help_text="The difference the challenge made for the child.")
    impact_codes = models.ManyToManyField(ImpactCode, blank=True, related_name="drps")
    child_informed = models.BooleanField(
        null=True, blank=True, help_text="At resolution: whether the child was told the outcome.")
    advocacy_offered = models.BooleanField(
        null=True, blank=True, help_text="At resolution: whether the child was offered an advocate.")
    closed_on = models.DateField(null=True, blank=True, db_index=True)
    closed_at_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_from = models.CharField(
        max_length=255, blank=True, editable=False,
        help_text="The file an import last wrote this record from; empty for a record made in Footprint.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_on", "-id"]
        verbose_name = "dispute resolution"
        indexes = [
            models.Index(fields=["status", "stage_due_date"]),
            models.Index(fields=["raised_on"]),
            # The open list is ordered by stage due date: walk only open DRPs, not the closed history.
            models.Index(fields=["stage_due_date", "id"], name="drp_open_by_stage_due",
                         condition=models.Q(status__in=["awaiting_response", "awaiting_review"])),
            # The reminder sweep's overall-limit query, which must not read the closed history.
            models.Index(fields=["overall_due_date", "id"], name="drp_open_overall_due",
                         condition=models.Q(status__in=["awaiting_response", "awaiting_review"],
                                            overall_due_date__isnull=False)),
            # The reminder sweep's review clock: answered DRPs waiting on the IRO.
            models.Index(fields=["review_due_date", "id"], name="drp_awaiting_review_due",
                         condition=models.Q(status="awaiting_review", review_due_date__isnull=False)),
            # The monthly report's Cafcass referrals: a handful of rows, never the whole table.
            models.Index(fields=["referred_to_cafcass_on"], name="drp_cafcass_referred_on",
                         condition=models.Q(referred_to_cafcass=True)),
        ]

    def __str__(self):
        return self.reference or f"DRP {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def stage_clock(self, on=None) -> Clock:
        due = self.stage_due_date if self.status == self.Status.AWAITING_RESPONSE else None
        return Clock.of("Stage response due", due, on)

    def overall_clock(self, on=None) -> Clock:
        from .clocks import RAISED, timescale_from

        label = "Overall limit due" if timescale_from() == RAISED else "Formal process due"
        return Clock.of(label, self.overall_due_date if self.is_open else None, on)

    def review_clock(self, on=None) -> Clock:
        due = self.review_due_date if self.status == self.Status.AWAITING_REVIEW else None
        return Clock.of("IRO review due", due, on)

    def clocks(self, on=None) -> list[Clock]:
        """Every clock running now, in the order a person reads them."""
        return [clock for clock in (self.stage_clock(on), self.review_clock(on), self.overall_clock(on))
                if clock.due is not None]


class StageRecord(models.Model):
    """One stage of one DRP: when it started, when the response was due, and the response."""

    drp = models.ForeignKey(DisputeResolution, on_delete=models.CASCADE, related_name="stage_records")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    addressee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_on = models.DateField()
    due_date = models.DateField(db_index=True)
    response = models.TextField(blank=True)
    responded_on = models.DateField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agreed_by = models.DateField(
        null=True, blank=True,
        help_text="The date by which the responder agreed the actions would be done (optional).")
    ended_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["started_on", "id"]
        indexes = [
            # The reminder sweep looks only at stages still waiting for a response (see bench/README.md).
            models.Index(fields=["due_date", "id"], name="drp_stagerecord_running_due",
                         condition=models.Q(ended_on__isnull=True, responded_on__isnull=True)),
            # Agreed-by dates the IRO is reminded to check.
            models.Index(fields=["agreed_by", "id"], name="drp_stagerecord_agreed_by",
                         condition=models.Q(agreed_by__isnull=False)),
        ]


class TimelineEvent(BaseTimelineEvent):
    class Action(models.TextChoices):
        RAISED = "raised", "Raised"
        RESPONDED = "responded", "Responded"
        ESCALATED = "escalated", "Escalated"
        RESOLVED = "resolved", "Resolved"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DEADLINES_RECALCULATED = "deadlines-recalculated", "Deadlines recalculated"
        REFERRED_TO_CAFCASS = "referred-to-cafcass", "Referred to Cafcass"
        IMPORTED = "imported", "Imported"

    action = models.CharField(max_length=40, choices=Action.choices)
    # PROTECT: a DRP with a timeline (every DRP has one) is never deleted, so its audit stays.
    drp = models.ForeignKey(DisputeResolution, on_delete=models.PROTECT, related_name="timeline")

    class Meta(BaseTimelineEvent.Meta):
        indexes = [models.Index(fields=["drp", "at"])]


protect_history(DisputeResolution, StageRecord)
