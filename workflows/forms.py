"""Form pieces every workflow shares: error messages that name the field (GOV.UK Design System
pattern) whatever was typed, and a date input that refuses dates that do not exist."""

from datetime import date

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.core.exceptions import ValidationError

#: Dates outside this range are typing mistakes (year 99, year 20255), not records.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


class RealDateField(DateInputField):
    """A GOV.UK date input (day, month, year boxes) whose mistakes are named for the person:
    31 February, a year of 99 or 99999 and letters all get "<label> must be a real date"."""

    def compress(self, data_list):
        day, month, year = data_list
        if not (day and month and year):
            return None
        try:
            value = date(day=int(day), month=int(month), year=int(year))
        except (ValueError, OverflowError):
            value = None
        if value is None or not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValidationError(f"{self.label or 'The date'} must be a real date", code="invalid_date")
        return value

    def clean(self, value):
        try:
            return super().clean(value)
        except ValidationError as exc:
            if any(getattr(e, "code", None) in (None, "invalid") for e in exc.error_list):
                # The day, month and year boxes' own messages ("Enter a valid date") name no field.
                raise ValidationError(f"{self.label or 'The date'} must be a real date",
                                      code="invalid_date") from exc
            raise


class NamedErrorsMixin:
    """Messages for too-long text and unknown choices that name the field, as the GOV.UK error
    summary needs ("Concern must be 10,000 characters or fewer", "Select a valid case type")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            label = str(field.label or name.replace("_", " ").capitalize()).rstrip("?").rstrip()
            if getattr(field, "max_length", None):
                field.error_messages["max_length"] = (
                    f"{label} must be {int(field.max_length):,} characters or fewer")
            if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
                field.error_messages["invalid_choice"] = f"Select a valid option for {label.lower()}"
            if isinstance(field, forms.ModelMultipleChoiceField):
                field.error_messages["invalid_choice"] = f"Select valid options for {label.lower()}"
                field.error_messages["invalid_pk_value"] = f"Select valid options for {label.lower()}"


def add_errors(form: forms.Form, exc: ValidationError, renamed: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form that sent it: each message on its field
    (``renamed`` maps a model field to the form field that sets it), the rest above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        name = (renamed or {}).get(name, name)
        form.add_error(name if name in form.fields else None, errors)
