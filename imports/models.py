"""An import of a large file, run in the background so the page can show its progress."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class ImportJob(models.Model):
    """One uploaded file waiting for, or having had, its import.

    The file is kept only until the import has run (it is special-category data), or, when
    the import failed, until it is tried again or ``FOOTPRINT_IMPORT_RETRY_HOURS`` pass; what
    the import did (counts, or every error) stays on the job. Progress while it runs is kept in
    the cache (``imports.jobs.progress``), because the import writes in one transaction that no
    other connection can see into until it commits. The worker running it renews
    ``heartbeat_at`` from a connection of its own: a running job whose heartbeat is older than
    ``FOOTPRINT_IMPORT_LEASE_SECONDS`` lost its worker, and is failed (nothing was written).

    A file previewed on the page is kept as a job ``previewed`` until its uploader confirms it
    ("Import": queued, then run) or ``FOOTPRINT_IMPORT_RETRY_HOURS`` pass (the file is deleted).
    A large file is previewed by a worker as a ``dry_run`` job (queued, running, like an import)
    that ends ``previewed`` or ``refused``, so that nobody's request waits for its first pass.
    """

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Checked, waiting for you to import it"
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Finished"
        REFUSED = "refused", "Nothing imported: the file has problems"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=30, help_text="The registered kind's name (imports.registry).")
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="import_jobs")
    create_children = models.BooleanField(
        default=False, help_text="The uploader chose to create children the file names and Footprint lacks.")
    dry_run = models.BooleanField(
        default=False, help_text="A preview of a large file: checked by a worker, nothing written; it ends "
        "previewed (waiting for its uploader to import it) or refused.")
    new_children = models.PositiveIntegerField(default=0, help_text="A preview: child records the import would add.")
    preview = models.JSONField(default=list, blank=True, help_text="A preview: the file's first rows and what "
                               "importing each would do.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker took it on.")
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at"]

    def __str__(self):
        return f"{self.kind} import of {self.filename} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("imports:job", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED)
