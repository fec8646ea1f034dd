"""The DO team's reads seen from outside: the IRO Manager's access log leaves out what the DO team
did, destroying an enquiry takes the names out of subject access requests, and the DO Manager is
told when someone other than an enquiry's officer opens it."""

import io
from datetime import date

import pytest

from lado import services as lado_services
from lado.alerts import KIND as ALERT
from lado.models import Enquiry
from notifications.models import Notification
from people import roles
from subject_access import services as sar_services
from subject_access.models import DisclosureDecision, Download, SubjectAccessRequest
from tests.lado.test_lado_retention import _all_text_in_database
from tests.support.auth import login
from tests.support.do_reads import do_reads
from tests.support.factories import UserFactory
from tests.support.lado_fixtures import client_for, concluded, in_progress, log
from workflows.audit import record_read
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db


# --- The DO team's reads seen from outside ------------------------------------------------------------

def test_do_team_reads_hidden_from_iro_manager_access_log(org, client):
    """A Designated Officer opening a child's record showed in the IRO Manager's access log (page,
    export, person filter): now only the DO Manager sees it."""
    login(client, org.designated_officer)
    assert client.get(f"/children/{org.child.pk}/").status_code == 200
    record_read(org.iro, org.child, "children:detail")
    officer = org.designated_officer

    login(client, org.iro_manager)
    page = client.get("/audit/?event=read")
    body = page.content.decode()
    assert page.status_code == 200 and "iro" in body
    assert officer.username not in body
    assert [entry.person for entry in page.context["rows"]] == [org.iro]
    assert officer not in page.context["form"].fields["person"].queryset
    assert org.do_manager not in page.context["form"].fields["person"].queryset
    refused = client.get(f"/audit/?person={officer.username}")
    assert refused.status_code == 400 and officer.username not in refused.content.decode().split("</form>")[-1]
    csv_body = b"".join(client.get("/audit/?format=csv").streaming_content).decode()
    assert officer.username not in csv_body and "iro" in csv_body
    xlsx = client.get("/audit/?format=xlsx").content
    from openpyxl import load_workbook
    values = [c.value for row in load_workbook(io.BytesIO(xlsx)).active.iter_rows() for c in row]
    assert officer.username not in values

    login(client, org.do_manager)
    body = client.get(f"/audit/?person={officer.username}&kind=children.child").content.decode()
    assert org.child.reference in body and "children:detail" in body
    assert "iro</td>" not in body


def test_a_person_with_both_manager_roles_sees_everything(org, client):
    both = UserFactory(username="both-managers", roles=[roles.IRO_MANAGER, roles.DO_MANAGER])
    record_read(org.designated_officer, org.child, "children:detail")
    record_read(org.iro, org.child, "children:detail")
    login(client, both)
    rows = client.get("/audit/?event=read").context["rows"]
    assert {entry.person for entry in rows} == {org.designated_officer, org.iro}


# --- Destruction ----------------------------------------------------------------------------------

def test_destroying_do_case_clears_subject_access_records(org, client):
    """A subject access request, its redaction choices, decision and download kept the subject's,
    the requester's and third parties' names after the case was destroyed."""
    with as_of(date(2024, 1, 8)):
        enquiry = concluded(org, "false", on=date(2024, 1, 8), subject_name="Zebedee Quartermaine",
                            subject_employer="Pemberton Academy", referrer_name="Ottoline Referrer")
    other = in_progress(org, subject_name="Another Person", subject_employer="Elsewhere")
    other_sar = sar_services.request_start(actor=org.do_manager, requester_name="Another Person",
                                           received_on=date(2024, 3, 1), enquiry=other)
    sar = sar_services.request_start(actor=org.do_manager, requester_name="Quentin Solicitor",
                                     received_on=date(2024, 3, 1), enquiry=enquiry)
    login(client, org.do_manager)
    client.post(f"/subject-access/{sar.pk}/redactions/", {"redact": ["name:ottoline referrer"],
                                                         "terms": "Pemberton Academy"})
    client.post(f"/subject-access/{sar.pk}/decision/", {
        "decision": "release-with-redactions", "reason": "Ottoline Referrer asked not to be named"})
    assert client.post(f"/subject-access/{sar.pk}/download/").status_code == 200
    download = Download.objects.get(request=sar)
    text = _all_text_in_database()
    secrets = ["Zebedee Quartermaine", "Quentin Solicitor", "Ottoline Referrer", "ottoline referrer",
               "Pemberton Academy"]
    assert all(secret in text for secret in secrets)  # the probe finds them before destruction

    lado_services.enquiry_destroy(enquiry=enquiry, actor=org.do_manager, reason="Retention period ended")

    text = _all_text_in_database()
    assert not [secret for secret in secrets if secret in text]
    sar.refresh_from_db()
    assert sar.anonymised_at and sar.anonymised_because == f"{enquiry.reference} was destroyed"
    assert (sar.reference, sar.received_on, sar.started_by, sar.enquiry) == (sar.reference, date(2024, 3, 1),
                                                                             org.do_manager, None)
    decision = DisclosureDecision.objects.get(request=sar)
    assert (decision.decision, decision.decided_by, decision.reason, decision.redactions) == (
        "release-with-redactions", org.do_manager, "", {})
    assert Download.objects.get(request=sar).sha256 == download.sha256
    # The request is closed: nothing to show, redact, decide or download (409).
    assert "Closed on" in client.get(f"/subject-access/{sar.pk}/").content.decode()
    for url in (f"/subject-access/{sar.pk}/redactions/", f"/subject-access/{sar.pk}/decision/"):
        assert client.get(url).status_code == 409
        assert client.post(url, {"decision": "withhold", "reason": "x"}).status_code == 409
    assert client.post(f"/subject-access/{sar.pk}/download/").status_code == 409
    assert Download.objects.filter(request=sar).count() == 1
    # A request about someone else is untouched.
    other_sar.refresh_from_db()
    assert other_sar.subject_name == "Another Person" and other_sar.anonymised_at is None


def test_destroying_one_of_a_subjects_cases_closes_requests_that_covered_it(org):
    """A request found by the subject's surviving case also showed the destroyed one: it loses
    the names the destroyed case gave it, and is closed."""
    old = concluded(org, "false", on=date(2024, 1, 8), referrer_name="Ottoline Referrer")
    newer = in_progress(org)  # the same subject
    sar = sar_services.request_start(actor=org.do_manager, requester_name="Robert Miles",
                                     received_on=date(2024, 3, 1), enquiry=newer)
    sar_services.request_set_redactions(actor=org.do_manager, sar=sar, keys=["name:ottoline referrer"], terms="")
    lado_services.enquiry_destroy(enquiry=old, actor=org.do_manager, reason="Retention period ended")
    sar.refresh_from_db()
    assert sar.anonymised_at and sar.redacted_keys == [] and sar.enquiry == newer
    assert not SubjectAccessRequest.history.filter(id=sar.pk, redacted_keys__icontains="ottoline").exists()


# --- Case-opened alert ----------------------------------------------------------------------------

def test_do_manager_alerted_when_another_officer_opens_case(org, client, settings):
    colleague = UserFactory(username="second-officer", first_name="Sam", last_name="Colleague",
                            roles=[roles.DESIGNATED_OFFICER])
    enquiry = in_progress(org, subject_name="Zebedee Quartermaine")  # officer: designated-officer
    # Its own officer and the DO Manager open it: no alert.
    login(client, org.designated_officer)
    client.get(f"/lado/{enquiry.pk}/")
    login(client, org.do_manager)
    client.get(f"/lado/{enquiry.pk}/")
    assert not Notification.objects.filter(kind=ALERT).exists()

    login(client, colleague)
    assert client.get(f"/lado/{enquiry.pk}/").status_code == 200
    [alert] = Notification.objects.filter(kind=ALERT)
    assert alert.recipient == org.do_manager and alert.link == f"/lado/{enquiry.pk}/"
    assert enquiry.reference in alert.subject and "Sam Colleague (second-officer)" in alert.subject
    assert "Zebedee" not in alert.subject + alert.body and "Quartermaine" not in alert.subject + alert.body
    # The same person again the same day, through a page or the API: no second alert.
    client.get(f"/lado/{enquiry.pk}/edit/")
    client_for(colleague).get(f"/api/v1/lado/enquiries/{enquiry.pk}/")
    assert Notification.objects.filter(kind=ALERT).count() == 1
    # The DO Manager's alerts page lists it (and logs that it named the case).
    login(client, org.do_manager)
    body = client.get("/lado/alerts/").content.decode()
    assert enquiry.reference in body and "second-officer" in body and "Quartermaine" not in body
    assert do_reads("lado:alerts", org.do_manager) == [(enquiry.pk, "lado:alerts")]
    # A Designated Officer may not see it.
    login(client, org.designated_officer)
    assert client.get("/lado/alerts/").status_code == 403

    # Turned off: no alert for another case.
    settings.FOOTPRINT_DO_CASE_OPENED_ALERTS = False
    other = in_progress(org, subject_name="Another Person", subject_employer="Elsewhere")
    login(client, colleague)
    client.get(f"/lado/{other.pk}/")
    assert Notification.objects.filter(kind=ALERT).count() == 1


def test_an_alert_is_sent_once_a_day_per_reader_and_case(org):
    from lado.alerts import enquiry_opened

    colleague = UserFactory(username="second-officer", roles=[roles.DESIGNATED_OFFICER])
    enquiry = log(org)
    with as_of(date(2025, 3, 3)):
        assert enquiry_opened(colleague, enquiry, "lado:detail")
        assert not enquiry_opened(colleague, enquiry, "lado:detail")
    with as_of(date(2025, 3, 4)):
        assert enquiry_opened(colleague, enquiry, "api:lado-enquiry-detail")
    assert Enquiry.objects.filter(pk=enquiry.pk).exists()
    assert Notification.objects.filter(kind=ALERT).count() == 2
