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


class ThemeMonthCount(models.Model):
    """DRPs raised in a month, by case type and theme (a DRP with two themes counts once for
    each): the themes tables and the 12-month trend read these few hundred rows instead of
    joining a year of DRPs to every theme link. On PostgreSQL the database keeps them, in the
    transaction that changes a theme link or a DRP's raised date or case type (triggers from
    ``reports/migrations/0003``), so nothing (services, imports, the admin, ``COPY``) goes
    round them; elsewhere the reports count the links themselves."""

    month = models.DateField(help_text="The first day of the month the DRPs were raised in.")
    case_type = models.CharField(max_length=3)
    theme = models.ForeignKey("drp.Theme", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "case_type", "theme"],
                                               name="reports_theme_month_count_key")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.case_type} theme {self.theme_id}: {self.n}"
