"""The forms of the DO enquiry's moves: decision, meeting, action, conclusion, reasons, retention."""

from __future__ import annotations

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.layout import HTML, Field, Size
from django import forms

from workflows.clocks import today
from workflows.date_rules import ANY_DATE, DO_PLANNED_DATE
from workflows.forms import NamedErrorsMixin

from ..models import (
    Action,
    Enquiry,
    Meeting,
)
from .fields import date_field, form_helper


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
        self.helper = form_helper(
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
    held_on = date_field("Date held", required=True)
    attendees = forms.CharField(label="Attendees", widget=forms.Textarea(attrs={"rows": 5}), max_length=10000,
                                help_text="One per line: name, agency.",
                                error_messages={"required": "List who attended"})
    minutes = forms.CharField(label="Summary of the minutes", widget=forms.Textarea(attrs={"rows": 5}),
                              max_length=50000, required=False)
    decisions = forms.CharField(label="Decisions", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000,
                                error_messages={"required": "Record the decisions made"})
    next_review_on = date_field("Next review meeting", rule=DO_PLANNED_DATE,
                           help_text="Leave blank if no review is planned.")

    def __init__(self, *args, enquiry: Enquiry, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("kind", Meeting.Kind.INITIAL if enquiry.status == Enquiry.Status.AWAITING_MEETING
                                    else Meeting.Kind.REVIEW)
            self.initial.setdefault("held_on", today())
        self.helper = form_helper(
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
    due_on = date_field("Due date", rule=DO_PLANNED_DATE, help_text="For example, 27 3 2026")
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
                            required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            Field.radios("kind", legend_size=Size.SMALL, small=True),
            Field.select("regulator"),
            Field.text("owner_name"),
            Field.text("owner_agency"),
            Field("due_on"),
            Field.textarea("notes"),
            button="Record action",
        )


class ActionUpdateForm(NamedErrorsMixin, forms.Form):
    due_on = date_field("Due date", rule=DO_PLANNED_DATE)
    done_on = date_field("Date done", help_text="Fill in when the action is complete.")
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
        self.helper = form_helper(*fields, Field.textarea("notes"), button="Save action")


class OpenActionsMixin:
    """One question for each open action when concluding: done, not done, or carries on after
    the enquiry closes with its owner (the service refuses a conclusion that leaves one out)."""

    open_actions: list = []

    def open_action_fields(self, enquiry) -> list:
        from ..services import open_actions_of

        self.open_actions = open_actions_of(enquiry) if enquiry is not None else []
        if not self.open_actions:
            return []
        layout = [HTML('<h2 class="govuk-heading-m">Open actions</h2><p class="govuk-body">These actions are '
                       'not recorded as done. Say what happens to each before the enquiry is concluded.</p>')]
        for action in self.open_actions:
            name = f"action_{action.pk}"
            due = f", due {action.due_on:%-d %B %Y}" if action.due_on else ""
            self.fields[name] = forms.ChoiceField(
                label=f"{action.description} (owned by {action.owner}{due}): what happens to it?",
                choices=Action.AtClosure.choices, widget=forms.RadioSelect,
                error_messages={"required": f"Select what happens to {action.description}"})
            self.fields[f"{name}_owner"] = forms.CharField(
                label=f"Who owns {action.description} after the enquiry closes", required=False, max_length=200,
                initial=action.owner_name, help_text="Needed if it carries on after the enquiry closes.")
            layout += [Field.radios(name, legend_size=Size.SMALL), Field.text(f"{name}_owner")]
        return layout

    def service_data(self) -> dict:
        data = {key: value for key, value in self.cleaned_data.items() if not key.startswith("action_")}
        if self.open_actions:
            data["actions"] = [{"id": action.pk, "decision": self.cleaned_data.get(f"action_{action.pk}"),
                                "owner": self.cleaned_data.get(f"action_{action.pk}_owner", "")}
                               for action in self.open_actions]
        return data


class ConcludeForm(OpenActionsMixin, NamedErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", widget=forms.RadioSelect,
        choices=[Choice(value, label, hint=Enquiry.OUTCOME_HINTS[value]) for value, label in Enquiry.Outcome.choices],
        help_text="The definitions are from Keeping Children Safe in Education, Part 4.",
        error_messages={"required": "Select the outcome"},
    )
    concluded_on = date_field("Date concluded", help_text="Leave as today, or the date of the outcome meeting.")
    note = forms.CharField(label="Notes (optional)", widget=forms.Textarea(attrs={"rows": 3}), max_length=20000,
                           required=False)

    def __init__(self, *args, enquiry=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("concluded_on", today())
        self.helper = form_helper(Field.radios("outcome", legend_size=Size.MEDIUM), Field("concluded_on"),
                              Field.textarea("note"), *self.open_action_fields(enquiry), button="Conclude enquiry")


class ConcludeWithoutMeetingForm(OpenActionsMixin, NamedErrorsMixin, forms.Form):
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
    concluded_on = date_field("Date concluded", help_text="Leave as today, or the date the decision was made.")

    def __init__(self, *args, enquiry=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].error_messages["invalid_choice"] = (
            "Only an allegation that is clearly unfounded or malicious may be concluded without a meeting: "
            "select unfounded or malicious")
        if not self.is_bound:
            self.initial.setdefault("concluded_on", today())
        self.helper = form_helper(Field.radios("outcome", legend_size=Size.MEDIUM),
                              Field.textarea("reason", label_size=Size.SMALL), Field("concluded_on"),
                              *self.open_action_fields(enquiry), button="Conclude without a meeting")


class ReasonForm(NamedErrorsMixin, forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
                             error_messages={"required": "Enter the reason"})

    def __init__(self, *args, button: str, hint: str = "", warning: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if hint:
            self.fields["reason"].help_text = hint
        self.helper = form_helper(Field.textarea("reason", label_size=Size.SMALL), button=button, warning=warning)


class DestroyForm(NamedErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Reason for destroying the enquiry", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
        help_text="This is kept in the destruction log. Do not include names or other personal data.",
        error_messages={"required": "Enter the reason for destroying the enquiry"},
    )
    confirm = forms.BooleanField(
        label="I understand the enquiry, its history and timeline will be permanently removed",
        error_messages={"required": "Confirm that the enquiry will be permanently removed"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(Field.textarea("reason", label_size=Size.SMALL), Field.checkbox("confirm"),
                              button="Destroy enquiry", warning=True)


class RetentionForm(NamedErrorsMixin, forms.Form):
    review_on = date_field("Next retention review", required=True, rule=ANY_DATE)
    reason = forms.CharField(label="Reason for keeping the enquiry", widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=10000, error_messages={"required": "Enter the reason for keeping the enquiry"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(Field("review_on"), Field.textarea("reason", label_size=Size.SMALL),
                              button="Keep and review later")
