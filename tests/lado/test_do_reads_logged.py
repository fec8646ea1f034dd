"""Every enquiry a page, list, search, export or message shows is logged as read (one insert per
response, the view named): lists, searches and pages; subject access, notifications and the audit
pages. Each test performs the attack the issue describes and shows it is now recorded."""

import csv
import io
from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lado import reminders as lado_reminders
from lado import services as lado_services
from lado.models import Enquiry
from notifications.services import notify, send_notification_email
from subject_access import services as sar_services
from tests.lado.test_lado_api import _bulk
from tests.support.auth import login
from tests.support.do_reads import DO, do_reads
from tests.support.lado_fixtures import client_for, concluded, in_progress, log
from workflows.calendar import clear_calendar_cache
from workflows.models import CaseRead

pytestmark = pytest.mark.django_db


def caseread_inserts(ctx) -> int:
    table = CaseRead._meta.db_table
    return sum(1 for q in ctx.captured_queries
               if q["sql"].lstrip().upper().startswith("INSERT") and table in q["sql"])


# --- Lists, searches and pages --------------------------------------------------------------------

def test_do_api_list_logs_every_case_returned(org):
    """``GET /api/v1/lado/enquiries/?limit=150`` returned 150 subjects' names and dates of birth and
    logged nothing. Now each case returned is a read, in one INSERT, named for the endpoint."""
    _bulk(org, 520)
    api = client_for(org.designated_officer)
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/v1/lado/enquiries/?limit=150")
    assert response.status_code == 200
    returned = [row["id"] for row in response.json()["results"]]
    assert len(returned) == 150
    assert sorted(pk for pk, _ in do_reads("api:lado-enquiry-list")) == sorted(returned)
    assert caseread_inserts(ctx) == 1
    # The largest page: 500 reads, one INSERT on PostgreSQL (SQLite splits a batch at 199 rows,
    # its 999 bound variables).
    with CaptureQueriesContext(connection) as ctx:
        assert len(api.get("/api/v1/lado/enquiries/?limit=500&offset=150").json()["results"]) == 370
    assert caseread_inserts(ctx) == (1 if connection.vendor == "postgresql" else 2)
    assert len(do_reads("api:lado-enquiry-list")) == 520


def test_work_tray_search_logs_each_case_shown(org, client):
    """Searching the tray for a name showed the matching subjects and logged nothing."""
    wanted = log(org, subject_name="Zebedee Quartermaine", subject_employer="Pemberton Academy")
    log(org, subject_name="Someone Else", subject_employer="Elsewhere", subject_date_of_birth=date(1970, 1, 1))
    login(client, org.designated_officer)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/lado/?q=Quartermaine").status_code == 200
    assert do_reads() == [(wanted.pk, "lado:tray search")]
    assert caseread_inserts(ctx) == 1
    # The words searched for are never written to the log (they may be someone's name).
    assert not CaseRead.objects.filter(view__icontains="Quartermaine").exists()
    # The plain tray logs every case on the page.
    client.get("/lado/")
    assert len(do_reads("lado:tray")) == 2


def test_closed_list_logs_reads(org, client):
    closed = concluded(org, "false", on=date(2024, 1, 8), subject_name="Closed Person")
    in_progress(org, subject_name="Open Person", subject_employer="Elsewhere")
    login(client, org.designated_officer)
    body = client.get("/lado/?closed=1").content.decode()
    assert "Closed Person" in body and "Open Person" not in body
    assert do_reads() == [(closed.pk, "lado:tray closed")]


def test_subject_history_on_a_case_page_is_logged(org, client):
    """A case page names the subject's other enquiries (reference, status, outcome): reads too."""
    earlier = concluded(org, "substantiated", on=date(2024, 1, 8))
    later = in_progress(org)  # the same subject: Robert Miles, born 17 May 1980
    login(client, org.designated_officer)
    with CaptureQueriesContext(connection) as ctx:
        assert earlier.reference in client.get(f"/lado/{later.pk}/").content.decode()
    assert do_reads() == [(later.pk, "lado:detail"), (earlier.pk, "lado:detail subject history")]
    assert caseread_inserts(ctx) == 1
    api = client_for(org.designated_officer)
    assert api.get(f"/api/v1/lado/enquiries/{later.pk}/").json()["earlier_enquiries"][0]["id"] == earlier.pk
    assert do_reads()[-2:] == [(later.pk, "api:lado-enquiry-detail"),
                               (earlier.pk, "api:lado-enquiry-detail subject history")]


def test_retention_review_and_legal_hold_lists_log_reads(org, client):
    due = concluded(org, "false", on=date(2024, 1, 8), subject_name="Due Person")
    held = lado_services.enquiry_set_legal_hold(
        enquiry=in_progress(org, subject_name="Held Person", subject_employer="Elsewhere"),
        actor=org.do_manager, reason="Tribunal for Held Person")
    login(client, org.do_manager)
    assert client.get("/lado/retention/").status_code == 200
    assert do_reads() == [(due.pk, "lado:retention-review"), (held.pk, "lado:retention-review legal hold")]
    client_for(org.do_manager).get("/api/v1/lado/retention-review/")
    assert do_reads("api:lado-retention-review") == [(due.pk, "api:lado-retention-review")]


def test_reads_by_user_api_shows_list_reads(org, client):
    """The DO Manager's access log (page and API) shows each case a list returned, by case id."""
    first, second = in_progress(org), in_progress(org, subject_name="Other Person", subject_employer="Elsewhere")
    login(client, org.designated_officer)
    client.get("/lado/")
    client_for(org.designated_officer).get("/api/v1/lado/enquiries/")
    reads = client_for(org.do_manager).get("/api/v1/lado/access-log/?user=designated-officer").json()
    listed = {(r["case_id"], r["reference"], r["view"]) for r in reads}
    for enquiry in (first, second):
        assert (enquiry.pk, enquiry.reference, "lado:tray") in listed
        assert (enquiry.pk, enquiry.reference, "api:lado-enquiry-list") in listed
    login(client, org.do_manager)
    page = client.get("/lado/access-log/?user=designated-officer").content.decode()
    assert "lado:tray" in page and "api:lado-enquiry-list" in page and first.reference in page
    # Showing the DO Manager those references is itself logged, as a read by the DO Manager.
    assert {pk for pk, _ in do_reads("lado:reads-by-user", org.do_manager)} == {first.pk, second.pk}


def _more_cases(org, n, prefix):
    """``n`` more open cases, referenced ``prefix-i`` (test_lado_api's ``_bulk`` makes one batch)."""
    model = Enquiry.objects.filter(reference__startswith="BULK-").first()
    Enquiry.objects.bulk_create([Enquiry(**{
        **{f.attname: getattr(model, f.attname) for f in Enquiry._meta.concrete_fields if not f.primary_key},
        "reference": f"{prefix}-{i}"}) for i in range(n)])


def test_tray_and_api_list_still_cost_the_same_queries_with_one_insert(org, client):
    _bulk(org, 10)
    login(client, org.designated_officer)
    api = client_for(org.designated_officer)

    def cost(n, prefix):
        _more_cases(org, n, prefix)
        # The tray counts working days (the calendar's closure days, cached per process): read
        # afresh for each measurement, so both count it once.
        clear_calendar_cache()
        with CaptureQueriesContext(connection) as page:
            assert client.get("/lado/").status_code == 200
        with CaptureQueriesContext(connection) as listed:
            assert api.get("/api/v1/lado/enquiries/").status_code == 200
        assert caseread_inserts(page) == 1 and caseread_inserts(listed) == 1
        return len(page), len(listed)

    assert cost(50, "MORE") == cost(300, "MANY")


# --- Subject access, notifications, the audit pages -----------------------------------------------

@pytest.fixture
def do_sar(org):
    first = in_progress(org, summary="Grabbed a pupil's arm")
    second = in_progress(org, summary="Shouted at a pupil")  # the same subject
    sar = sar_services.request_start(actor=org.do_manager, requester_name="Robert Miles",
                                     received_on=date(2024, 3, 1), enquiry=first)
    return sar, first, second


def test_subject_access_preview_logs_do_cases(org, client, do_sar):
    """The preview, the redaction and decision pages, the list, the search for a subject and the
    download all show DO case data: each logs every case it shows, in one insert."""
    sar, first, second = do_sar
    both = {first.pk, second.pk}
    login(client, org.do_manager)
    for view, url in (("subject_access:detail", f"/subject-access/{sar.pk}/"),
                      ("subject_access:redactions", f"/subject-access/{sar.pk}/redactions/"),
                      ("subject_access:decision", f"/subject-access/{sar.pk}/decision/")):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        assert {pk for pk, _ in do_reads(view)} == both, view
        assert caseread_inserts(ctx) == 1, view
    client.get("/subject-access/")
    assert do_reads("subject_access:list") == [(first.pk, "subject_access:list")]
    client.post("/subject-access/start/", {"kind": "do-subject", "requester_name": "Someone", "received_on_0": "1",
                                           "received_on_1": "3", "received_on_2": "2024", "subject": "Robert"})
    assert do_reads("subject_access:start")  # the subjects offered, each with its case
    client.post(f"/subject-access/{sar.pk}/decision/", {"decision": "release-in-full", "reason": "Asked for all"})
    with CaptureQueriesContext(connection) as ctx:
        assert client.post(f"/subject-access/{sar.pk}/download/").status_code == 200
    assert {pk for pk, _ in do_reads("subject_access:download")} == both
    assert caseread_inserts(ctx) == 1


def test_notifications_naming_do_cases_log_reads(org, client, django_capture_on_commit_callbacks):
    """A reminder names a DO case (its reference and deadline): showing it in the list, the API
    or an email is a read of that case."""
    org.designated_officer.email = "do@example.org"
    org.designated_officer.save()
    enquiry = log(org)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lado_reminders.remind_decision([enquiry], "due-today")
    assert do_reads("notifications:email", org.designated_officer) == [(enquiry.pk, "notifications:email")]
    assert mail.outbox and enquiry.reference in mail.outbox[0].subject
    login(client, org.designated_officer)
    assert enquiry.reference in client.get("/notifications/").content.decode()
    assert do_reads("notifications:list", org.designated_officer) == [(enquiry.pk, "notifications:list")]
    client_for(org.designated_officer).get("/api/v1/notifications/")
    assert do_reads("api:notification-list", org.designated_officer) == [(enquiry.pk, "api:notification-list")]
    # Notifications about anything else log nothing.
    notify(recipients=[org.iro], kind="drp-reminder", link="/drps/1/",
           context={"drp": {"reference": "DRP-00001", "stage": {"name": "Stage 1"}}, "headline": "due today",
                    "detail": "The response is due today."})
    login(client, org.iro)
    client.get("/notifications/")
    assert not CaseRead.objects.filter(user=org.iro).exists()


def test_email_of_a_notification_logs_the_read_once(org):
    org.do_manager.email = "dom@example.org"
    org.do_manager.save()
    enquiry = log(org)
    [notification] = notify(recipients=[org.do_manager], kind="lado-reminder",
                            context={"enquiry": enquiry, "headline": "decision due", "detail": "The decision is due."},
                            link=f"/lado/{enquiry.pk}/")
    assert send_notification_email(notification.pk)
    assert not send_notification_email(notification.pk)  # a retried task sends nothing, logs nothing
    assert do_reads("notifications:email", org.do_manager) == [(enquiry.pk, "notifications:email")]


def test_audit_page_and_export_log_the_do_cases_they_name(org, client):
    """The DO Manager's access log names DO cases with the reasons of their changes (an outcome,
    why a case was cancelled): the page and the export log each case named."""
    first = in_progress(org)
    second = lado_services.enquiry_cancel(enquiry=log(org), actor=org.designated_officer, reason="Withdrawn")
    login(client, org.do_manager)
    assert "Cancelled: Withdrawn" in client.get("/audit/").content.decode()
    assert {pk for pk, _ in do_reads("audit:access-log", org.do_manager)} == {first.pk, second.pk}
    response = client.get("/audit/?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert any(second.reference in row for row in rows)
    assert {pk for pk, _ in do_reads("audit:access-log csv", org.do_manager)} == {first.pk, second.pk}
    # The IRO Manager's log names no DO case, and logs no read of one.
    login(client, org.iro_manager)
    client.get("/audit/")
    assert not CaseRead.objects.filter(user=org.iro_manager, case_kind=DO).exists()
