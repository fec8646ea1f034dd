"""How long closed enquiries are kept, and the destruction log that outlives them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from workflows.clocks import now as clock_now
from workflows.models import append_only

from .vocabularies import Category

# --- Retention ------------------------------------------------------------------------------


class RetentionRule(models.Model):
    """How long a closed enquiry is kept before it is reviewed for destruction, per outcome."""

    class Closure(models.TextChoices):
        SUBSTANTIATED = "substantiated", "Substantiated"
        FALSE = "false", "False"
        MALICIOUS = "malicious", "Malicious"
        UNFOUNDED = "unfounded", "Unfounded"
        UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"
        ADVICE_GIVEN = "advice-given", "Advice given (threshold not met)"
        CANCELLED = "cancelled", "Cancelled"

    class CountedFrom(models.TextChoices):
        ALLEGATION = "allegation", "the allegation"
        CLOSING = "closing", "closing"

    closure = models.CharField(max_length=20, choices=Closure.choices, unique=True)
    years = models.PositiveSmallIntegerField(help_text="Review this many years after the allegation or closing.")
    counted_from = models.CharField(
        max_length=10, choices=CountedFrom.choices, default=CountedFrom.CLOSING,
        help_text="The allegation: the date the DO received it (Keeping Children Safe in Education counts "
                  "10 years from it).")
    until_retirement = models.BooleanField(
        "until pension age",
        default=False,
        help_text="Or when the subject reaches normal pension age, if that is later (needs their date of birth).",
    )
    retirement_age = models.PositiveSmallIntegerField("normal pension age", default=67)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["closure"]

    def __str__(self):
        text = (f"{self.get_closure_display()}: review {self.years} year{'s' if self.years != 1 else ''} "
                f"after {self.get_counted_from_display()}")
        if self.until_retirement:
            text += f" or at normal pension age ({self.retirement_age}) if later"
        return text

    @property
    def statutory(self) -> bool:
        """Keeping Children Safe in Education sets a minimum for enquiries closed this way."""
        from ..clocks import statutory_minimum

        return statutory_minimum(self.closure)


class CategoryRetention(models.Model):
    """A longer period for one category of allegation (for example sexual abuse): its
    substantiated, unsubstantiated and unfounded enquiries are kept at least this many years from
    the allegation, if that is later than the rule for the outcome gives. The DO Manager sets it
    with the retention rules; false and malicious allegations keep their own rules."""

    category = models.OneToOneField(Category, on_delete=models.PROTECT, related_name="retention")
    years = models.PositiveSmallIntegerField(help_text="Years from the allegation.")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["category__order", "category__name"]

    def __str__(self):
        return describe_category_retention(self.category, self.years)


def describe_category_retention(category, years: int | None) -> str:
    if not years:
        return f"{category}: kept by the outcome rules alone"
    return (f"{category}: substantiated, unsubstantiated and unfounded allegations kept at least {years} years "
            "from the allegation")


class DestructionLog(models.Model):
    """What is left of a destroyed enquiry: no personal data, only the decision to destroy it."""

    case_id = models.PositiveBigIntegerField(db_index=True)
    reference = models.CharField(max_length=40, unique=True)
    closure = models.CharField(max_length=20, choices=RetentionRule.Closure.choices, blank=True)
    received_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    retention_review_on = models.DateField(null=True, blank=True)
    destroyed_at = models.DateTimeField(default=clock_now)
    destroyed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()

    class Meta:
        ordering = ["-destroyed_at", "-id"]
        # The proof that an enquiry was destroyed, by whom and why: added to, never changed.
        triggers = [append_only()]

    def __str__(self):
        return f"{self.reference} destroyed {self.destroyed_at:%d %B %Y}"



