"""Serializer pieces every workflow's API reuses."""

from datetime import UTC, datetime

from django.db import models
from rest_framework import serializers

from workflows.clocks import now as clock_now
from workflows.date_rules import ANY_DATE, EARLIEST_YEAR, LATEST_YEAR, PAST_DATE, DateRule


def checked_date(value, label: str, *, future: bool = False, rule: DateRule | None = None):
    """Serializer validation for a date or date-time a client sent: a plausible year (not 0253,
    which no case has), not in the future unless ``future``, and within the field's ``rule``
    (``workflows.date_rules``, the same rule the page's date input keeps)."""
    if value is None:
        return value
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise serializers.ValidationError(f"{label} must be a real date.")
    if isinstance(value, datetime):
        if not future and value > clock_now():
            raise serializers.ValidationError(f"{label} must be today or in the past.")
        value_day = value.date()
    else:
        value_day = value
    rule = rule or (ANY_DATE if future else PAST_DATE)
    message = rule.problem(value_day, label)
    if message:
        raise serializers.ValidationError(f"{message}.")
    return value


class UTCDateTimeField(serializers.DateTimeField):
    """A moment, given out in UTC with ``Z`` (``2026-06-01T09:30:00Z``) whatever the season:
    the service's own clock is Europe/London, an integrator's need not be. A moment sent in
    carries its offset (or ``Z``); one without is read as Europe/London time. Dates (a DRP's
    ``raised_on``, a due date) stay dates: a working day in England, not a moment."""

    def to_representation(self, value):
        if not value or isinstance(value, str):
            return value
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with model date-times given out in UTC (``UTCDateTimeField``)."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.DateTimeField: UTCDateTimeField}


class TimelineEventSerializer(ModelSerializer):
    """A timeline entry as every workflow's API shows it; subclasses name their event model."""

    # No actor: the system did it (a reminder sweep, an import).
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        fields = ["at", "actor", "action", "from_stage", "to_stage", "note"]
