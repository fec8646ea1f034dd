"""Forms for the DRP pages, rendered with crispy-forms-gds (GOV.UK Design System)."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Button, Field, Layout, Size
from django import forms

from children.forms import clean_child_references
from children.models import CaseType
from people import roles
from people.models import Team, User
from workflows.date_rules import AGREED_BY, DRP_DATE
from workflows.forms import NamedErrorsMixin, RealDateField, collapsed

from .models import AgencyContact, ImpactCode, Stage, Theme


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

    agency_contact = forms.ModelChoiceField(
        label="Address it to", required=False,
        queryset=AgencyContact.objects.filter(active=True).select_related("agency"),
        empty_label="The social-care responder for the stage (the child's social worker or their manager)",
        help_text="Or a partner agency's contact (health, education, police...): they are emailed what is asked "
                  "and by when, and you record their response.")
    asked = forms.CharField(
        label="What is the agency asked? (only for a partner agency)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}), help_text="This is emailed: leave out the child's name.")

    def __init__(self, *args, children_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.children_qs = children_qs
        self.fields["agency_contact"].error_messages["invalid_choice"] = (
            "Choose the social-care responder or an active partner agency contact from the list")
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
            *collapsed("Address it to a partner agency", "agency_contact", "asked",
                       fields=[Field.select("agency_contact"), Field.textarea("asked", label_size=Size.SMALL)]),
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
    agency_contact = forms.ModelChoiceField(
        label="Address this stage to a partner agency (optional)", required=False,
        queryset=AgencyContact.objects.filter(active=True).select_related("agency"),
        empty_label="No: the social-care manager for this stage",
        help_text="Health, education, police...: the contact is emailed what is asked and by when, and you "
                  "record their response.")
    asked = forms.CharField(
        label="What is the agency asked? (only for a partner agency)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}), help_text="This is emailed: leave out the child's name.")

    def __init__(self, *args, drp, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(order__gt=drp.stage.order)
        self.helper = self.make_helper(Field.select("stage"), Field.textarea("reason", label_size=Size.SMALL),
                                       Field.select("agency_contact"), Field.textarea("asked", label_size=Size.SMALL),
                                       button="Escalate")


YES_NO = [("yes", "Yes"), ("no", "No")]


def yes_no_field(label: str, required_message: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=YES_NO, widget=forms.RadioSelect,
                                  coerce=lambda value: value == "yes",
                                  error_messages={"required": required_message})


OPEN_ACTIONS = [("keep-open", "They stay open, with their reminders, until marked done or not done"),
                ("not-done", "Record them as not done today")]


class ResolveForm(ActionForm):
    """The outcome, and what it changed for the child: the reason the procedure exists. With
    agreed actions still open, what happens to them."""

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

    open_actions = forms.ChoiceField(
        label="What happens to the agreed actions still open?", choices=OPEN_ACTIONS, widget=forms.RadioSelect,
        required=False)

    def __init__(self, *args, drp=None, **kwargs):
        super().__init__(*args, **kwargs)
        still_open = drp is not None and any(action.is_open for action in drp.agreed_actions.all())
        if still_open:
            self.fields["open_actions"].required = True
            self.fields["open_actions"].error_messages["required"] = "Select what happens to the open agreed actions"
        else:
            del self.fields["open_actions"]
        self.helper = self.make_helper(
            *([Field.radios("open_actions", legend_size=Size.SMALL)] if still_open else []),
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


def owner_choices() -> list:
    """People in Footprint who can own an action, then each partner agency's contacts."""
    people = (User.objects.filter(is_active=True, roles__slug__in=[*roles.SOCIAL_CARE, *roles.CHALLENGERS])
              .distinct().order_by("first_name", "last_name", "username"))
    choices = [("", "Choose who owns it"),
               ("People in the authority", [(f"user:{user.pk}", str(user)) for user in people])]
    contacts: dict[str, list] = {}
    for contact in AgencyContact.objects.filter(active=True).select_related("agency"):
        contacts.setdefault(contact.agency.name, []).append(
            (f"contact:{contact.pk}", f"{contact.name}{f', {contact.job_title}' if contact.job_title else ''}"))
    return choices + [(f"Partner agency: {agency}", options) for agency, options in contacts.items()]


class AgreeActionForm(ActionForm):
    """One agreed action: what, who owns it, by when."""

    slug = "agree-action"
    what = forms.CharField(
        label="What has been agreed", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        help_text="A partner agency's contact is emailed this: leave out the child's name.",
        error_messages={"required": "Enter what has been agreed"})
    owner = forms.ChoiceField(label="Who owns it", choices=[], error_messages={"required": "Select who owns it"})
    due_on = RealDateField(label="By when", help_text="A day that is not a working day moves to the next working day.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_on"].error_messages["required"] = "Enter the date it is to be done by"
        self.fields["owner"].choices = owner_choices()
        self.helper = self.make_helper(Field.textarea("what", label_size=Size.SMALL), Field.select("owner"),
                                       Field("due_on"), button="Record agreed action")

    def clean_owner(self):
        kind, _, pk = self.cleaned_data["owner"].partition(":")
        model = {"user": User, "contact": AgencyContact}.get(kind)
        found = model.objects.filter(pk=pk).first() if model and pk.isdigit() else None
        if found is None:
            raise forms.ValidationError("Select who owns it")
        return found

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        owner = data.pop("owner")
        return data | ({"owner_contact": owner} if isinstance(owner, AgencyContact) else {"owner": owner})


class RecordActionForm(ActionForm):
    """Whether an agreed action was done, when, and what happened."""

    done = yes_no_field("Was it done?", "Select yes if the action was done")
    on = RealDateField(label="When", required=False, help_text="Leave blank for today.")
    note = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                           required=False, help_text="Required if it was not done: say why.")

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, slug=f"record-action-{action.pk}", **kwargs)
        self.helper = self.make_helper(Field.radios("done", legend_size=Size.SMALL, inline=True), Field("on"),
                                       Field.textarea("note", label_size=Size.SMALL), button="Record")


def _people_with_roles(*slugs):
    from people.models import User

    return (User.objects.filter(is_active=True, roles__slug__in=slugs).distinct()
            .order_by("first_name", "last_name", "username"))


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class ReassignForm(ActionForm):
    """The IRO Manager gives the DRP to another IRO or Conference Chair."""

    slug = "reassign"
    iro = PersonChoiceField(
        label="Give the DRP to", queryset=None, to_field_name="username",
        empty_label="Choose an IRO or Conference Chair",
        error_messages={"required": "Choose the IRO or Conference Chair to give the DRP to"},
    )
    reason = forms.CharField(
        label="Reason for reassigning", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
        error_messages={"required": "Enter the reason for reassigning"},
    )

    def __init__(self, *args, drp=None, **kwargs):
        from people import roles

        super().__init__(*args, **kwargs)
        qs = _people_with_roles(roles.IRO, roles.CHAIR)
        self.fields["iro"].queryset = qs.exclude(pk=drp.iro_id) if drp is not None else qs
        self.helper = self.make_helper(Field.select("iro"), Field.textarea("reason", label_size=Size.SMALL),
                                       button="Reassign DRP")


class CoverForm(NamedErrorsMixin, forms.Form):
    """Who answers my DRPs while I am away, and when."""

    colleague = PersonChoiceField(
        label="Colleague who will cover", queryset=None, to_field_name="username",
        empty_label="Choose a colleague",
        help_text="They will see the DRPs addressed to you, can respond to them, and get their reminders.",
        error_messages={"required": "Choose the colleague who will cover"},
    )
    starts_on = RealDateField(label="Cover starts", help_text="For example, 27 3 2027")
    ends_on = RealDateField(label="Cover ends", help_text="The last day of the absence.")

    def __init__(self, *args, absent, **kwargs):
        from people import roles

        super().__init__(*args, **kwargs)
        self.fields["colleague"].queryset = _people_with_roles(*roles.SOCIAL_CARE).exclude(pk=absent.pk)
        self.helper = _helper(Field.select("colleague"), Field("starts_on"), Field("ends_on"),
                              button="Arrange cover")


class EndCoverForm(NamedErrorsMixin, forms.Form):
    """Ending a cover before its last day."""

    reason = forms.CharField(
        label="Why is the cover ending early?", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
        help_text="For example, back from leave earlier than planned.",
        error_messages={"required": "Enter why the cover is ending early"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("reason", label_size=Size.SMALL), button="End cover")
