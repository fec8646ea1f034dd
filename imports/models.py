"""An import of a large file, run in the background so the page can show its progress."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class ImportJob(models.Model):
    """One uploaded file waiting for, or having had, its import.

    The file is kept only until the import has run (it is special-category data); what the
    import did (counts, or every error) stays on the job. Progress while it runs is kept in the
    cache (``imports.services.job_progress``), because the import writes in one transaction
    that no other connection can see into until it commits.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Finished"
        REFUSED = "refused", "Nothing imported: the file has problems"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=30)
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="import_jobs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at"]

    def __str__(self):
        return f"{self.kind} import of {self.filename} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("imports:job", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED)
