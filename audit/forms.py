"""The access log's filters (a GET form: bookmarkable, and the export uses the same filters)."""

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from .selectors import CHANGED, READ, LogFilters, kinds_for, people_choices


def _date(label: str) -> DateInputField:
    field = DateInputField(label=label, required=False)
    field.error_messages.update({"incomplete": f"Enter the {label.lower()} in full",
                                 "invalid": f"{label} must be a real date"})
    return field


class AccessLogFilterForm(forms.Form):
    person = forms.ModelChoiceField(label="Person", queryset=people_choices(), to_field_name="username",
                                    required=False, empty_label="Anyone")
    kind = forms.ChoiceField(label="Kind of case", required=False)
    reference = forms.CharField(label="Case reference", required=False, max_length=40,
                                help_text="For example DRP-00042 or a child's case reference.")
    event = forms.ChoiceField(label="Read or changed", required=False, widget=forms.RadioSelect,
                              choices=[("", "Both"), (READ, "Read"), (CHANGED, "Changed")])
    date_from = _date("From")
    date_to = _date("To")

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Any")] + [(kind.key, kind.label) for kind in kinds_for(scopes)]
        self.fields["person"].queryset = people_choices(scopes)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Field.select("person"), Field.select("kind"), Field.text("reference"),
            Field.radios("event", legend_size=Size.SMALL, small=True),
            Field("date_from"), Field("date_to"),
            Button("filter", "Apply filters", css_id="filter-submit"),
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "‘To’ must be the same as or after ‘From’")
        return data

    def filters(self) -> LogFilters:
        data = self.cleaned_data
        return LogFilters(person=data.get("person"), kind=data.get("kind") or "",
                          reference=(data.get("reference") or "").strip(), event=data.get("event") or "",
                          date_from=data.get("date_from"), date_to=data.get("date_to"))
