"""Form pieces every workflow shares: error messages that name the field (GOV.UK Design System
pattern) whatever was typed, and a date input that refuses dates that do not exist."""

from datetime import date

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.layout import HTML
from django import forms
from django.core.exceptions import ValidationError

from .date_rules import ANY_DATE, EARLIEST_YEAR, LATEST_YEAR, DateRule, field_label

__all__ = ["EARLIEST_YEAR", "LATEST_YEAR", "RealDateField", "NamedErrorsMixin", "add_errors", "collapsed"]


class RealDateField(DateInputField):
    """A GOV.UK date input (day, month, year boxes) whose mistakes are named for the person:
    a box left blank gets "<label> must include a day"; 31 February, a year of 99 and letters
    get "<label> must be a real date"; a date outside the field's ``rule`` (see
    ``workflows.date_rules``) gets "<label> must be today or in the past" and the like."""

    def __init__(self, *, rule: DateRule = ANY_DATE, **kwargs):
        self.rule = rule
        super().__init__(**kwargs)

    @property
    def name_in_messages(self) -> str:
        return field_label(self.label)

    def clean(self, value):
        parts = list(value or []) if isinstance(value, list | tuple) else []
        given = [str(part or "").strip() != "" for part in parts[:3]]
        if len(given) == 3 and any(given) and not all(given):
            # A partial date is never stored as today or "not known": say which box is blank.
            missing = " and ".join(name for name, there in zip(("day", "month", "year"), given) if not there)
            raise ValidationError(f"{self.name_in_messages} must include a {missing}", code="incomplete_date")
        try:
            value = super().clean(value)
        except ValidationError as exc:
            if any(getattr(e, "code", None) in (None, "invalid") for e in exc.error_list):
                # The day, month and year boxes' own messages ("Enter a valid date") name no field.
                raise ValidationError(f"{self.name_in_messages} must be a real date",
                                      code="invalid_date") from exc
            raise
        return self.rule.check(value, self.name_in_messages)

    def compress(self, data_list):
        day, month, year = data_list
        if not (day and month and year):
            return None
        try:
            value = date(day=int(day), month=int(month), year=int(year))
        except (ValueError, OverflowError):
            value = None
        if value is None or not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValidationError(f"{self.name_in_messages} must be a real date", code="invalid_date")
        return value


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


def collapsed(summary: str, *field_names: str, fields=()) -> list:
    """A GOV.UK details section around ``fields`` for a crispy layout: open when any of
    ``field_names`` holds an error, so the error summary's link can reach it."""
    has_errors = " or ".join(f"form.{name}.errors" for name in field_names)
    return [
        HTML(f'<details class="govuk-details"{{% if {has_errors} %}} open{{% endif %}}>'
             f'<summary class="govuk-details__summary"><span class="govuk-details__summary-text">{summary}'
             '</span></summary><div class="govuk-details__text">'),
        *fields,
        HTML("</div></details>"),
    ]


def field_anchor(form: forms.Form, name: str) -> str:
    """The id of a field's first input, as the error summary links to it: ``id_<name>_0`` for
    a date, ``id_<name>_1`` for radios and checkboxes (crispy-forms-gds numbers from 1)."""
    bound = form[name]
    widget = bound.field.widget
    suffix = ""
    if getattr(widget, "widgets", None):
        suffix = "_0"
    elif getattr(widget, "input_type", None) == "radio" or (
            getattr(widget, "allow_multiple_selected", False) and getattr(widget, "input_type", None) == "checkbox"):
        suffix = "_1"
    return f"{bound.auto_id}{suffix}"


def add_errors(form: forms.Form, exc: ValidationError, renamed: dict[str, str] | None = None,
               fixed_at: tuple[str, forms.Form] | None = None) -> None:
    """Show a service's ValidationError on the form that sent it: each message on its field
    (``renamed`` maps a model field to the form field that sets it), the rest above the form.
    ``fixed_at``: (address, form) of the page where fields not on this form are changed
    ("Update details"); their messages link to the field there, not to this form's first field."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    form.errors_fixed_elsewhere = getattr(form, "errors_fixed_elsewhere", [])
    for name, errors in exc.message_dict.items():
        name = (renamed or {}).get(name, name)
        if name in form.fields:
            form.add_error(name, errors)
            continue
        form.add_error(None, errors)
        if fixed_at and name in fixed_at[1].fields:
            href = f"{fixed_at[0]}#{field_anchor(fixed_at[1], name)}"
            form.errors_fixed_elsewhere += [(message, href) for message in errors]
            form.fixed_at = fixed_at[0]

    # The summary template shows these by their link and the rest by this form's first field.
    form.messages_fixed_elsewhere = [message for message, _ in form.errors_fixed_elsewhere]
