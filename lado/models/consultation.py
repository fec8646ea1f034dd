"""Advice-only consultations: a call to the Designated Officer that is below the threshold for
a referral and is logged *without the subject's identity* (Working Together; the LADO annual
reports count referrals against these). No subject name, no children: when, who called, the
organisation's sector and setting, the kind of concern and the advice given."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from workflows.clocks import now as clock_now

from .vocabularies import Category, SchoolPhase, Sector, SettingType


class Consultation(models.Model):
    """One advice-only consultation. Seen only by the DO team; every read is logged."""

    consulted_at = models.DateTimeField()
    consulted_on = models.DateField(db_index=True, help_text="The local date of consulted_at.")
    caller_name = models.CharField("who called", max_length=200, blank=True)
    caller_organisation = models.CharField("caller's organisation", max_length=200, blank=True)
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    setting = models.ForeignKey(SettingType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    school_phase = models.ForeignKey(SchoolPhase, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    advice = models.TextField("advice given")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock_now)

    class Meta:
        ordering = ["-consulted_at", "-id"]
        verbose_name = "advice-only consultation"

    def __str__(self):
        return f"Consultation on {self.consulted_on:%d %B %Y}"
