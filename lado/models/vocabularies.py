"""The DO vocabularies (admin-editable, seeded with the national defaults): they hold no
personal data."""

from __future__ import annotations

from django.db import models

# --- Vocabularies (admin-editable, seeded with the national defaults) -------------------------


class Vocabulary(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(
        max_length=300, blank=True, help_text="Shown as a hint beside the choice."
    )
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Offered when logging a new enquiry.")

    class Meta:
        abstract = True
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class ReferralSource(Vocabulary):
    """Who brought the concern to the DO (education, police, parent or carer, ...)."""


class Sector(Vocabulary):
    """The sector of the subject's organisation (public, voluntary, private, independent)."""


class SettingType(Vocabulary):
    """The kind of setting the subject works in (education, foster care, sport and leisure, ...)."""

    asks_school_phase = models.BooleanField(
        default=False, help_text="Ask for the school phase (early years, primary, ...) when this setting is chosen.")

    class Meta(Vocabulary.Meta):
        verbose_name = "setting type"


class SchoolPhase(Vocabulary):
    """The phase of an education setting (early years, primary, secondary, special, ...): the
    LADO annual reports count allegations in schools by phase."""


class DelayReason(Vocabulary):
    """Why an enquiry is still open past its target (police investigation, employer
    investigation, awaiting information, ...): the reasons for delay the annual reports count."""


class EmploymentBasis(Vocabulary):
    """Permanent, temporary, agency, volunteer."""

    class Meta(Vocabulary.Meta):
        verbose_name = "employment basis"
        verbose_name_plural = "employment bases"


class Category(Vocabulary):
    """The category of the allegation (physical, sexual, emotional, neglect, suitability)."""

    class Meta(Vocabulary.Meta):
        verbose_name = "allegation category"
        verbose_name_plural = "allegation categories"


