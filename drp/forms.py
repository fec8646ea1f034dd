"""Forms for the DRP pages, rendered with crispy-forms-gds (GOV.UK Design System)."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Button, Field, Layout, Size
from django import forms

from children.forms import clean_child_references
from children.models import CaseType
from people.models import Team
from workflows.date_rules import AGREED_BY, DRP_DATE
from workflows.forms import NamedErrorsMixin, RealDateField, collapsed

from .models import ImpactCode, Stage, Theme


def _helper(*fields, button: str, prefix: str = "") -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # templates own the <form> and its action
    helper.layout = Layout(*fields, Button("submit", button, css_id=f"{prefix or 'form'}-submit"))
    return helper


class RaiseForm(NamedErrorsMixin, forms.Form):
    """Four things and it is raised: children, case type, themes, the concern."""

    children = forms.CharField(
        label="Child's case reference", max_length=500,
        help_text="For a sibling group, separate the references with commas, or find each child by name.",
        error_messages={"required": "Enter the child's case reference"},
    )
    case_type = forms.ChoiceField(
        label="Case type", choices=CaseType.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select child protection plan or looked-after child"},
    )
    themes = forms.ModelMultipleChoiceField(
        label="Themes", queryset=Theme.objects.filter(active=True), to_field_name="slug",
        widget=forms.CheckboxSelectMultiple, help_text="Select all that apply.",
        error_messages={"required": "Select at least one theme"},
    )
    concern = forms.CharField(
        label="What is the concern?", widget=forms.Textarea(attrs={"rows": 5}), max_length=10000,
        error_messages={"required": "Describe the concern"},
    )
    stage = forms.ModelChoiceField(
        label="Start at stage", queryset=Stage.objects.all(), to_field_name="key", required=False,
        empty_label=None, help_text="Most challenges start informally; start later when the child's situation demands it.",
    )
    raised_on = RealDateField(
        label="Date raised", required=False, rule=DRP_DATE,
        help_text="Leave as today, or give the date if you are recording a challenge made earlier.",
    )
    team = forms.ModelChoiceField(
        label="Lead team (optional)", queryset=Team.objects.all(), to_field_name="slug", required=False,
        help_text="Only needed for siblings allocated to different teams: the team the DRP is "
                  "addressed through. Every child's team sees it.",
    )

    def __init__(self, *args, children_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.children_qs = children_qs
        self.helper = _helper(
            # "Find a child by name": an accessible autocomplete over /children/search/ when
            # JavaScript runs (static/js/child-finder.js), else a link to the search-then-pick page.
            HTML('<div class="app-child-finder" data-module="app-child-finder" data-source="{% url "children:search" %}"'
                 ' data-target="id_children"><p class="govuk-body app-child-finder__fallback">'
                 '<a class="govuk-link" href="{{ choose_url }}">Find a child by name</a></p></div>'),
            Field.text("children", field_width=20),
            Field.radios("case_type", legend_size=Size.SMALL, inline=True),
            Field.checkboxes("themes", legend_size=Size.SMALL, small=True),
            Field.textarea("concern", label_size=Size.SMALL, rows=5),
            *collapsed("Start stage, date raised and lead team", "stage", "raised_on", "team",
                       fields=[Field.select("stage"), Field("raised_on"), Field.select("team")]),
            button="Raise DRP",
        )

    def clean_children(self):
        return clean_child_references(self.children_qs, self.cleaned_data["children"])


class ActionForm(NamedErrorsMixin, forms.Form):
    """A form on the DRP page beside others: its ids carry the action's slug so no two
    fields (or buttons) on the page share an id."""

    slug = "action"

    def __init__(self, *args, slug: str | None = None, **kwargs):
        self.slug = slug or self.slug
        kwargs.setdefault("auto_id", f"{self.slug}-%s")
        super().__init__(*args, **kwargs)

    def make_helper(self, *fields, button: str) -> FormHelper:
        return _helper(*fields, button=button, prefix=self.slug)


class RespondForm(ActionForm):
    slug = "respond"
    response = forms.CharField(
        label="Your response", widget=forms.Textarea(attrs={"rows": 5}), max_length=10000,
        help_text="What will be done, by whom and by when.",
        error_messages={"required": "Enter your response"},
    )
    agreed_by = RealDateField(
        label="Agreed by (optional)", required=False, rule=AGREED_BY,
        help_text="The date by which what you have agreed will be done. The IRO is reminded to "
                  "check it happened.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self.make_helper(Field.textarea("response", label_size=Size.SMALL),
                                       Field("agreed_by"), button="Send response")


class EscalateForm(ActionForm):
    slug = "escalate"
    stage = forms.ModelChoiceField(
        label="Escalate to", queryset=Stage.objects.none(), to_field_name="key", empty_label=None,
    )
    reason = forms.CharField(
        label="Reason for escalating", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000,
        error_messages={"required": "Enter the reason for escalating"},
    )

    def __init__(self, *args, drp, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(order__gt=drp.stage.order)
        self.helper = self.make_helper(Field.select("stage"), Field.textarea("reason", label_size=Size.SMALL),
                                       button="Escalate")


YES_NO = [("yes", "Yes"), ("no", "No")]


def yes_no_field(label: str, required_message: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=YES_NO, widget=forms.RadioSelect,
                                  coerce=lambda value: value == "yes",
                                  error_messages={"required": required_message})


class ResolveForm(ActionForm):
    """The outcome, and what it changed for the child: the reason the procedure exists."""

    slug = "resolve"
    outcome = forms.CharField(
        label="Outcome", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000,
        error_messages={"required": "Enter the outcome"},
    )
    impact_codes = forms.ModelMultipleChoiceField(
        label="Impact for the child", queryset=ImpactCode.objects.filter(active=True), to_field_name="slug",
        widget=forms.CheckboxSelectMultiple, help_text="Select all that apply.",
        error_messages={"required": "Select at least one impact for the child"},
    )
    impact = forms.CharField(
        label="What difference has it made for the child?", widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000, error_messages={"required": "Describe the difference it has made for the child"},
    )
    child_informed = yes_no_field("Has the child been told the outcome?",
                                  "Select yes if the child has been told the outcome")
    advocacy_offered = yes_no_field("Has the child been offered an advocate?",
                                    "Select yes if the child has been offered an advocate")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self.make_helper(
            Field.textarea("outcome", label_size=Size.SMALL),
            Field.checkboxes("impact_codes", legend_size=Size.SMALL, small=True),
            Field.textarea("impact", label_size=Size.SMALL),
            Field.radios("child_informed", legend_size=Size.SMALL, inline=True),
            Field.radios("advocacy_offered", legend_size=Size.SMALL, inline=True),
            button="Resolve")


class ReasonForm(ActionForm):
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
        error_messages={"required": "Enter the reason"},
    )

    def __init__(self, *args, button: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self.make_helper(Field.textarea("reason", label_size=Size.SMALL), button=button)
