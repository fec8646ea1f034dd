from django.db import models


class RecordingStart(models.Model):
    """When the team began recording a kind of record in Footprint (or in what was imported):
    before it, reports say "not recorded" rather than a count of 0 and a direction of travel
    "up" that was never measured. Without a row here, recording is taken to have begun with the
    earliest record of the kind."""

    class RecordType(models.TextChoices):
        DRP = "drp", "DRPs"
        POSITIVE_PRACTICE = "positive-practice", "Positive practice"

    record_type = models.CharField(max_length=40, choices=RecordType.choices, unique=True)
    began_on = models.DateField(help_text="The first day records of this kind were kept.")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["record_type"]

    def __str__(self):
        return f"{self.get_record_type_display()}: recorded from {self.began_on:%-d %B %Y}"
