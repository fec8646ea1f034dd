"""Subject access requests (UK GDPR Article 15): a child, or the adult who is the subject of a
Designated Officer enquiry, asks for every record Footprint holds about them.

A request is started by the manager who owns the records (IRO Manager for a child, DO Manager
for a DO subject), the records are previewed, third-party names are chosen for redaction, and
a disclosure decision is recorded. Decisions and downloads are append-only: they are the
authority's evidence of what was released, to whom, with what taken out and why.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from workflows.clocks import now as clock_now
from workflows.models import append_only, protect_history


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Disclosure decisions and downloads are append-only.")

    def delete(self):
        raise TypeError("Disclosure decisions and downloads are append-only.")


class AppendOnly(models.Model):
    """Rows that are written once and never changed or removed."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("Disclosure decisions and downloads are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Disclosure decisions and downloads are append-only.")


class SubjectAccessRequest(models.Model):
    """One request for a person's records, from receipt to release."""

    class Kind(models.TextChoices):
        CHILD = "child", "A child"
        DO_SUBJECT = "do-subject", "The subject of a Designated Officer enquiry"

    reference = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    requester_name = models.CharField(
        max_length=200, help_text="Who made the request: the person, a parent or a representative.")
    received_on = models.DateField(help_text="The date the request was received (the one-month clock starts).")
    subject_name = models.CharField(max_length=200, help_text="The person the records are about, as found.")
    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    # The enquiry the DO Manager found the subject by; the others come from lado's subject matching.
    # SET_NULL: a destroyed DO enquiry must not be kept alive by a request about it.
    enquiry = models.ForeignKey("lado.Enquiry", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    redacted_keys = models.JSONField(
        default=list, blank=True, help_text="Third parties chosen for redaction (keys from the preview).")
    redaction_terms = models.TextField(blank=True, help_text="Other words to redact, one per line.")
    redactions_chosen = models.BooleanField(
        default=False, help_text="False until someone saves the redactions: other children are then redacted by default.")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=clock_now)
    # Set when a DO enquiry whose records the request covered is destroyed: the names, redaction
    # choices and decision reasons are removed with it (lado.services.purge), and the request is
    # closed. Its reference, dates, decisions, who acted and the downloads' hashes stay.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    anonymised_because = models.CharField(max_length=200, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["kind", "received_on"])]

    def __str__(self):
        return self.reference

    def terms(self) -> list[str]:
        return [line.strip() for line in self.redaction_terms.splitlines() if line.strip()]


class DisclosureDecision(AppendOnly):
    """What was decided about releasing the records, by whom, why, and with which redactions.
    The latest decision stands; downloads use its redactions exactly as they were decided."""

    class Decision(models.TextChoices):
        RELEASE_IN_FULL = "release-in-full", "Release in full"
        RELEASE_WITH_REDACTIONS = "release-with-redactions", "Release with redactions"
        WITHHOLD = "withhold", "Withhold"

    RELEASES = (Decision.RELEASE_IN_FULL, Decision.RELEASE_WITH_REDACTIONS)

    request = models.ForeignKey(SubjectAccessRequest, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=30, choices=Decision.choices)
    reason = models.TextField()
    # {"names": [{"key", "name", "description", "terms": [...]}], "terms": [...]}: what is redacted.
    redactions = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=clock_now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["decided_at", "id"]
        triggers = [append_only()]

    def __str__(self):
        return f"{self.request}: {self.get_decision_display()}"

    @property
    def releases(self) -> bool:
        return self.decision in self.RELEASES

    def redaction_terms(self) -> list[str]:
        terms = [term for name in self.redactions.get("names", []) for term in name.get("terms", [])]
        return terms + list(self.redactions.get("terms", []))


class Download(AppendOnly):
    """One download of the released records: who, when, under which decision, which file."""

    request = models.ForeignKey(SubjectAccessRequest, on_delete=models.PROTECT, related_name="downloads")
    decision = models.ForeignKey(DisclosureDecision, on_delete=models.PROTECT, related_name="downloads")
    downloaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    downloaded_at = models.DateTimeField(default=clock_now)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, help_text="Of the ZIP file as sent.")
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["downloaded_at", "id"]
        triggers = [append_only()]


# Who started the request, what was redacted and decided, and each download, as they happened.
protect_history(SubjectAccessRequest, DisclosureDecision)
