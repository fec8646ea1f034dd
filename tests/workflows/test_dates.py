"""Partial and absurd dates are refused on every date field, on pages and in the API, with the
GOV.UK date input's words and the field named (issue 13: a day left blank was stored as today,
1/1/1900 made a DRP overdue since before IROs existed)."""

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from drp.models import DisputeResolution
from lado.models import Enquiry
from tests.support.auth import login
from tests.support.problems import field_errors
from workflows.clocks import today
from workflows.date_rules import DRP_DATE, SUBJECT_DATE_OF_BIRTH

pytestmark = pytest.mark.django_db

RAISE = {"children": "C000001", "case_type": "CLA", "themes": ["placement"], "concern": "Placement at risk",
         "stage": "informal"}


def raise_page(client, org, day, month, year):
    login(client, org.iro)
    return client.post("/drps/raise/", {**RAISE, "raised_on_0": day, "raised_on_1": month, "raised_on_2": year})


@pytest.mark.parametrize("day,month,year,message", [
    ("", "3", "2025", "Date raised must include a day"),
    ("4", "", "2025", "Date raised must include a month"),
    ("4", "3", "", "Date raised must include a year"),
    ("", "", "2025", "Date raised must include a day and month"),
    ("1", "1", "1900", "Date raised must be the same as or after 1 January 2004"),
    ("31", "2", "2025", "Date raised must be a real date"),
])
def test_raising_a_drp_refuses_a_partial_or_absurd_date_raised(client, org, day, month, year, message):
    response = raise_page(client, org, day, month, year)
    page = response.content.decode()
    assert message in page
    # The error is inside "Start stage, date raised and lead team": the section is open.
    assert '<details class="govuk-details" open>' in page
    assert not DisputeResolution.objects.exists()


def test_a_plausible_date_raised_is_kept(client, org):
    raise_page(client, org, "4", "3", "2025")
    assert DisputeResolution.objects.get().raised_on == date(2025, 3, 4)


@pytest.mark.parametrize("body,field,message", [
    ({"raised_on": "1900-01-01"}, "raised_on", "Date raised must be the same as or after 1 January 2004."),
    ({"raised_on": "2099-01-01"}, "raised_on", "Date raised must be today or in the past."),
    ({"raised_on": "2025-03"}, "raised_on", None),
])
def test_the_api_refuses_an_absurd_date_raised_naming_the_field(org, body, field, message):
    api = APIClient()
    api.force_authenticate(org.iro)
    response = api.post("/api/v1/drps/", {"children": [org.child.pk], "case_type": "CLA", "themes": ["placement"],
                                       "concern": "x", **body}, format="json")
    assert response.status_code == 400 and field in field_errors(response), response.content
    if message:
        assert field_errors(response)[field] == [message]


def test_the_api_refuses_a_subject_older_than_a_hundred_and_a_birth_in_the_future(org):
    api = APIClient()
    api.force_authenticate(org.designated_officer)
    for born in ("1900-01-01", (today() + timedelta(days=2)).isoformat()):
        response = api.post("/api/v1/lado/enquiries/", {"summary": "Concern", "subject_date_of_birth": born},
                            format="json")
        assert response.status_code == 400 and "subject_date_of_birth" in field_errors(response), response.content
    assert not Enquiry.objects.exists()


def test_the_api_refuses_a_childs_date_of_birth_in_the_future_or_over_25_years_ago(org):
    api = APIClient()
    api.force_authenticate(org.business_support)
    for born in ((today() + timedelta(days=1)).isoformat(), "1950-01-01", "2024-02"):
        response = api.post("/api/v1/children/", {"reference": "C000777", "name": "New Child", "case_type": "CLA",
                                               "date_of_birth": born}, format="json")
        assert response.status_code == 400 and "date_of_birth" in field_errors(response), response.content
    assert field_errors(response)["date_of_birth"] != ["This field is required."]


def test_a_do_subject_date_of_birth_left_partial_is_not_stored_as_not_known(client, org):
    login(client, org.designated_officer)
    response = client.post("/lado/log/", {
        "received_on_0": str(today().day), "received_on_1": str(today().month), "received_on_2": str(today().year),
        "received_time": "10:00", "how": "phone", "summary": "Concern", "subject_name": "Robert Miles",
        "subject_date_of_birth_0": "", "subject_date_of_birth_1": "5", "subject_date_of_birth_2": "1980"})
    assert "Date of birth must include a day" in response.content.decode()
    assert not Enquiry.objects.exists()


def test_the_rules_name_their_limits():
    assert SUBJECT_DATE_OF_BIRTH.problem(today().replace(year=today().year - 101), "Date of birth").startswith(
        "Date of birth must be the same as or after")
    assert DRP_DATE.problem(date(2004, 1, 1), "Date raised") is None
    assert DRP_DATE.problem(date(1900, 1, 1), "Date raised (optional)") == (
        "Date raised must be the same as or after 1 January 2004")
