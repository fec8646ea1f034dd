"""A date ahead of today on a Designated Officer form is refused by the field's own rule
(``workflows.date_rules``), in GOV.UK words naming the field, and a date of today is kept: the
behaviour the forms' old per-field past-date checks once gave, now given by the rule alone."""

from datetime import timedelta

import pytest

from children.models import Child
from lado.forms import (
    ActionUpdateForm,
    ConcludeForm,
    ConcludeWithoutMeetingForm,
    EnquiryForm,
    MeetingForm,
)
from lado.models import Action, Enquiry
from workflows.clocks import today

pytestmark = pytest.mark.django_db


def day_fields(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def make(form_name):
    enquiry, action = Enquiry(status=Enquiry.Status.IN_PROGRESS), Action(kind=Action.Kind.SUSPENSION)
    return {
        "log": lambda data: EnquiryForm(data, children_qs=Child.objects.none()),
        "meeting": lambda data: MeetingForm(data, enquiry=enquiry),
        "action": lambda data: ActionUpdateForm(data, action=action),
        "conclude": lambda data: ConcludeForm(data),
        "conclude-without-meeting": lambda data: ConcludeWithoutMeetingForm(data),
    }[form_name]


@pytest.mark.parametrize("form_name, field, message", [
    ("log", "received_on", "Date received must be today or in the past"),
    ("log", "subject_date_of_birth", "Date of birth must be today or in the past"),
    ("log", "incident_on", "Date of the alleged incident must be today or in the past"),
    ("log", "employer_aware_on", "Date the employer became aware must be today or in the past"),
    ("meeting", "held_on", "Date held must be today or in the past"),
    ("action", "done_on", "Date done must be today or in the past"),
    ("conclude", "concluded_on", "Date concluded must be today or in the past"),
    ("conclude-without-meeting", "concluded_on", "Date concluded must be today or in the past"),
])
def test_a_do_date_ahead_of_today_is_refused_naming_the_field_and_today_is_kept(form_name, field, message):
    ahead = make(form_name)(day_fields(field, today() + timedelta(days=1)))
    assert not ahead.is_valid()
    assert ahead.errors[field] == [message]
    on_the_day = make(form_name)(day_fields(field, today()))
    on_the_day.is_valid()
    assert field not in on_the_day.errors and on_the_day.cleaned_data[field] == today()
