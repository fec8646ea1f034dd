from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from workflows.concurrency import Versioned
from workflows.models import protect_history


class CaseType(models.TextChoices):
    """Why the child is known to the reviewing service."""

    CP = "CP", "Child protection plan"
    CLA = "CLA", "Looked-after child"


class Child(Versioned, models.Model):
    """A child known to children's social care, by the authority's case reference."""

    reference = models.CharField("case reference", max_length=40, unique=True)
    name = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True, blank=True)
    case_type = models.CharField("CP or CLA", max_length=3, choices=CaseType.choices)
    social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allocated_children",
    )
    team = models.ForeignKey(
        "people.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="allocated_children"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "children"
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return f"{self.name} ({self.reference})"


# Who changed a child's record, and how: added to, never rewritten.
protect_history(Child)
