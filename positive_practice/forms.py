from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Button, Field, Layout, Size
from django import forms

from children.forms import clean_child_references
from children.models import CaseType
from drp.models import DisputeResolution
from people import roles
from people.models import Team, User
from people.selectors import users_with_role
from workflows.forms import NamedErrorsMixin


class RecordForm(NamedErrorsMixin, forms.Form):
    """Children, case type, what they did and its impact; who is recognised defaults to the
    child's social worker."""

    children = forms.CharField(
        label="Child's case reference", max_length=500,
        help_text="For a sibling group, separate the references with commas.",
        error_messages={"required": "Enter the child's case reference"},
    )
    case_type = forms.ChoiceField(label="Case type", choices=CaseType.choices, widget=forms.RadioSelect,
                                  error_messages={"required": "Select child protection plan or looked-after child"})
    what_happened = forms.CharField(label="What did they do?", widget=forms.Textarea(attrs={"rows": 4}),
                                    max_length=10000, error_messages={"required": "Describe what they did"})
    impact = forms.CharField(label="What difference did it make for the child?",
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
                             error_messages={"required": "Describe the impact for the child"})
    practitioner = forms.ModelChoiceField(
        label="Social worker or manager recognised", required=False, queryset=User.objects.none(),
        help_text="Leave blank to recognise the child's allocated social worker.",
    )
    team = forms.ModelChoiceField(label="Team recognised", required=False, queryset=Team.objects.all(),
                                  to_field_name="slug")
    practitioner_name = forms.CharField(label="Someone outside the authority", required=False, max_length=200,
                                        help_text="For example a foster carer, teacher or health visitor.")
    drp = forms.CharField(label="DRP it arose from (optional)", required=False, max_length=40,
                          help_text="The DRP reference, for example DRP-00042.")

    def __init__(self, *args, children_qs, drps_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.children_qs = children_qs
        self.drps_qs = drps_qs
        self.fields["practitioner"].queryset = users_with_role(
            *roles.SOCIAL_CARE).order_by("last_name", "first_name")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("children", field_width=20),
            Field.radios("case_type", legend_size=Size.SMALL, inline=True),
            Field.textarea("what_happened", label_size=Size.SMALL),
            Field.textarea("impact", label_size=Size.SMALL),
            HTML('<details class="govuk-details"><summary class="govuk-details__summary">'
                 '<span class="govuk-details__summary-text">Who is recognised, and the DRP it arose from</span>'
                 '</summary><div class="govuk-details__text">'),
            Field.select("practitioner"), Field.select("team"), Field.text("practitioner_name"),
            Field.text("drp", field_width=10),
            HTML("</div></details>"),
            Button("submit", "Record positive practice"),
        )

    def clean_children(self):
        return clean_child_references(self.children_qs, self.cleaned_data["children"])

    def clean_drp(self):
        reference = self.cleaned_data["drp"].strip()
        if not reference:
            return None
        drp = self.drps_qs.filter(reference__iexact=reference).first()
        if drp is None:
            raise forms.ValidationError(f"No DRP found with reference {reference}")
        return drp


def children_from_drp(drp: DisputeResolution) -> str:
    return ", ".join(c.reference for c in drp.children.all())
