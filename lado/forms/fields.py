"""Form pieces the DO forms share: vocabulary choices, dates, times and the 'told' fields."""

from __future__ import annotations

import re

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Layout
from django import forms
from django.db.models import Q

from workflows.date_rules import DO_DATE
from workflows.forms import RealDateField

TIME_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*([ap]m)?\s*$", re.IGNORECASE)


def form_helper(*fields, button: str, warning: bool = False) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # templates own the <form> and its action
    submit = Button.warning("submit", button) if warning else Button("submit", button)
    helper.layout = Layout(*fields, submit)
    return helper


class VocabularyField(forms.ChoiceField):
    """A vocabulary chosen by slug, with each entry's description as its hint; cleans to the row."""

    def __init__(self, model, *, required=False, blank_label="Not known yet", **kwargs):
        self.model = model
        self.blank_label = blank_label
        super().__init__(required=required, **kwargs)

    def load(self, selected=None):
        rows = list(self.model.objects.filter(Q(active=True) | Q(pk=getattr(selected, "pk", None))))
        self._rows = {row.slug: row for row in rows}
        choices = [Choice(row.slug, row.name, hint=row.description) if row.description else (row.slug, row.name)
                   for row in rows]
        if not self.required and not isinstance(self.widget, forms.RadioSelect):
            choices = [("", self.blank_label)] + choices
        self.choices = choices

    def clean(self, value):
        value = super().clean(value)
        return self._rows.get(value) if value else None


def date_field(label, required=False, help_text=None, rule=DO_DATE, **kwargs):
    """A GOV.UK date input holding a Designated Officer date to ``rule`` (``workflows.date_rules``:
    today or earlier and not before the records began, unless a rule says otherwise)."""
    messages = {"required": f"Enter the {label.lower()}", "incomplete": f"Enter the {label.lower()} in full"}
    field = RealDateField(label=label, required=required, help_text=help_text, rule=rule, **kwargs)
    field.error_messages.update(messages)
    return field


def TOLD_FIELD(label):  # noqa: N802 - a field factory, named like the fields it makes
    """Yes, no, or not recorded (None)."""
    return forms.TypedChoiceField(
        label=label, required=False, widget=forms.RadioSelect, empty_value=None,
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        choices=[("yes", "Yes"), ("no", "No"), ("", "Not recorded")])


def told_initial(value) -> str:
    return {True: "yes", False: "no"}.get(value, "")
