"""Looking at the access log is itself logged: the log shows who read whose case, so reading it
is as sensitive as reading a case. The log entries themselves are not stored here: they are the
existing ``workflows.CaseRead`` rows and the simple-history tables of each case model."""

from django.conf import settings
from django.db import models

from workflows.clocks import now as clock_now
from workflows.models import append_only


class AccessLogView(models.Model):
    """Someone opened or exported the access log: who, when, which scope, which filters."""

    class Format(models.TextChoices):
        PAGE = "page", "Page"
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    at = models.DateTimeField(default=clock_now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scopes = models.CharField(max_length=40, help_text="Which cases the log covered: iro, do or both.")
    filters = models.JSONField(default=dict, blank=True)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.PAGE)
    rows = models.PositiveIntegerField(default=0, help_text="How many entries matched.")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"])]
        triggers = [append_only()]

    def __str__(self):
        return f"{self.user} viewed the access log ({self.scopes}) at {self.at:%d %B %Y %H:%M}"
