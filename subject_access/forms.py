"""Forms for subject access requests, rendered with crispy-forms-gds (GOV.UK Design System)."""

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from workflows.clocks import today

from .models import DisclosureDecision, SubjectAccessRequest


def _helper(*fields, button: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*fields, Button("submit", button, css_id="form-submit"))
    return helper


class StartForm(forms.Form):
    """Who asked, when, and about whom (found by case reference or name)."""

    kind = forms.ChoiceField(label="Who is the request about?", choices=SubjectAccessRequest.Kind.choices,
                             widget=forms.RadioSelect, error_messages={"required": "Select who the request is about"})
    requester_name = forms.CharField(label="Name of the person making the request", max_length=200,
                                     error_messages={"required": "Enter the name of the person making the request"})
    received_on = DateInputField(label="Date the request was received")
    subject = forms.CharField(
        label="The person the records are about", max_length=200,
        help_text="A child's case reference or name; for a DO subject, an enquiry reference or the subject's name.",
        error_messages={"required": "Enter a case reference or a name"})

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].error_messages.update({
            "required": "Enter the date the request was received",
            "incomplete": "Enter the date the request was received in full",
            "invalid": "Date received must be a real date"})
        self.fields["kind"].choices = [(k, label) for k, label in SubjectAccessRequest.Kind.choices if k in kinds]
        layout = [Field.text("requester_name"), Field("received_on"), Field.text("subject", field_width=20)]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]
            self.fields["kind"].widget = forms.HiddenInput()
            layout.insert(0, Field("kind"))
        else:
            layout.insert(0, Field.radios("kind", legend_size=Size.SMALL))
        self.helper = _helper(*layout, button="Find records")

    def clean_received_on(self):
        value = self.cleaned_data.get("received_on")
        if value and value > today():
            raise forms.ValidationError("Date received must be today or in the past")
        return value


class RedactionForm(forms.Form):
    """Third parties to redact (other children ticked until the manager decides otherwise), and
    any other words or phrases to take out."""

    redact = forms.MultipleChoiceField(label="Names to redact", required=False, widget=forms.CheckboxSelectMultiple)
    terms = forms.CharField(
        label="Other words or phrases to redact", required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One a line: for example a name written in a note, an address or a phone number.")

    def __init__(self, *args, third_parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["redact"].choices = [
            (p.key, f"{p.name} – {p.description}" if p.description else p.name) for p in third_parties]
        self.helper = _helper(Field.checkboxes("redact", legend_size=Size.SMALL, small=True),
                              Field.textarea("terms", label_size=Size.SMALL, rows=5),
                              button="Save redactions")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Disclosure decision", choices=DisclosureDecision.Decision.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select release in full, release with redactions or withhold"})
    reason = forms.CharField(
        label="Reason for the decision", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000,
        help_text="For a withholding or redaction, the exemption relied on (for example, third-party data).",
        error_messages={"required": "Enter the reason for the decision"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.radios("decision", legend_size=Size.SMALL),
                              Field.textarea("reason", label_size=Size.SMALL, rows=4),
                              button="Record decision")
