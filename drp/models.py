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
    iro = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="iro_drps",
        help_text="The IRO or Conference Chair who holds the DRP now: who raised it, until the IRO "
                  "Manager reassigns it. They review responses and are reminded.",
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_RESPONSE, db_index=True
    )
    addressee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="addressed_drps",
    )
    addressee_contact = models.ForeignKey(
        "drp.AgencyContact", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="A partner agency's contact the current stage is addressed to (not a user: they are "
                  "emailed, and the IRO records their response).")
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
            # Lists at a million DRPs (issue 15): each list's order and each filter an index
            # range scan can answer, so a page (and the next, by cursor) reads its rows only.
            # Everyone's API list, and the raised-from/to filters: newest first.
            # Covering the reports' counts of the DRPs raised in a period too (by case type,
            # status, stage reached, closing stage, IRO): an index-only scan of the period.
            models.Index(fields=["raised_on", "id"], name="drp_raised_on_id",
                         include=["case_type", "status", "stage", "closed_at_stage", "raised_by"]),
            # The reports' DRPs closed in a period, by case type, status and closing stage.
            models.Index(fields=["closed_on"], name="drp_closed_on_report",
                         include=["case_type", "status", "closed_at_stage"],
                         condition=models.Q(status__in=["resolved", "withdrawn"])),
            # A status filter (?status=awaiting_response), newest first; with the case type, so
            # that the list's bounded count of ?status=...&case_type=... reads the index alone
            # (10,001 rows: 20 ms from the table at 1M, 3 ms from the index).
            models.Index(fields=["status", "raised_on", "id"], name="drp_status_raised_on",
                         include=["case_type"]),
            # A team filter, and social-care staff seeing their teams' DRPs, newest first.
            models.Index(fields=["team", "raised_on", "id"], name="drp_team_raised_on"),
            # An IRO filter (who raised it), newest first.
            models.Index(fields=["raised_by", "raised_on", "id"], name="drp_raised_by_raised_on"),
            # An IRO's own open DRPs, the list page they land on: soonest stage due first.
            models.Index(fields=["raised_by", "stage_due_date", "id"], name="drp_raised_by_open_due",
                         condition=models.Q(status__in=["awaiting_response", "awaiting_review"])),
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

    def save(self, *args, **kwargs):
        # Whoever raises a DRP holds it until it is reassigned (imports and fixtures too).
        if self.iro_id is None:
            self.iro_id = self.raised_by_id
        super().save(*args, **kwargs)

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
    addressee_contact = models.ForeignKey(
        "drp.AgencyContact", on_delete=models.PROTECT, null=True, blank=True, related_name="stage_records")
    asked = models.TextField(blank=True, help_text="What a partner agency is asked at this stage (emailed to them).")
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


class PartnerAgency(models.Model):
    """An agency outside social care a DRP, a stage or an agreed action can be addressed to
    (health, education, police...): a local list, counted in reports."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Offered when choosing an agency.")

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "partner agencies"

    def __str__(self):
        return self.name


class AgencyContact(models.Model):
    """A named person at a partner agency. Not a user: they are emailed what is asked of them
    and by when, and the IRO records their answer."""

    agency = models.ForeignKey(PartnerAgency, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency__order", "name"]

    def __str__(self):
        return f"{self.name} ({self.agency.name})"


class AgreedAction(models.Model):
    """One action agreed in answer to a DRP: what, who owns it (a person in Footprint or a
    partner agency's contact) and by when. It has its own clock and reminders, and is marked
    done or not done with a date, so the challenge leaves evidence of what it changed."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        NOT_DONE = "not_done", "Not done"

    drp = models.ForeignKey(DisputeResolution, on_delete=models.PROTECT, related_name="agreed_actions")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+",
                              help_text="The stage the DRP was at when the action was agreed.")
    what = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="agreed_actions")
    owner_contact = models.ForeignKey(AgencyContact, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="agreed_actions")
    agreed_on = models.DateField(help_text="The day the action was recorded as agreed.")
    due_on = models.DateField(help_text="By when: a working day.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(null=True, blank=True,
                                    help_text="When it was done, or when it was recorded as not done.")
    note = models.TextField(blank=True, help_text="What happened (why not, if not done).")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="drp_agreedaction_one_owner",
                condition=(models.Q(owner__isnull=False, owner_contact__isnull=True)
                           | models.Q(owner__isnull=True, owner_contact__isnull=False))),
            models.CheckConstraint(
                name="drp_agreedaction_completed_when_closed",
                condition=(models.Q(status="open", completed_on__isnull=True)
                           | (~models.Q(status="open") & models.Q(completed_on__isnull=False)))),
        ]
        indexes = [
            # The reminder sweep reads open actions only.
            models.Index(fields=["due_on", "id"], name="drp_agreedaction_open_due",
                         condition=models.Q(status="open")),
        ]

    def __str__(self):
        return f"{self.drp} action {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def owner_name(self) -> str:
        return str(self.owner_contact) if self.owner_contact_id else str(self.owner)

    def clock(self, on=None) -> Clock:
        return Clock.of("Action due", self.due_on if self.is_open else None, on)

    def done_on_time(self) -> bool | None:
        if self.status != self.Status.DONE:
            return None
        return self.completed_on <= self.due_on


class TimelineEvent(BaseTimelineEvent):
    class Action(models.TextChoices):
        RAISED = "raised", "Raised"
        RESPONDED = "responded", "Responded"
        ACTION_AGREED = "action-agreed", "Action agreed"
        ACTION_DONE = "action-done", "Action done"
        ACTION_NOT_DONE = "action-not-done", "Action not done"
        ESCALATED = "escalated", "Escalated"
        RESOLVED = "resolved", "Resolved"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DEADLINES_RECALCULATED = "deadlines-recalculated", "Deadlines recalculated"
        REFERRED_TO_CAFCASS = "referred-to-cafcass", "Referred to Cafcass"
        IMPORTED = "imported", "Imported"
        REASSIGNED = "reassigned", "Reassigned"
        REOPENED = "reopened", "Reopened"
        COVER_ENDED = "cover-ended", "Cover ended early"

    action = models.CharField(max_length=40, choices=Action.choices)
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The absent person the actor covered for (shown as \"X for Y\").",
    )
    # PROTECT: a DRP with a timeline (every DRP has one) is never deleted, so its audit stays.
    drp = models.ForeignKey(DisputeResolution, on_delete=models.PROTECT, related_name="timeline")

    class Meta(BaseTimelineEvent.Meta):
        indexes = [models.Index(fields=["drp", "at"])]


class Cover(models.Model):
    """An absent responder's inbox, delegated to a named colleague for a period: the colleague
    sees and answers the DRPs addressed to them, and is reminded with them."""

    absent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covered_by")
    colleague = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covering_for")
    starts_on = models.DateField()
    ends_on = models.DateField()
    set_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    #: Ended before ``ends_on`` (the person came back early): from this day the colleague no
    #: longer covers, sees or is reminded of the absent person's DRPs.
    ended_on = models.DateField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    end_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["colleague", "ends_on"]), models.Index(fields=["absent", "ends_on"])]

    def __str__(self):
        return f"{self.colleague} for {self.absent}, {self.starts_on:%-d %b %Y} to {self.ends_on:%-d %b %Y}"


protect_history(DisputeResolution, StageRecord, AgreedAction, Cover)
