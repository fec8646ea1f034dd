from django.db import models
from simple_history.models import HistoricalRecords

from workflows.models import protect_history


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


class BenchmarkFigure(models.Model):
    """One headline figure from another authority's benchmark file (``reports.benchmark``),
    imported to compare side by side. Importing a file again replaces that authority's year."""

    authority = models.CharField(max_length=120)
    year = models.PositiveSmallIntegerField(help_text="Reporting year starting 1 April.")
    key = models.CharField(max_length=80)
    label = models.CharField(max_length=200)
    value = models.FloatField(null=True, blank=True)
    shown_as = models.CharField(max_length=60, blank=True, help_text="The text given instead of a number "
                                                                   "(\"fewer than 5\", \"not recorded\").")
    definition = models.TextField(blank=True)
    imported_by = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["authority", "year", "key"]
        constraints = [models.UniqueConstraint(fields=["authority", "year", "key"],
                                               name="reports_benchmark_one_figure")]

    def __str__(self):
        return f"{self.authority} {self.year}: {self.key}"


class TeamMonthCount(models.Model):
    """DRPs raised in a month by case type and child's team (``team_id`` 0: no team recorded),
    with ``theme_id`` 0; and, with a theme, their theme links (a DRP with two themes counts once
    for each, for each of its teams). The service learning report reads these instead of joining
    a year of DRPs to every team and theme link. Kept by PostgreSQL in the changing transaction
    like ``ThemeMonthCount`` (triggers from ``reports/migrations/0005``); elsewhere the report
    counts the links itself."""

    month = models.DateField(help_text="The first day of the month the DRPs were raised in.")
    case_type = models.CharField(max_length=3)
    team_id = models.BigIntegerField(help_text="The child's team; 0 for a DRP with no team recorded.")
    theme_id = models.BigIntegerField(help_text="0 for the DRPs themselves, else their links to this theme.")
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "case_type", "team_id", "theme_id"],
                                               name="reports_team_month_count_key")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.case_type} team {self.team_id} theme {self.theme_id}: {self.n}"


class ReportCommentary(models.Model):
    """What a manager writes beside a section of the annual report document (``reports.document``):
    the IRO Manager for the DRP and positive-practice sections, the DO Manager for the Designated
    Officer's. One current text per year and section; every edit is kept in its history with who
    made it and when (``reports.services.commentary_save``)."""

    year = models.PositiveSmallIntegerField(help_text="Reporting year starting 1 April.")
    section = models.CharField(max_length=40)
    text = models.TextField(blank=True)
    updated_by = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["year", "section"]
        constraints = [models.UniqueConstraint(fields=["year", "section"], name="reports_one_commentary")]

    def __str__(self):
        return f"Commentary {self.year} {self.section}"


protect_history(ReportCommentary)


class CaseMonthCount(models.Model):
    """DRPs and positive practice per month, kept by PostgreSQL in the changing transaction
    (statement-level triggers from ``reports/migrations/0007``, the ``ThemeMonthCount`` pattern):
    ``drp_raised`` in the month raised and ``drp_closed`` in the month closed, each by case type,
    status and closing stage (``stage_id`` 0: none); ``practice`` in the month recorded, by case
    type. The annual report reads these instead of a year of a million DRPs; elsewhere (SQLite)
    it counts the rows."""

    month = models.DateField(help_text="The first day of the month.")
    measure = models.CharField(max_length=20)
    case_type = models.CharField(max_length=3)
    status = models.CharField(max_length=20, blank=True)
    stage_id = models.BigIntegerField(default=0, help_text="The stage a DRP closed at; 0 for none.")
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "measure", "case_type", "status", "stage_id"],
                                               name="reports_case_month_count_key")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.measure} {self.case_type} {self.status} {self.stage_id}: {self.n}"
