"""Forms for the Designated Officer pages, rendered with crispy-forms-gds (GOV.UK Design System).

The decision and outcome forms show the statutory definitions beside each choice (as hints),
so the DO chooses against the words of Keeping Children Safe in Education Part 4."""

from __future__ import annotations

import re
from datetime import datetime, time

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Layout, Size
from django import forms
from django.db.models import Q
from django.utils import timezone

from children.forms import clean_child_references
from people import roles
from people.models import User
from workflows.clocks import now as clock_now
from workflows.clocks import today
from workflows.date_rules import (
    ANY_DATE,
    DO_DATE,
    DO_INCIDENT_DATE,
    DO_PLANNED_DATE,
    SUBJECT_DATE_OF_BIRTH,
)
from workflows.forms import NamedErrorsMixin, RealDateField

from .models import (
    Action,
    Category,
    EmploymentBasis,
    Enquiry,
    Meeting,
    ReferralSource,
    RetentionRule,
    Sector,
    SettingType,
)

TIME_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*([ap]m)?\s*$", re.IGNORECASE)


def _helper(*fields, button: str, warning: bool = False) -> FormHelper:
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


def _date(label, required=False, help_text=None, rule=DO_DATE, **kwargs):
    """A GOV.UK date input holding a Designated Officer date to ``rule`` (today or earlier and
    not before the records began, unless a rule says otherwise)."""
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


def _told_initial(value) -> str:
    return {True: "yes", False: "no"}.get(value, "")


class EnquiryForm(NamedErrorsMixin, forms.Form):
    """Log an enquiry while the call is happening: only the summary must be filled in; received
    is now unless changed; everything else can be completed later."""

    received_on = _date("Date received", required=True)
    received_time = forms.CharField(label="Time received", max_length=8, help_text="For example, 14:05",
                                    error_messages={"required": "Enter the time received"})
    how = forms.ChoiceField(label="How was it received?", choices=Enquiry.How.choices, widget=forms.RadioSelect,
                            error_messages={"required": "Select how the enquiry was received"})
    referrer_name = forms.CharField(label="Referrer's name", max_length=200, required=False)
    referrer_organisation = forms.CharField(label="Referrer's organisation", max_length=200, required=False)
    referral_source = VocabularyField(ReferralSource, label="Referral source")
    summary = forms.CharField(
        label="What is alleged?", widget=forms.Textarea(attrs={"rows": 6}), max_length=20000,
        error_messages={"required": "Summarise the concern"},
    )
    category = VocabularyField(Category, label="Category", widget=forms.RadioSelect)
    subject_name = forms.CharField(label="Name", max_length=200, required=False,
                                   help_text="Leave blank for a consultation that does not identify the person.")
    subject_date_of_birth = _date("Date of birth", rule=SUBJECT_DATE_OF_BIRTH,
                                  help_text="If known. For example, 27 3 1985")
    subject_role = forms.CharField(label="Role", max_length=200, required=False,
                                   help_text="For example, teaching assistant, foster carer, football coach")
    subject_employer = forms.CharField(label="Employer or organisation", max_length=200, required=False)
    employment_basis = VocabularyField(EmploymentBasis, label="Employment basis")
    sector = VocabularyField(Sector, label="Organisation's sector")
    setting = VocabularyField(SettingType, label="Setting")
    children = forms.CharField(
        label="Children's case references", required=False, max_length=500,
        help_text="For children with a record here; separate references with commas.",
    )
    children_description = forms.CharField(
        label="Other children involved", widget=forms.Textarea(attrs={"rows": 3}), required=False,
        max_length=5000, help_text="Describe children who have no record here (age, school, ...).",
    )
    officer = forms.ModelChoiceField(label="Designated Officer", queryset=User.objects.none(), required=False,
                                     empty_label="Me")
    # What Working Together and the annual report need recorded (all optional, completed later)
    incident_on = _date("Date of the alleged incident", rule=DO_INCIDENT_DATE,
                        help_text="If known. Identifies a non-recent allegation. For example, 4 11 2019")
    employer_aware_on = _date("Date the employer became aware", rule=DO_INCIDENT_DATE,
                              help_text="The employer should refer to the DO within one working day.")
    police_reference = forms.CharField(label="Police reference", max_length=60, required=False)
    criminal_outcome = forms.ChoiceField(label="Criminal outcome", required=False,
                                         choices=[("", "None recorded")] + Enquiry.CriminalOutcome.choices)
    criminal_outcome_detail = forms.CharField(label="Criminal outcome in words", required=False, max_length=20000,
                                              widget=forms.Textarea(attrs={"rows": 3}))
    subject_told = TOLD_FIELD("Has the subject been told of the allegation?")
    subject_told_on = _date("Date the subject was told")
    parents_told = TOLD_FIELD("Have the child's parents or carers been told?")
    parents_told_on = _date("Date the parents were told")
    dbs_referral = forms.ChoiceField(label="Referral to the DBS", required=False,
                                     choices=[("", "Not recorded")] + Enquiry.DbsReferral.choices)
    dbs_decision = forms.ChoiceField(label="DBS decision", required=False,
                                     choices=[("", "None yet")] + Enquiry.DbsDecision.choices)
    dbs_decision_on = _date("Date of the DBS decision")

    def __init__(self, *args, children_qs, instance: Enquiry | None = None, **kwargs):
        self.children_qs = children_qs
        self.instance = instance
        if instance is not None and not (args and args[0] is not None) and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        if instance is None and not self.is_bound:
            moment = timezone.localtime(clock_now())
            self.initial.setdefault("received_on", moment.date())
            self.initial.setdefault("received_time", moment.strftime("%H:%M"))
            self.initial.setdefault("how", Enquiry.How.PHONE)
        for name in ("referral_source", "category", "employment_basis", "sector", "setting"):
            self.fields[name].load(getattr(instance, name, None))
        self.fields["officer"].queryset = User.objects.filter(
            is_active=True, roles__slug__in=roles.DO_TEAM).distinct().order_by("first_name", "last_name")
        if instance is not None:
            self.fields["officer"].empty_label = None
        self.helper = _helper(
            Fieldset(
                Field("received_on"),
                Field.text("received_time", field_width=5),
                Field.radios("how", legend_size=Size.SMALL, inline=True, small=True),
                legend="The enquiry", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("referrer_name"),
                Field.text("referrer_organisation"),
                Field.select("referral_source"),
                legend="Referrer", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.textarea("summary", label_size=Size.SMALL, rows=6),
                Field.radios("category", legend_size=Size.SMALL, small=True),
                legend="The allegation", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("subject_name"),
                Field("subject_date_of_birth"),
                Field.text("subject_role"),
                Field.text("subject_employer"),
                Field.select("employment_basis"),
                Field.select("sector"),
                Field.select("setting"),
                legend="The person the allegation is about", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("children", field_width=20),
                Field.textarea("children_description", rows=3),
                legend="Children", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field("incident_on"),
                Field("employer_aware_on"),
                legend="When it happened", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("police_reference", field_width=20),
                Field.select("criminal_outcome"),
                Field.textarea("criminal_outcome_detail", rows=3),
                Field.radios("subject_told", legend_size=Size.SMALL, inline=True, small=True),
                Field("subject_told_on"),
                Field.radios("parents_told", legend_size=Size.SMALL, inline=True, small=True),
                Field("parents_told_on"),
                Field.select("dbs_referral"),
                Field.select("dbs_decision"),
                Field("dbs_decision_on"),
                legend="Police, who has been told, and the DBS", legend_size=Size.MEDIUM,
            ),
            Field.select("officer"),
            button="Save changes" if instance is not None else "Log enquiry",
        )

    @staticmethod
    def initial_from(enquiry: Enquiry) -> dict:
        moment = timezone.localtime(enquiry.received_at)
        return {
            "received_on": moment.date(), "received_time": moment.strftime("%H:%M"), "how": enquiry.how,
            "referrer_name": enquiry.referrer_name, "referrer_organisation": enquiry.referrer_organisation,
            "referral_source": getattr(enquiry.referral_source, "slug", ""), "summary": enquiry.summary,
            "category": getattr(enquiry.category, "slug", ""), "subject_name": enquiry.subject_name,
            "subject_date_of_birth": enquiry.subject_date_of_birth, "subject_role": enquiry.subject_role,
            "subject_employer": enquiry.subject_employer,
            "employment_basis": getattr(enquiry.employment_basis, "slug", ""),
            "sector": getattr(enquiry.sector, "slug", ""), "setting": getattr(enquiry.setting, "slug", ""),
            "children": ", ".join(child.reference for child in enquiry.children.all()),
            "children_description": enquiry.children_description, "officer": enquiry.officer_id,
            "incident_on": enquiry.incident_on, "employer_aware_on": enquiry.employer_aware_on,
            "police_reference": enquiry.police_reference, "criminal_outcome": enquiry.criminal_outcome,
            "criminal_outcome_detail": enquiry.criminal_outcome_detail,
            "subject_told": _told_initial(enquiry.subject_told), "subject_told_on": enquiry.subject_told_on,
            "parents_told": _told_initial(enquiry.parents_told), "parents_told_on": enquiry.parents_told_on,
            "dbs_referral": enquiry.dbs_referral, "dbs_decision": enquiry.dbs_decision,
            "dbs_decision_on": enquiry.dbs_decision_on,
        }

    def clean_received_time(self):
        match = TIME_RE.match(self.cleaned_data["received_time"] or "")
        if not match:
            raise forms.ValidationError("Enter the time received like 14:05")
        hour, minute, half = int(match[1]), int(match[2]), (match[3] or "").lower()
        if half == "pm" and hour < 12:
            hour += 12
        if half == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            raise forms.ValidationError("Enter a real time, like 14:05")
        return time(hour, minute)





    def clean_children(self):
        return clean_child_references(self.children_qs, self.cleaned_data["children"], required=False)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        day, moment = data.pop("received_on", None), data.pop("received_time", None)
        if day and moment:
            data["received_at"] = timezone.make_aware(datetime.combine(day, moment))
            if self.instance is not None:
                recorded = timezone.localtime(self.instance.received_at).replace(second=0, microsecond=0)
                if recorded == data["received_at"]:
                    del data["received_at"]  # the form shows minutes; unchanged is unchanged
        if data.get("officer") is None and self.instance is None:
            data.pop("officer", None)
        return data


class DecisionForm(NamedErrorsMixin, forms.Form):
    threshold_met = forms.TypedChoiceField(
        label="Is the harm test met?", widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[
            Choice("yes", "Yes: the threshold is met",
                   hint="At least one of the criteria below applies. An allegation management meeting follows."),
            Choice("no", "No: the threshold is not met",
                   hint="None of the criteria applies. Advice and guidance is given and the enquiry closes."),
        ],
        error_messages={"required": "Select whether the threshold is met"},
    )
    criteria = forms.MultipleChoiceField(
        label="Which criteria apply?", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[Choice(value, label, hint=Enquiry.CRITERION_HINTS[value])
                 for value, label in Enquiry.Criterion.choices],
        help_text="The person has, or may have, done any of these. Select all that apply; none if the "
                  "threshold is not met.",
    )
    rationale = forms.CharField(label="Rationale", widget=forms.Textarea(attrs={"rows": 5}), max_length=20000,
                                error_messages={"required": "Give the rationale for the decision"})
    advice = forms.CharField(
        label="Advice and guidance given", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000,
        required=False, help_text="When the threshold is not met: the advice given to the referrer.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("threshold_met", legend_size=Size.MEDIUM),
            Field.checkboxes("criteria", legend_size=Size.SMALL),
            Field.textarea("rationale", label_size=Size.SMALL),
            Field.textarea("advice", label_size=Size.SMALL),
            button="Record decision",
        )


MEETING_HINTS = {
    Meeting.Kind.STRATEGY: "Where the police or a section 47 enquiry are involved (Working Together). "
                           "Like an initial meeting, it stops the first meeting clock.",
}


class MeetingForm(NamedErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label="Meeting", widget=forms.RadioSelect,
                             choices=[Choice(value, label, hint=MEETING_HINTS[value]) if value in MEETING_HINTS
                                      else (value, label) for value, label in Meeting.Kind.choices],
                             error_messages={"required": "Select the kind of meeting"})
    held_on = _date("Date held", required=True)
    attendees = forms.CharField(label="Attendees", widget=forms.Textarea(attrs={"rows": 5}), max_length=10000,
                                help_text="One per line: name, agency.",
                                error_messages={"required": "List who attended"})
    minutes = forms.CharField(label="Summary of the minutes", widget=forms.Textarea(attrs={"rows": 5}),
                              max_length=50000, required=False)
    decisions = forms.CharField(label="Decisions", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000,
                                error_messages={"required": "Record the decisions made"})
    next_review_on = _date("Next review meeting", rule=DO_PLANNED_DATE,
                           help_text="Leave blank if no review is planned.")

    def __init__(self, *args, enquiry: Enquiry, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("kind", Meeting.Kind.INITIAL if enquiry.status == Enquiry.Status.AWAITING_MEETING
                                    else Meeting.Kind.REVIEW)
            self.initial.setdefault("held_on", today())
        self.helper = _helper(
            Field.radios("kind", legend_size=Size.SMALL),
            Field("held_on"),
            Field.textarea("attendees", label_size=Size.SMALL),
            Field.textarea("minutes", label_size=Size.SMALL),
            Field.textarea("decisions", label_size=Size.SMALL),
            Field("next_review_on"),
            button="Record meeting",
        )



class ActionForm(NamedErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label="Action", choices=Action.Kind.choices, widget=forms.RadioSelect,
                             error_messages={"required": "Select the action"})
    regulator = forms.ChoiceField(label="Regulator (for a regulator referral)",
                                  choices=[("", "Not a regulator referral")] + Action.Regulator.choices,
                                  required=False)
    owner_name = forms.CharField(label="Owner", max_length=200, help_text="Who is responsible for it.",
                                 error_messages={"required": "Name who owns the action"})
    owner_agency = forms.CharField(label="Owner's agency", max_length=200, required=False)
    due_on = _date("Due date", rule=DO_PLANNED_DATE, help_text="For example, 27 3 2026")
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
                            required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("kind", legend_size=Size.SMALL, small=True),
            Field.select("regulator"),
            Field.text("owner_name"),
            Field.text("owner_agency"),
            Field("due_on"),
            Field.textarea("notes"),
            button="Record action",
        )


class ActionUpdateForm(NamedErrorsMixin, forms.Form):
    due_on = _date("Due date", rule=DO_PLANNED_DATE)
    done_on = _date("Date done", help_text="Fill in when the action is complete.")
    employer_outcome = forms.ChoiceField(
        label="Employer's outcome (for an employer outcome action)",
        choices=[("", "Not recorded")] + Action.EmployerOutcome.choices, required=False)
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
                            required=False)

    def __init__(self, *args, action: Action, **kwargs):
        if not (args and args[0] is not None) and "initial" not in kwargs:
            kwargs["initial"] = {"due_on": action.due_on, "done_on": action.done_on,
                                 "employer_outcome": action.employer_outcome, "notes": action.notes}
        super().__init__(*args, **kwargs)
        fields = [Field("due_on"), Field("done_on")]
        if action.kind == Action.Kind.EMPLOYER_OUTCOME:
            fields.append(Field.select("employer_outcome"))
        else:
            del self.fields["employer_outcome"]
        self.helper = _helper(*fields, Field.textarea("notes"), button="Save action")



class ConcludeForm(NamedErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", widget=forms.RadioSelect,
        choices=[Choice(value, label, hint=Enquiry.OUTCOME_HINTS[value]) for value, label in Enquiry.Outcome.choices],
        help_text="The definitions are from Keeping Children Safe in Education, Part 4.",
        error_messages={"required": "Select the outcome"},
    )
    concluded_on = _date("Date concluded", help_text="Leave as today, or the date of the outcome meeting.")
    note = forms.CharField(label="Notes (optional)", widget=forms.Textarea(attrs={"rows": 3}), max_length=20000,
                           required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("concluded_on", today())
        self.helper = _helper(Field.radios("outcome", legend_size=Size.MEDIUM), Field("concluded_on"),
                              Field.textarea("note"), button="Conclude case")



class ConcludeWithoutMeetingForm(NamedErrorsMixin, forms.Form):
    """Only the two outcomes that may be recorded without a meeting are offered; any other value
    sent is refused with the reason in words."""

    outcome = forms.ChoiceField(
        label="Outcome", widget=forms.RadioSelect,
        choices=[Choice(value, Enquiry.Outcome(value).label, hint=Enquiry.OUTCOME_HINTS[value])
                 for value in (Enquiry.Outcome.UNFOUNDED, Enquiry.Outcome.MALICIOUS)],
        help_text="Only an allegation that is clearly unfounded or malicious may be concluded without an "
                  "allegation management meeting.",
        error_messages={"required": "Select the outcome"},
    )
    reason = forms.CharField(label="Why no meeting is needed", widget=forms.Textarea(attrs={"rows": 4}),
                             max_length=10000, error_messages={"required": "Enter why no meeting is needed"})
    concluded_on = _date("Date concluded", help_text="Leave as today, or the date the decision was made.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].error_messages["invalid_choice"] = (
            "Only an allegation that is clearly unfounded or malicious may be concluded without a meeting: "
            "select unfounded or malicious")
        if not self.is_bound:
            self.initial.setdefault("concluded_on", today())
        self.helper = _helper(Field.radios("outcome", legend_size=Size.MEDIUM),
                              Field.textarea("reason", label_size=Size.SMALL), Field("concluded_on"),
                              button="Conclude without a meeting")



class ReasonForm(NamedErrorsMixin, forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
                             error_messages={"required": "Enter the reason"})

    def __init__(self, *args, button: str, hint: str = "", warning: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if hint:
            self.fields["reason"].help_text = hint
        self.helper = _helper(Field.textarea("reason", label_size=Size.SMALL), button=button, warning=warning)


class DestroyForm(NamedErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Reason for destroying the case", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
        help_text="This is kept in the destruction log. Do not include names or other personal data.",
        error_messages={"required": "Enter the reason for destroying the case"},
    )
    confirm = forms.BooleanField(
        label="I understand the case, its history and timeline will be permanently removed",
        error_messages={"required": "Confirm that the case will be permanently removed"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("reason", label_size=Size.SMALL), Field.checkbox("confirm"),
                              button="Destroy case", warning=True)


class RetentionForm(NamedErrorsMixin, forms.Form):
    review_on = _date("Next retention review", required=True, rule=ANY_DATE)
    reason = forms.CharField(label="Reason for keeping the case", widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=10000, error_messages={"required": "Enter the reason for keeping the case"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field("review_on"), Field.textarea("reason", label_size=Size.SMALL),
                              button="Keep and review later")



# --- The DO Manager's pages: DO roles, the access review, retention rules ---------------------


class RoleGrantForm(NamedErrorsMixin, forms.Form):
    """Give someone a DO role. The person is named by username (they need an account first)."""

    person = forms.CharField(label="Their username", max_length=150,
                             help_text="The username they sign in with.",
                             error_messages={"required": "Enter the username of the person"})
    role = forms.ChoiceField(
        label="Role", widget=forms.RadioSelect,
        choices=[Choice(roles.DESIGNATED_OFFICER, roles.NAMES[roles.DESIGNATED_OFFICER],
                        hint="Sees and works every DO case."),
                 Choice(roles.DO_MANAGER, roles.NAMES[roles.DO_MANAGER],
                        hint="As a Designated Officer, and also grants DO roles, sets retention rules, "
                             "reads the access log and destroys cases.")],
        error_messages={"required": "Select the role"},
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
                             help_text="For example, joined the DO team on 1 April.",
                             error_messages={"required": "Enter the reason"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("person", field_width=20), Field.radios("role", legend_size=Size.SMALL),
                              Field.textarea("reason", label_size=Size.SMALL), button="Grant role")

    def clean_person(self):
        username = self.cleaned_data["person"].strip()
        person = User.objects.filter(username=username).first()
        if person is None:
            raise forms.ValidationError(f"No one has the username “{username}”")
        return person


class AccessReviewForm(NamedErrorsMixin, forms.Form):
    note = forms.CharField(label="Note (optional)", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
                           required=False, help_text="For example, checked against the DO team's staff list.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("note", label_size=Size.SMALL), button="Record the review as done")


class RetentionRuleForm(NamedErrorsMixin, forms.Form):
    """Reads the values; ``services.check_retention_rule`` decides whether they are allowed
    (here, to show every problem at once, and again in the service), so the page and any
    other way in apply the same rule."""

    years = forms.IntegerField(label="Years", required=False,
                               error_messages={"invalid": "Years must be a whole number"})
    counted_from = forms.ChoiceField(
        label="Counted from", widget=forms.RadioSelect, required=False,
        choices=[Choice(RetentionRule.CountedFrom.ALLEGATION, "The allegation",
                        hint="The date the DO received it, as Keeping Children Safe in Education counts."),
                 Choice(RetentionRule.CountedFrom.CLOSING, "Closing", hint="The date the case closed.")],
    )
    until_retirement = forms.BooleanField(
        label="Or until the subject reaches normal pension age, if that is later", required=False,
        help_text="Needs the subject's date of birth: a case without one is flagged.")
    retirement_age = forms.IntegerField(label="Normal pension age", required=False,
                                        help_text="The state pension age.",
                                        error_messages={"invalid": "The normal pension age must be a whole number"})
    note = forms.CharField(label="Note (optional)", max_length=300, required=False,
                           help_text="For example, the guidance the rule follows.")
    reason = forms.CharField(label="Reason for the change", widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=10000, error_messages={"required": "Enter the reason for changing the rule"})

    def __init__(self, *args, rule, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        if not self.is_bound:
            self.initial.update(years=rule.years, counted_from=rule.counted_from,
                                until_retirement=rule.until_retirement, retirement_age=rule.retirement_age,
                                note=rule.note)
        self.helper = _helper(Field.text("years", field_width=2),
                              Field.radios("counted_from", legend_size=Size.SMALL, inline=True),
                              Field.checkbox("until_retirement"), Field.text("retirement_age", field_width=2),
                              Field.text("note"), Field.textarea("reason", label_size=Size.SMALL),
                              button="Change the rule")

    def clean_counted_from(self):
        return self.cleaned_data.get("counted_from") or self.rule.counted_from  # unchanged when not sent

    def clean(self):
        from .services import check_retention_rule

        data = super().clean()
        if "years" in data and "retirement_age" in data and "counted_from" in data:
            problems = check_retention_rule(closure=self.rule.closure, years=data["years"],
                                            counted_from=data["counted_from"],
                                            until_retirement=data.get("until_retirement", False),
                                            retirement_age=data["retirement_age"])
            for name, message in problems.items():
                self.add_error(name if name in self.fields else None, message)
        return data


class CategoryRetentionForm(NamedErrorsMixin, forms.Form):
    """A category's longer period; ``lado.clocks.category_retention_problems`` decides whether it
    is allowed (here and again in the service)."""

    years = forms.IntegerField(
        label="Years from the allegation", required=False,
        help_text="More than 10. Leave blank to keep this category's cases by the outcome rules alone.",
        error_messages={"invalid": "Years must be a whole number"})
    note = forms.CharField(label="Note (optional)", max_length=300, required=False,
                           help_text="For example, the inquiry or guidance the period follows.")
    reason = forms.CharField(label="Reason for the change", widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=10000, error_messages={"required": "Enter the reason for changing the rule"})

    def __init__(self, *args, period=None, **kwargs):
        super().__init__(*args, **kwargs)
        if period is not None and not self.is_bound:
            self.initial.update(years=period.years, note=period.note)
        self.helper = _helper(Field.text("years", field_width=3), Field.text("note"),
                              Field.textarea("reason", label_size=Size.SMALL), button="Change the rule")

    def clean_years(self):
        from .clocks import category_retention_problems

        years = self.cleaned_data.get("years")
        problems = category_retention_problems(years)
        if problems:
            raise forms.ValidationError(problems["years"])
        return years
