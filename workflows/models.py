import pgtrigger
from django.conf import settings
from django.db import models

from .timesource import now as clock_now


class ClosureDay(models.Model):
    """A local closure day (for example an office closure between Christmas and New Year)."""

    date = models.DateField(unique=True)
    description = models.CharField(max_length=200)

    class Meta:
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d %B %Y}: {self.description}"


def append_only(name: str = "append_only") -> pgtrigger.Protect:
    """A PostgreSQL trigger that refuses UPDATE and DELETE on an audit table, whoever asks
    (raw SQL, a cascade, the admin). A table with this trigger is an audit table: the
    application's database role may only read and add to it (``workflows.database``), so it
    cannot switch the trigger off with ``pgtrigger.ignore`` either. The one way past both is
    the recorded destruction of a DO enquiry (``lado.services.purge``), through a database
    function owned by the tables' owner. SQLite has no such trigger; there
    ``AppendOnlyQuerySet`` and the models' save/delete refuse."""
    return pgtrigger.Protect(name=name, operation=pgtrigger.Update | pgtrigger.Delete)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Timeline events are append-only.")

    def delete(self):
        raise TypeError("Timeline events are append-only.")


class TimelineEvent(models.Model):
    """One entry in a case's append-only timeline: who did what, when, from and to which stage.

    Each workflow subclasses this with a foreign key to its case; services write
    the event in the same transaction as the change it records.
    """

    at = models.DateTimeField(default=clock_now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    # Where the case moved from and to: a DRP's stages. A case app whose cases move through
    # statuses instead removes these (``from_stage = None``) and names its own (the DO enquiry's
    # ``from_status``/``to_status``); ``from_state``/``to_state`` read either.
    from_stage = models.CharField(max_length=40, blank=True)
    to_stage = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    FROM_FIELD, TO_FIELD = "from_stage", "to_stage"

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["at", "id"]
        # Inherited by every app's timeline (their Meta subclasses this one).
        triggers = [append_only()]

    @property
    def from_state(self) -> str:
        return getattr(self, self.FROM_FIELD)

    @property
    def to_state(self) -> str:
        return getattr(self, self.TO_FIELD)

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("Timeline events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Timeline events are append-only.")


class ReferenceSequence(models.Model):
    """Counters for human-readable case references (DRP-00042), safe under concurrency."""

    name = models.CharField(max_length=40, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    @classmethod
    def next(cls, name: str) -> int:
        """The next number for ``name``; call inside a transaction."""
        cls.objects.get_or_create(name=name)
        seq = cls.objects.select_for_update().get(name=name)
        seq.last += 1
        seq.save(update_fields=["last"])
        return seq.last


class CaseRead(models.Model):
    """Someone read a case (page or API): who, when, which case, through which view."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case_kind = models.CharField(max_length=40)
    case_id = models.PositiveBigIntegerField()
    view = models.CharField(max_length=100)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case_kind", "case_id", "at"]), models.Index(fields=["user", "at"]),
                   # The access log viewer: newest reads of one kind of case, a page at a time.
                   models.Index(fields=["case_kind", "at"], name="caseread_kind_at")]
        # The access log outlives even a destroyed case: nothing may change or remove it.
        triggers = [append_only()]


class ReminderLog(models.Model):
    """One reminder sent: its unique key makes the sweep exactly-once."""

    kind = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField()
    phase = models.CharField(max_length=20)
    due = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "phase", "due"], name="one_reminder_per_deadline_phase")
        ]
        # The record of which reminders and reports were sent: added to, never changed.
        triggers = [append_only()]

    def __str__(self):
        return f"{self.kind} #{self.object_id} {self.phase} due {self.due}"


def protect_history(*case_models: type[models.Model]) -> None:
    """Make the django-simple-history tables of these case models append-only as well: their
    rows are the "who changed what, and why" record. Call from the app's models module."""
    for model in case_models:
        pgtrigger.register(append_only())(model.history.model)
