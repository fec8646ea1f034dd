"""The DO Manager's records: retention-rule changes, DO roles granted and removed, access
reviews. Added to, never changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from workflows.clocks import now as clock_now
from workflows.models import append_only

from .retention import RetentionRule
from .vocabularies import Category

# --- The DO Manager's records: rule changes, DO roles, access reviews -----------------------


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("This record is append-only.")

    def delete(self):
        raise TypeError("This record is append-only.")


class AppendOnlyRecord(models.Model):
    """A row that is written once and never changed or removed: refused here, and by the
    database on PostgreSQL (``workflows.models.append_only``)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        triggers = [append_only()]

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("This record is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("This record is append-only.")


class RetentionRuleChange(AppendOnlyRecord):
    """The DO Manager changed a retention rule (for an outcome, or a category's longer period):
    the rule before and after, why, and how many closed enquiries got a new review date (each one
    also has it on its timeline)."""

    rule = models.ForeignKey(RetentionRule, on_delete=models.PROTECT, related_name="changes", null=True,
                             blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                 help_text="Set when a category's longer period changed.")
    at = models.DateTimeField(default=clock_now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    before = models.CharField(max_length=400)
    after = models.CharField(max_length=400)
    reason = models.TextField()
    cases_changed = models.PositiveIntegerField(default=0)

    class Meta(AppendOnlyRecord.Meta):
        ordering = ["-at", "-id"]

    def __str__(self):
        what = self.rule.get_closure_display() if self.rule_id else str(self.category)
        return f"{what} rule changed {self.at:%d %B %Y}"


class RoleChange(AppendOnlyRecord):
    """A Designated Officer role granted or removed: who did it, to whom, which role, when and
    why. Only the DO Manager makes these (``services.do_role_grant`` / ``do_role_remove``),
    except the first DO Manager, appointed from the server (``manage.py appoint_do_manager``,
    ``actor`` empty)."""

    class Change(models.TextChoices):
        GRANTED = "granted", "Granted"
        REMOVED = "removed", "Removed"

    at = models.DateTimeField(default=clock_now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", help_text="Empty: appointed from the server.")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.ForeignKey("people.Role", on_delete=models.PROTECT, related_name="+")
    change = models.CharField(max_length=10, choices=Change.choices)
    reason = models.TextField()

    class Meta(AppendOnlyRecord.Meta):
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "role", "at"])]

    def __str__(self):
        return f"{self.role_id} {self.change} {self.at:%d %B %Y}"


class AccessReview(AppendOnlyRecord):
    """The DO Manager's yearly review of who holds DO roles: when, by whom, who held which
    role at the time, and a note."""

    at = models.DateTimeField(default=clock_now, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    holders = models.JSONField(default=list, help_text="Each holder's username and DO roles at the review.")
    note = models.TextField(blank=True)

    class Meta(AppendOnlyRecord.Meta):
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"DO access review {self.at:%d %B %Y}"
