"""The DO Manager's pages: DO roles, the access review, retention rules."""

from __future__ import annotations

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.layout import Field, Size
from django import forms

from people import roles
from people.models import User
from workflows.forms import NamedErrorsMixin

from ..models import (
    RetentionRule,
)
from .fields import form_helper

# --- The DO Manager's pages: DO roles, the access review, retention rules ---------------------


class RoleGrantForm(NamedErrorsMixin, forms.Form):
    """Give someone a DO role. The person is named by username (they need an account first)."""

    person = forms.CharField(label="Their username", max_length=150,
                             help_text="The username they sign in with.",
                             error_messages={"required": "Enter the username of the person"})
    role = forms.ChoiceField(
        label="Role", widget=forms.RadioSelect,
        choices=[Choice(roles.DESIGNATED_OFFICER, roles.NAMES[roles.DESIGNATED_OFFICER],
                        hint="Sees and works every DO enquiry."),
                 Choice(roles.DO_MANAGER, roles.NAMES[roles.DO_MANAGER],
                        hint="As a Designated Officer, and also grants DO roles, sets retention rules, "
                             "reads the access log and destroys enquiries.")],
        error_messages={"required": "Select the role"},
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
                             help_text="For example, joined the DO team on 1 April.",
                             error_messages={"required": "Enter the reason"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(Field.text("person", field_width=20), Field.radios("role", legend_size=Size.SMALL),
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
        self.helper = form_helper(Field.textarea("note", label_size=Size.SMALL), button="Record the review as done")


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
                 Choice(RetentionRule.CountedFrom.CLOSING, "Closing", hint="The date the enquiry closed.")],
    )
    until_retirement = forms.BooleanField(
        label="Or until the subject reaches normal pension age, if that is later", required=False,
        help_text="Needs the subject's date of birth: an enquiry without one is flagged.")
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
        self.helper = form_helper(Field.text("years", field_width=2),
                              Field.radios("counted_from", legend_size=Size.SMALL, inline=True),
                              Field.checkbox("until_retirement"), Field.text("retirement_age", field_width=2),
                              Field.text("note"), Field.textarea("reason", label_size=Size.SMALL),
                              button="Change the rule")

    def clean_counted_from(self):
        return self.cleaned_data.get("counted_from") or self.rule.counted_from  # unchanged when not sent

    def clean(self):
        from ..services import check_retention_rule

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
        help_text="More than 10. Leave blank to keep this category's enquiries by the outcome rules alone.",
        error_messages={"invalid": "Years must be a whole number"})
    note = forms.CharField(label="Note (optional)", max_length=300, required=False,
                           help_text="For example, the inquiry or guidance the period follows.")
    reason = forms.CharField(label="Reason for the change", widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=10000, error_messages={"required": "Enter the reason for changing the rule"})

    def __init__(self, *args, period=None, **kwargs):
        super().__init__(*args, **kwargs)
        if period is not None and not self.is_bound:
            self.initial.update(years=period.years, note=period.note)
        self.helper = form_helper(Field.text("years", field_width=3), Field.text("note"),
                              Field.textarea("reason", label_size=Size.SMALL), button="Change the rule")

    def clean_years(self):
        from ..clocks import category_retention_problems

        years = self.cleaned_data.get("years")
        problems = category_retention_problems(years)
        if problems:
            raise forms.ValidationError(problems["years"])
        return years
