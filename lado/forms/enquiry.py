"""Logging an enquiry and updating its details."""

from __future__ import annotations

from datetime import datetime, time

from crispy_forms_gds.layout import Field, Fieldset, Size
from django import forms
from django.utils import timezone

from children.forms import clean_child_references
from people.models import User
from workflows.clocks import now as clock_now
from workflows.date_rules import DO_INCIDENT_DATE, SUBJECT_DATE_OF_BIRTH
from workflows.forms import NamedErrorsMixin

from ..access import do_team_members
from ..models import (
    Category,
    EmploymentBasis,
    Enquiry,
    ReferralSource,
    SchoolPhase,
    Sector,
    SettingType,
)
from .fields import TIME_RE, TOLD_FIELD, VocabularyField, date_field, form_helper, told_initial


class EnquiryForm(NamedErrorsMixin, forms.Form):
    """Log an enquiry while the call is happening: only the summary must be filled in; received
    is now unless changed; everything else can be completed later."""

    received_on = date_field("Date received", required=True)
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
    subject_date_of_birth = date_field("Date of birth", rule=SUBJECT_DATE_OF_BIRTH,
                                  help_text="If known. For example, 27 3 1985")
    subject_role = forms.CharField(label="Role", max_length=200, required=False,
                                   help_text="For example, teaching assistant, foster carer, football coach")
    subject_employer = forms.CharField(label="Employer or organisation", max_length=200, required=False)
    employment_basis = VocabularyField(EmploymentBasis, label="Employment basis")
    sector = VocabularyField(Sector, label="Organisation's sector")
    setting = VocabularyField(SettingType, label="Setting")
    school_phase = VocabularyField(SchoolPhase, label="School phase", blank_label="Not an education setting",
                                   help_text="For an education setting only.")
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
    incident_on = date_field("Date of the alleged incident", rule=DO_INCIDENT_DATE,
                        help_text="If known. Identifies a non-recent allegation. For example, 4 11 2019")
    employer_aware_on = date_field("Date the employer became aware", rule=DO_INCIDENT_DATE,
                              help_text="The employer should refer to the DO within one working day.")
    police_reference = forms.CharField(label="Police reference", max_length=60, required=False)
    criminal_outcome = forms.ChoiceField(label="Criminal outcome", required=False,
                                         choices=[("", "None recorded")] + Enquiry.CriminalOutcome.choices)
    criminal_outcome_detail = forms.CharField(label="Criminal outcome in words", required=False, max_length=20000,
                                              widget=forms.Textarea(attrs={"rows": 3}))
    subject_told = TOLD_FIELD("Has the subject been told of the allegation?")
    subject_told_on = date_field("Date the subject was told")
    parents_told = TOLD_FIELD("Have the child's parents or carers been told?")
    parents_told_on = date_field("Date the parents were told")
    dbs_referral = forms.ChoiceField(label="Referral to the DBS", required=False,
                                     choices=[("", "Not recorded")] + Enquiry.DbsReferral.choices)
    dbs_decision = forms.ChoiceField(label="DBS decision", required=False,
                                     choices=[("", "None yet")] + Enquiry.DbsDecision.choices)
    dbs_decision_on = date_field("Date of the DBS decision")

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
        for name in ("referral_source", "category", "employment_basis", "sector", "setting", "school_phase"):
            self.fields[name].load(getattr(instance, name, None))
        self.fields["officer"].queryset = do_team_members().order_by("first_name", "last_name")
        if instance is not None:
            self.fields["officer"].empty_label = None
        self.helper = form_helper(
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
                Field.select("school_phase"),
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
            "school_phase": getattr(enquiry.school_phase, "slug", ""),
            "children": ", ".join(child.reference for child in enquiry.children.all()),
            "children_description": enquiry.children_description, "officer": enquiry.officer_id,
            "incident_on": enquiry.incident_on, "employer_aware_on": enquiry.employer_aware_on,
            "police_reference": enquiry.police_reference, "criminal_outcome": enquiry.criminal_outcome,
            "criminal_outcome_detail": enquiry.criminal_outcome_detail,
            "subject_told": told_initial(enquiry.subject_told), "subject_told_on": enquiry.subject_told_on,
            "parents_told": told_initial(enquiry.parents_told), "parents_told_on": enquiry.parents_told_on,
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
