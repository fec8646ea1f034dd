from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from children.models import CaseType
from workflows.concurrency import Versioned
from workflows.models import TimelineEvent as BaseTimelineEvent
from workflows.models import protect_history


class PositivePractice(Versioned, models.Model):
    """Good practice by a social worker, a team or someone outside the authority, and what it
    meant for the child."""

    reference = models.CharField(max_length=40, unique=True)
    case_type = models.CharField(max_length=3, choices=CaseType.choices)
    children = models.ManyToManyField("children.Child", related_name="positive_practice")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The social worker (or manager) recognised.",
    )
    team = models.ForeignKey("people.Team", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="positive_practice")
    practitioner_name = models.CharField(
        "someone outside Footprint", max_length=200, blank=True,
        help_text="For example a foster carer, teacher or health visitor.",
    )
    what_happened = models.TextField()
    impact = models.TextField("impact for the child")
    drp = models.ForeignKey("drp.DisputeResolution", on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="positive_practice")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_on = models.DateField(db_index=True)
    imported_from = models.CharField(
        max_length=255, blank=True, editable=False,
        help_text="The file an import last wrote this record from; empty for a record made in Footprint.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_on", "-id"]
        verbose_name_plural = "positive practice"

    def __str__(self):
        return self.reference

    @property
    def recognised(self) -> str:
        names = [str(p) for p in (self.practitioner, self.team) if p] + (
            [self.practitioner_name] if self.practitioner_name else [])
        return ", ".join(names)


class TimelineEvent(BaseTimelineEvent):
    class Action(models.TextChoices):
        RECORDED = "recorded", "Recorded"
        IMPORTED = "imported", "Imported"

    action = models.CharField(max_length=40, choices=Action.choices)
    # PROTECT: a record with a timeline is never deleted, so its audit stays.
    positive_practice = models.ForeignKey(PositivePractice, on_delete=models.PROTECT, related_name="timeline")


protect_history(PositivePractice)
