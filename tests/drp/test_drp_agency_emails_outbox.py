"""A partner agency's contact is emailed through the same outbox as every user (issue 15,
"faults stop nothing and lose nothing"): a notification with their address and no recipient,
claimed before the mail server is asked, retried by the catch-up job when the mail server or
the broker failed, never shown in anyone's inbox, and sent in the sweep's own statements."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from drp import services
from drp.models import AgencyContact, PartnerAgency, Stage, Theme
from notifications import selectors as inbox
from notifications import services as notifications
from notifications.models import Notification
from tests.support.email_backends import CountingBackend
from workflows.clocks import as_of
from workflows.reminders import run_sweep

pytestmark = pytest.mark.django_db

ESCALATED = date(2026, 11, 3)
NURSE = "pat.nurse@health.example"


@pytest.fixture
def school_nurse(db):
    return AgencyContact.objects.create(agency=PartnerAgency.objects.get(slug="health"), name="Pat Nurse",
                                        job_title="School nurse", email=NURSE)


@pytest.fixture
def refusing_mail_server(settings):
    settings.EMAIL_BACKEND = "tests.support.email_backends.CountingBackend"
    CountingBackend.reset(refuse_after=0)
    mail.outbox = []
    yield CountingBackend
    CountingBackend.reset()


def escalate_to_the_nurse(org, nurse, capture, escalated=ESCALATED):
    with as_of(escalated - timedelta(days=1)):
        drp = services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                 themes=[Theme.objects.get(slug="placement")], concern="Plan drifting",
                                 stage=Stage.objects.get(key="stage-1"))
    with as_of(escalated), capture(execute=True):
        services.drp_escalate(drp=drp, actor=org.iro, reason="Health input needed",
                              stage=Stage.objects.get(key="stage-2"), agency_contact=nurse,
                              asked="Arrange the overdue health assessment")
    drp.refresh_from_db()
    return drp


def test_the_contacts_email_is_a_notification_to_their_address_seen_in_nobodys_inbox(
        org, school_nurse, django_capture_on_commit_callbacks):
    drp = escalate_to_the_nurse(org, school_nurse, django_capture_on_commit_callbacks)
    to_nurse = Notification.objects.get(address=NURSE)
    assert to_nurse.recipient is None and to_nurse.kind == "drp-agency-stage" and to_nurse.link == ""
    assert to_nurse.emailed_at is not None  # the mail server took it, and that is recorded
    [email] = [m for m in mail.outbox if m.to == [NURSE]]
    assert email.subject == to_nurse.subject == f"{drp.reference}: response requested by {drp.stage_due_date:%-d %B %Y}"
    assert email.extra_headers["Message-ID"] == notifications.message_id("notification", to_nurse.pk)
    for person in (org.iro, org.team_manager, org.iro_manager):
        assert to_nurse not in inbox.notifications_for(person)


def test_a_mail_server_refusing_the_contacts_email_leaves_it_for_the_catch_up_job(
        org, school_nurse, django_capture_on_commit_callbacks, refusing_mail_server, settings):
    """It used to be sent once after commit with no retry: a refusal lost it."""
    drp = escalate_to_the_nurse(org, school_nurse, django_capture_on_commit_callbacks)
    to_nurse = Notification.objects.get(address=NURSE)
    assert to_nurse.emailed_at is None and not mail.outbox
    refusing_mail_server.reset()  # the mail server is back
    Notification.objects.filter(pk=to_nurse.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS + 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.queue_pending_emails() >= 1
    to_nurse.refresh_from_db()
    assert to_nurse.emailed_at is not None
    assert [m.subject for m in mail.outbox if m.to == [NURSE]] == [to_nurse.subject]
    assert drp.reference in to_nurse.subject
    # Sent is sent: the catch-up job does not send it again.
    mail.outbox.clear()
    notifications.queue_pending_emails()
    assert not [m for m in mail.outbox if m.to == [NURSE]]


def test_stage_reminders_to_contacts_cost_the_sweep_no_statement_per_reminder(
        org, school_nurse, django_capture_on_commit_callbacks):
    def sweep(on):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            reminders = run_sweep(on, kinds=["drp-stage"])
        assert all("contact:health" in r.recipients for r in reminders)
        return len(reminders), len(queries.captured_queries)

    one = escalate_to_the_nurse(org, school_nurse, django_capture_on_commit_callbacks)
    first = sweep(one.stage_due_date)
    with as_of(one.stage_due_date):  # answered: its clock stops, so the next sweep has only the three
        services.drp_respond(drp=one, actor=org.iro, response="Assessment booked")
    three = [escalate_to_the_nurse(org, school_nurse, django_capture_on_commit_callbacks, date(2026, 11, 24))
             for _ in range(3)]
    second = sweep(three[0].stage_due_date)
    assert (first[0], second[0]) == (1, 3)
    assert first[1] == second[1]  # the same statements for one reminder or three, emails included
    assert Notification.objects.filter(address=NURSE, kind="drp-agency-stage",
                                       subject__contains="response due today").count() == 4


def test_a_notification_is_to_a_user_or_to_an_address_never_both_or_neither(org):
    for fields in ({}, {"recipient": org.iro, "address": NURSE}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Notification.objects.create(kind="test", subject="x", **fields)
