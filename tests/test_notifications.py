"""Who is told about each event, in the app and by email, and only once."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from drp import services
from drp.models import Stage, Theme
from notifications import services as notification_services
from notifications.models import EmailFrequency, Notification
from tests.factories import resolution

pytestmark = pytest.mark.django_db


def told(kind):
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def raise_drp(org, stage="informal"):
    return services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                              themes=[Theme.objects.get(slug="placement")], concern="x",
                              stage=Stage.objects.get(key=stage))


def test_raising_tells_the_addressee_and_their_manager(org):
    raise_drp(org)
    assert told("drp-raised") == {"social-worker", "team-manager"}


def test_escalating_tells_the_new_addressee_and_their_manager(org):
    drp = raise_drp(org)
    services.drp_escalate(drp=drp, actor=org.iro, reason="No reply", stage=Stage.objects.get(key="stage-3"))
    assert told("drp-escalated") == {"head-of-service", "assistant-director"}
    body = Notification.objects.filter(kind="drp-escalated").first().body
    # What happened and where to read it; the reason itself stays on the DRP's page.
    assert f"has escalated {drp.reference} to Stage 3" in body and "Read the reason in Footprint" in body
    assert "No reply" not in body


def test_a_response_tells_the_iro(org):
    drp = raise_drp(org, stage="stage-1")
    services.drp_respond(drp=drp, actor=org.team_manager, response="Booked")
    assert told("drp-responded") == {"iro"}


def test_resolving_tells_everyone_it_was_addressed_to(org):
    drp = raise_drp(org)
    drp = services.drp_escalate(drp=drp, actor=org.iro, reason="x")
    services.drp_resolve(drp=drp, actor=org.iro, **resolution("Sorted"))
    assert told("drp-resolved") == {"social-worker", "team-manager"}


def test_emails_leave_only_after_commit_and_once(org, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        raise_drp(org)
    assert sorted(m.to[0] for m in mail.outbox) == ["social-worker@example.org", "team-manager@example.org"]
    notification = Notification.objects.get(recipient=org.social_worker)
    assert notification.emailed_at is not None
    # A retried task finds it emailed and sends nothing.
    assert notification_services.send_notification_email(notification.pk) is False
    assert len(mail.outbox) == 2


def test_a_rolled_back_change_tells_no_one(org, django_capture_on_commit_callbacks):
    from django.db import transaction
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            raise_drp(org)
            transaction.set_rollback(True)
    assert not Notification.objects.exists()
    assert callbacks == [] and mail.outbox == []


def test_daily_digest_people_get_one_email_a_day(org, django_capture_on_commit_callbacks):
    notification_services.set_email_frequency(user=org.social_worker, frequency=EmailFrequency.DAILY)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        raise_drp(org)
        raise_drp(org)
    assert [m.to[0] for m in mail.outbox] == ["team-manager@example.org"] * 2
    mail.outbox.clear()
    assert notification_services.send_daily_digests() == 1
    assert notification_services.send_daily_digests() == 0
    assert len(mail.outbox) == 1 and "2 updates" in mail.outbox[0].subject


def test_notifications_page_lists_and_marks_read(client, org):
    raise_drp(org)
    client.force_login(org.social_worker)
    page = client.get("/notifications/").content.decode()
    assert "raised at Informal" in page
    header = client.get("/drps/awaiting-my-response/").content.decode()
    assert "app-unread-count" in header
    notification = Notification.objects.get(recipient=org.social_worker)
    response = client.post(f"/notifications/{notification.pk}/read/", {"next": "case"})
    assert response.status_code == 302 and response["Location"] == notification.link
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "app-unread-count" not in client.get("/notifications/").content.decode()


def test_nobody_can_read_anyone_elses_notification(client, org):
    raise_drp(org)
    theirs = Notification.objects.get(recipient=org.social_worker)
    client.force_login(org.team_manager)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404


def test_notifications_api_lists_mine_and_marks_read(org):
    raise_drp(org)
    api = APIClient()
    api.force_authenticate(org.team_manager)
    items = api.get("/api/notifications/").json()["results"]
    assert len(items) == 1 and items[0]["read"] is False and items[0]["kind"] == "drp-raised"
    body = api.post(f"/api/notifications/{items[0]['id']}/read/").json()
    assert body["read"] is True
    theirs = Notification.objects.get(recipient=org.social_worker)
    assert api.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404


def test_email_preference_page(client, org):
    client.force_login(org.iro)
    assert client.get("/notifications/preferences/").status_code == 200
    client.post("/notifications/preferences/", {"email": "daily"})
    assert org.iro.notification_preference.email == "daily"


# --- The broker down when an email is queued -------------------------------------------------


def test_a_broker_that_is_down_loses_no_email_and_breaks_no_change(org, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    """The change commits and the notification is kept; the email goes once the broker is back,
    when beat's queue_pending_emails runs, and only once however often it runs."""
    from datetime import timedelta

    from kombu.exceptions import OperationalError

    from notifications import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_notification_email, "delay", broker_down)
    monkeypatch.setattr(tasks.send_notification_emails, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        drp = raise_drp(org)
    assert drp.pk and not mail.outbox
    pending = Notification.objects.filter(emailed_at__isnull=True)
    assert pending.count() == 2  # the social worker and their team manager
    monkeypatch.undo()
    # Too soon: the task may still be on its way.
    assert notification_services.queue_pending_emails() == 0
    pending.update(created_at=pending.first().created_at - timedelta(minutes=11))
    assert notification_services.queue_pending_emails() == 2
    assert notification_services.queue_pending_emails() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([org.social_worker.email,
                                                          org.team_manager.email])


def test_pending_emails_leave_the_daily_digest_alone(org):
    from datetime import timedelta

    notification_services.set_email_frequency(user=org.iro, frequency=EmailFrequency.DAILY)
    Notification.objects.create(recipient=org.iro, kind="test", subject="For the digest")
    Notification.objects.update(created_at=Notification.objects.first().created_at - timedelta(hours=1))
    assert notification_services.queue_pending_emails() == 0
    assert not mail.outbox
