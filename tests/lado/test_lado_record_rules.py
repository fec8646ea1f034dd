"""What an enquiry must record (issue 12, docs/rules.md): what Working Together and the annual
report need, completed through the page and the API, the API's refusal order, and a subject access
request including what is now recorded."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lado import services
from lado.models import Enquiry
from tests.support.auth import login
from tests.support.lado_fixtures import at, client_for, hold_meeting, log
from tests.support.lado_rules import awaiting_meeting
from tests.support.problems import field_errors
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db


# --- What Working Together and the annual report need recorded ------------------------------------------

RECORD = {
    "incident_on": date(2023, 9, 1), "employer_aware_on": date(2025, 4, 16), "police_reference": "CR/123/25",
    "criminal_outcome": "no-further-action", "criminal_outcome_detail": "Insufficient evidence to charge.",
    "subject_told": True, "subject_told_on": date(2025, 4, 17), "parents_told": False,
    "dbs_referral": "referred", "dbs_decision": "not-barred", "dbs_decision_on": date(2025, 4, 17),
}


def test_the_case_records_what_working_together_and_the_annual_report_need(org, client):
    with as_of(date(2025, 4, 17)):
        enquiry = log(org, received_at=at(date(2025, 4, 17)), **RECORD)
    assert enquiry.is_non_recent is True  # the incident was 12 months or more before the referral
    assert enquiry.referred_within_one_working_day is True  # aware Wednesday, referred Thursday
    # Aware Thursday 17 April, referred Tuesday 22 April: Good Friday and Easter Monday do not count.
    easter = log(org, received_at=at(date(2025, 4, 22)), employer_aware_on=date(2025, 4, 17))
    late = log(org, received_at=at(date(2025, 4, 22)), employer_aware_on=date(2025, 4, 16),
               incident_on=date(2025, 4, 10))
    assert easter.referred_within_one_working_day is True and easter.is_non_recent is None
    assert late.referred_within_one_working_day is False and late.is_non_recent is False
    login(client, org.designated_officer)
    page = client.get(f"/lado/{enquiry.pk}/").content.decode()
    for text in ("1 September 2023", "Non-recent", "Referred within one working day", "CR/123/25",
                 "No further action", "Insufficient evidence to charge.", "Yes, 17 April 2025",
                 "Referred to the DBS", "Decision: Not barred, 17 April 2025"):
        assert text in page, text
    assert "Not referred within one working day" in client.get(f"/lado/{late.pk}/").content.decode()
    data = client_for(org.designated_officer).get(f"/api/v1/lado/enquiries/{enquiry.pk}/").json()
    assert (data["incident_on"], data["non_recent"], data["referred_within_one_working_day"]) == (
        "2023-09-01", True, True)
    assert (data["criminal_outcome"], data["subject_told"], data["parents_told"], data["dbs_decision"]) == (
        "no-further-action", True, False, "not-barred")


def _dates(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def test_the_record_is_completed_through_the_edit_page_and_the_api(org, client):
    enquiry = log(org)
    login(client, org.designated_officer)
    url = f"/lado/{enquiry.pk}/edit/"
    form = client.get(url).content.decode()
    assert "Date of the alleged incident" in form and "Has the subject been told of the allegation?" in form
    received = timezone.localtime(enquiry.received_at)
    post = {
        **_dates("received_on", received.date()), "received_time": received.strftime("%H:%M"), "how": "phone",
        "summary": enquiry.summary, "category": "physical", "subject_name": "Robert Miles",
        **_dates("subject_date_of_birth", date(1980, 5, 17)), "subject_role": "Teaching assistant",
        "subject_employer": "St Mary's Primary", "employment_basis": "permanent", "sector": "public",
        "setting": "education", "referral_source": "education", "referrer_name": "Jane Head",
        "referrer_organisation": "St Mary's Primary", "officer": org.designated_officer.pk,
        "police_reference": "CR/9/25", "subject_told": "yes", "criminal_outcome": "charged",
        "dbs_referral": "", "dbs_decision": "barred",
    }
    refused = client.post(url, post)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Enter the date the subject was told" in page
    assert "A DBS decision follows a referral to the DBS: record the referral first" in page
    post |= {**_dates("subject_told_on", received.date()), "dbs_decision": ""}
    response = client.post(url, post)
    assert response.status_code == 302, response.content.decode()[:3000]
    enquiry.refresh_from_db()
    assert (enquiry.police_reference, enquiry.subject_told, enquiry.subject_told_on, enquiry.criminal_outcome) == (
        "CR/9/25", True, received.date(), "charged")
    assert enquiry.timeline.last().note == (
        "Changed: police reference, criminal outcome, subject told, date the subject was told.")

    api = client_for(org.designated_officer)
    case_url = f"/api/v1/lado/enquiries/{enquiry.pk}/"
    response = api.patch(case_url, {"parents_told": False, "parents_told_on": "2025-01-01"}, format="json")
    assert response.status_code == 400 and set(field_errors(response)) == {"parents_told_on"}
    response = api.patch(case_url, {"incident_on": "2099-01-01"}, format="json")
    assert response.status_code == 400 and set(field_errors(response)) == {"incident_on"}
    response = api.patch(case_url, {"criminal_outcome": "hanged"}, format="json")
    assert response.status_code == 400 and set(field_errors(response)) == {"criminal_outcome"}
    response = api.patch(case_url, {"dbs_referral": "referred", "dbs_decision": "barred"}, format="json")
    assert response.status_code == 200 and response.json()["dbs_decision"] == "barred"


def test_the_incident_and_employer_dates_cannot_follow_the_referral(org):
    with as_of(date(2025, 4, 17)):
        for field in ("incident_on", "employer_aware_on"):
            with pytest.raises(ValidationError) as refused:
                log(org, received_at=at(date(2025, 4, 17)), **{field: date(2025, 4, 18)})
            assert set(refused.value.message_dict) == {field}


def test_strategy_discussion_is_a_meeting_kind(org):
    enquiry = awaiting_meeting(org, date(2025, 4, 17))
    with as_of(date(2025, 4, 18)):
        meeting = hold_meeting(org, enquiry, kind="strategy", held_on=date(2025, 4, 18))
    assert meeting.get_kind_display() == "Strategy discussion"
    assert "Strategy discussion held on 18 April 2025" in Enquiry.objects.get(pk=enquiry.pk).timeline.last().note


# --- Refusal order in the API --------------------------------------------------------------------

@pytest.mark.parametrize("move", ["decide", "meetings", "actions", "conclude", "conclude-without-meeting", "cancel"])
def test_a_move_the_status_refuses_is_409_before_its_input_is_read(org, move):
    """State 409, permission 403, input 400, in that order: a DO move on a closed case with an
    empty body is refused for the case's status, not for the missing fields."""
    closed = services.enquiry_cancel(enquiry=log(org), actor=org.designated_officer, reason="Withdrawn")
    url = f"/api/v1/lado/enquiries/{closed.pk}/{move}/"
    response = client_for(org.designated_officer).post(url, {}, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["detail"].startswith(f"{closed.reference} is cancelled, so ")
    open_case = log(org)
    assert client_for(org.iro_manager).post(f"/api/v1/lado/enquiries/{open_case.pk}/{move}/", {},
                                            format="json").status_code == 403


def test_a_subject_access_request_includes_what_is_now_recorded(org):
    """The subject's right of access covers the police reference, criminal outcome, who was told
    and the DBS decision recorded on their case."""
    from subject_access.records import ThirdParties, enquiry_records

    with as_of(date(2025, 4, 17)):
        enquiry = log(org, received_at=at(date(2025, 4, 17)), **RECORD)
    fields = dict(enquiry_records(Enquiry.objects.filter(pk=enquiry.pk), ThirdParties())[0]["fields"])
    assert fields["Police reference"] == "CR/123/25" and fields["Criminal outcome"] == "No further action"
    assert (fields["Subject told"], fields["Parents told"]) == ("Yes, 17 April 2025", "No")
    assert (fields["DBS referral"], fields["DBS decision"]) == ("Referred to the DBS", "Not barred")
    assert fields["Date of the alleged incident"] == "1 September 2023"
