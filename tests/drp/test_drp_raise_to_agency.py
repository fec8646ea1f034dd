"""Raising a DRP addressed to a partner agency's contact from the raise page (issue 16): the
choice between the social-care responder and an agency contact, its errors on the field, and
the contact emailed what is asked without the child's name."""

import pytest
from django.core import mail

from drp.models import AgencyContact, DisputeResolution, PartnerAgency
from tests.support.auth import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def school_nurse(db):
    return AgencyContact.objects.create(agency=PartnerAgency.objects.get(slug="health"), name="Pat Nurse",
                                        job_title="School nurse", email="pat.nurse@health.example")


def _raise(client, **extra):
    return client.post("/drps/raise/", {"children": "C000001", "case_type": "CLA", "themes": ["health"],
                                        "concern": "Health assessment overdue", "stage": "stage-1", **extra})


def test_the_raise_page_offers_the_social_care_responder_or_an_agency_contact(client, org, school_nurse):
    login(client, org.iro)
    page = client.get("/drps/raise/").content.decode()
    assert "Address it to" in page and "The social-care responder for the stage" in page
    assert f'<option value="{school_nurse.pk}"' in page and "Pat Nurse" in page


def test_errors_are_on_the_agency_fields_and_open_their_section(client, org, school_nurse):
    login(client, org.iro)
    cases = [
        ({"agency_contact": school_nurse.pk}, "id_asked", "Say what Health is asked to do"),
        ({"agency_contact": school_nurse.pk, "asked": f"See {org.child.name} at school"}, "id_asked",
         "leave out the child"),
        ({"asked": "A dental check"}, "id_asked", "Only a stage addressed to a partner agency contact"),
        ({"agency_contact": "999999", "asked": "A dental check"}, "id_agency_contact", "Choose the social-care responder or an active"),
    ]
    for extra, anchor, message in cases:
        body = _raise(client, **extra).content.decode()
        assert "govuk-error-summary" in body and f'href="#{anchor}"' in body and message in body, extra
        assert '<details class="govuk-details" open>' in body  # the section holding the error is open
    assert not DisputeResolution.objects.exists()
    school_nurse.active = False
    school_nurse.save()
    body = _raise(client, agency_contact=school_nurse.pk, asked="A dental check").content.decode()
    assert 'href="#id_agency_contact"' in body and not DisputeResolution.objects.exists()


def test_a_drp_raised_to_an_agency_is_addressed_to_the_contact_who_is_emailed(
        client, org, school_nurse, django_capture_on_commit_callbacks):
    login(client, org.iro)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _raise(client, agency_contact=school_nurse.pk, asked="Arrange the overdue health assessment")
    drp = DisputeResolution.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/drps/{drp.pk}/"
    assert (drp.addressee, drp.addressee_contact) == (None, school_nurse)
    [email] = [m for m in mail.outbox if m.to == ["pat.nurse@health.example"]]
    assert "Arrange the overdue health assessment" in email.body and org.child.name not in email.body
    assert "Pat Nurse" in client.get(f"/drps/{drp.pk}/").content.decode()


def test_without_an_agency_it_goes_to_social_care_as_before(client, org, school_nurse):
    login(client, org.iro)
    assert _raise(client).status_code == 302
    drp = DisputeResolution.objects.get()
    assert drp.addressee_contact is None and drp.addressee is not None
