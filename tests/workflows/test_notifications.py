"""Who is told about each event, in the app and by email, and only once."""

import os

import pytest
from django.core import mail
from rest_framework.test import APIClient

from drp import services
from drp.models import Stage, Theme
from notifications import services as notification_services
from notifications.models import EmailFrequency, Notification
from tests.support.factories import resolution

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
    items = api.get("/api/v1/notifications/").json()["results"]
    assert len(items) == 1 and items[0]["read"] is False and items[0]["kind"] == "drp-raised"
    body = api.post(f"/api/v1/notifications/{items[0]['id']}/read/").json()
    assert body["read"] is True
    theirs = Notification.objects.get(recipient=org.social_worker)
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404


def test_email_preference_page(client, org):
    client.force_login(org.iro)
    assert client.get("/notifications/preferences/").status_code == 200
    client.post("/notifications/preferences/", {"email": "daily"})
    assert org.iro.notification_preference.email == "daily"


# --- The broker down when an email is queued -------------------------------------------------


def test_a_broker_that_is_down_loses_no_email_and_breaks_no_change(org, broker_unplugged,
                                                                   django_capture_on_commit_callbacks):
    """The change commits and the notification is kept; queuing fails fast (one refused
    connection, no retries) and the next change does not even try; the email goes once the
    broker is back, when beat's queue_pending_emails runs, and only once however often it runs."""
    import time
    from datetime import timedelta

    from workflows import broker

    def queuing_time(stage):
        with django_capture_on_commit_callbacks() as callbacks:
            raise_drp(org, stage=stage)
        started = time.perf_counter()
        for callback in callbacks:
            callback()
        return time.perf_counter() - started

    queuing_time("informal")  # the first call also loads the broker client
    broker.reset()
    refused = queuing_time("stage-1")  # one refused connection, no retries (was 0.6 s)
    paused = queuing_time("stage-2")   # within the pause: the broker is not asked
    assert not mail.outbox
    assert refused < 0.15, f"queuing against a refused broker took {refused:.2f} s"
    assert paused < 0.01, f"queuing while paused took {paused:.3f} s"
    pending = Notification.objects.filter(emailed_at__isnull=True)
    assert pending.count() == 6  # social worker, team, service and head-of-service managers
    broker_unplugged.conf.task_always_eager = True  # the broker is back (here: tasks run in-process)
    # Too soon: the task may still be on its way.
    assert notification_services.queue_pending_emails() == 0
    pending.update(created_at=pending.first().created_at - timedelta(minutes=3))
    assert notification_services.queue_pending_emails() == 6
    assert notification_services.queue_pending_emails() == 0
    emailed = [(m.to[0], m.subject) for m in mail.outbox]
    assert len(emailed) == 6 and sorted(emailed) == sorted(set(emailed))
    assert not pending.exists()


def test_the_catch_up_job_sends_what_the_broker_still_refuses(org, broker_unplugged,
                                                              django_capture_on_commit_callbacks):
    """queue_pending_emails runs in a worker: when the broker refuses it even after retrying,
    the worker sends the emails itself, once."""
    from datetime import timedelta

    with django_capture_on_commit_callbacks(execute=True):
        raise_drp(org)
    pending = Notification.objects.filter(emailed_at__isnull=True)
    pending.update(created_at=pending.first().created_at - timedelta(minutes=3))
    assert notification_services.queue_pending_emails() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([org.social_worker.email, org.team_manager.email])
    assert notification_services.queue_pending_emails() == 0
    assert len(mail.outbox) == 2


def test_an_email_claimed_by_a_sender_is_not_sent_by_another_until_the_claim_runs_out(org):
    """A sender's claim (committed before it talks to the mail server) keeps every other sender
    off the notification until it runs out; then the email goes, once."""
    from datetime import timedelta

    from django.utils import timezone

    notification = Notification.objects.create(recipient=org.iro, kind="test", subject="Claimed")
    claimed_until = timezone.now() + timedelta(minutes=5)
    Notification.objects.filter(pk=notification.pk).update(email_claimed_until=claimed_until)
    delivery = notification_services.send_notification_emails([notification.pk])
    assert (delivery.sent, delivery.held, delivery.held_until) == (0, [notification.pk], claimed_until)
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=3))
    assert notification_services.queue_pending_emails() == 0  # being sent: not queued again
    assert not mail.outbox
    # The sender died: its claim runs out, and the next sender sends it.
    Notification.objects.filter(pk=notification.pk).update(email_claimed_until=timezone.now())
    assert notification_services.send_notification_email(notification.pk) is True
    assert [m.subject for m in mail.outbox] == ["Claimed"]
    assert mail.outbox[0].extra_headers["Message-ID"] == notification_services.message_id(
        "notification", notification.pk)
    assert notification_services.send_notification_email(notification.pk) is False


def test_a_mail_server_refusal_gives_the_claim_back(org, settings):
    """A send that fails leaves the notification unclaimed, so the task's retry sends it at once."""
    from tests.support.email_backends import FlakyBackend

    settings.EMAIL_BACKEND = "tests.support.email_backends.FlakyBackend"
    FlakyBackend.failures_left, FlakyBackend.attempts = 1, 0
    notification = Notification.objects.create(recipient=org.iro, kind="test", subject="Retry me")
    with pytest.raises(ConnectionError):
        notification_services.send_notification_email(notification.pk)
    notification.refresh_from_db()
    assert notification.email_claimed_until is None and notification.emailed_at is None
    assert notification_services.send_notification_email(notification.pk) is True
    assert FlakyBackend.attempts == 2 and len(mail.outbox) == 1


@pytest.fixture
def publishes():
    """Every task Celery is about to send to the broker (its before_task_publish signal, sent
    before it connects: a refused broker still counts)."""
    from celery.signals import before_task_publish

    sent = []

    def seen(sender=None, **kwargs):
        sent.append(sender)

    before_task_publish.connect(seen, weak=False)
    yield sent
    before_task_publish.disconnect(seen)


def test_history_only_notifications_queue_no_email(org, broker_unplugged, publishes,
                                                    django_capture_on_commit_callbacks):
    """Notifications made while loading history are in the app, marked emailed: nothing is
    queued after commit and no digest or catch-up job picks them up. Without it, the same
    change queues its emails (so the check can fail)."""
    with django_capture_on_commit_callbacks(execute=True), notification_services.history_only():
        raise_drp(org)
    assert Notification.objects.count() == 2
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert publishes == []
    with django_capture_on_commit_callbacks(execute=True):
        raise_drp(org)
    assert publishes == ["notifications.tasks.send_notification_emails"]


def test_loading_the_demo_with_a_broker_queues_no_email(broker_unplugged, publishes, settings):
    """manage.py load_demo with CELERY_BROKER_URL set (here, a broker that refuses): eighteen
    months of notifications, none queued, none waiting to be emailed."""
    from django.core.management import call_command

    settings.FOOTPRINT_DEMO = True
    call_command("load_demo", stdout=open(os.devnull, "w"))
    assert Notification.objects.count() > 100
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert publishes == []


def test_pending_emails_leave_the_daily_digest_alone(org):
    from datetime import timedelta

    notification_services.set_email_frequency(user=org.iro, frequency=EmailFrequency.DAILY)
    Notification.objects.create(recipient=org.iro, kind="test", subject="For the digest")
    Notification.objects.update(created_at=Notification.objects.first().created_at - timedelta(hours=1))
    assert notification_services.queue_pending_emails() == 0
    assert not mail.outbox


def test_notifications_filter_by_unread_type_and_case_group_and_mark_all_shown_read(client, org):
    """150 unread are workable: one kind or one case at a time, grouped, all marked read at once."""
    first = raise_drp(org)
    second = raise_drp(org)
    services.drp_escalate(drp=first, actor=org.iro, reason="No visits")
    client.force_login(org.team_manager)
    mine = Notification.objects.filter(recipient=org.team_manager)
    assert mine.count() == 3
    page = client.get("/notifications/?kind=drp-escalated").content.decode()
    assert page.count("<h3") == 1 and '<option value="drp-escalated" selected>DRP escalated</option>' in page
    link = first.pk and mine.filter(kind="drp-escalated").get().link
    page = client.get(f"/notifications/?case={link}&group=case").content.decode()
    assert page.count("<h3") == 2 and "Showing one case only" in page
    response = client.post("/notifications/read-all/", {"case": link})
    assert response.status_code == 302 and "case=" in response["Location"]
    assert set(mine.filter(read_at__isnull=True).values_list("link", flat=True)) == {f"/drps/{second.pk}/"}
    page = client.get("/notifications/?unread=1").content.decode()
    assert page.count("<h3") == 1 and "1 unread." in page
    client.post("/notifications/read-all/")
    assert not mine.filter(read_at__isnull=True).exists()
