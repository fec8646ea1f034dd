"""The reason an enquiry is past its target, and an advice-only consultation."""

from __future__ import annotations

from datetime import datetime

from crispy_forms_gds.layout import Field, Fieldset, Size
from django import forms
from django.utils import timezone

from workflows.clocks import now as clock_now
from workflows.forms import NamedErrorsMixin

from ..models import Category, DelayReason, SchoolPhase, Sector, SettingType
from .fields import TIME_RE, VocabularyField, date_field, form_helper


class DelayForm(NamedErrorsMixin, forms.Form):
    delay_reason = VocabularyField(DelayReason, label="Why is the enquiry past its target?", required=True,
                                   widget=forms.RadioSelect,
                                   error_messages={"required": "Choose the reason for the delay"})
    note = forms.CharField(label="Say more", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                           required=False, help_text="Needed for “Other”. Do not name the child.")

    def __init__(self, *args, enquiry, **kwargs):
        if enquiry.delay_reason_id and not (args and args[0] is not None) and "initial" not in kwargs:
            kwargs["initial"] = {"delay_reason": enquiry.delay_reason.slug, "note": enquiry.delay_note}
        super().__init__(*args, **kwargs)
        self.fields["delay_reason"].load(enquiry.delay_reason)
        self.helper = form_helper(Field.radios("delay_reason", legend_size=Size.SMALL, small=True),
                              Field.textarea("note", label_size=Size.SMALL), button="Record reason for delay")


class ConsultationForm(NamedErrorsMixin, forms.Form):
    """Below the threshold for a referral: no name of the person, no children."""

    consulted_on = date_field("Date of the call", required=True)
    consulted_time = forms.CharField(label="Time of the call", max_length=8, help_text="For example, 14:05",
                                     error_messages={"required": "Enter the time of the call"})
    caller_name = forms.CharField(label="Who called", max_length=200, required=False)
    caller_organisation = forms.CharField(label="Their organisation", max_length=200, required=False)
    sector = VocabularyField(Sector, label="Organisation's sector")
    setting = VocabularyField(SettingType, label="Setting")
    school_phase = VocabularyField(SchoolPhase, label="School phase", blank_label="Not an education setting",
                                   help_text="For an education setting only.")
    category = VocabularyField(Category, label="Kind of concern")
    advice = forms.CharField(label="Advice given", widget=forms.Textarea(attrs={"rows": 5}), max_length=20000,
                             help_text="Do not name the person the concern is about, or any child.",
                             error_messages={"required": "Record the advice given"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            moment = timezone.localtime(clock_now())
            self.initial.setdefault("consulted_on", moment.date())
            self.initial.setdefault("consulted_time", moment.strftime("%H:%M"))
        for name in ("sector", "setting", "school_phase", "category"):
            self.fields[name].load()
        self.helper = form_helper(
            Fieldset(Field("consulted_on"), Field.text("consulted_time", field_width=5),
                     Field.text("caller_name"), Field.text("caller_organisation"),
                     legend="The call", legend_size=Size.MEDIUM),
            Fieldset(Field.select("sector"), Field.select("setting"), Field.select("school_phase"),
                     Field.select("category"), legend="The setting and the concern", legend_size=Size.MEDIUM),
            Field.textarea("advice", label_size=Size.SMALL),
            button="Log consultation")

    def clean_consulted_time(self):
        match = TIME_RE.match(self.cleaned_data["consulted_time"] or "")
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise forms.ValidationError("Enter the time of the call like 14:05")
        return int(match[1]), int(match[2])

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        day, (hour, minute) = data.pop("consulted_on"), data.pop("consulted_time")
        data["consulted_at"] = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(
            hour=hour, minute=minute))
        return data
