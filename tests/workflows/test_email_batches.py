"""Emails go in batches (issue 15): a batch of notifications is claimed in one statement,
sent over one connection to the mail server and recorded in one statement, so that a sweep's
thousands of reminders cost a few statements per hundred emails, not five per email; and the
delivery guarantee holds for a batch (a retry never sends twice what the mail server took)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import services
from notifications.models import Notification
from tests.support.email_backends import CountingBackend
from tests.support.factories import UserFactory
from tests.support.lado_fixtures import log
from workflows.models import CaseRead

pytestmark = pytest.mark.django_db


@pytest.fixture
def counting(settings):
    settings.EMAIL_BACKEND = "tests.support.email_backends.CountingBackend"
    CountingBackend.reset()
    mail.outbox = []
    return CountingBackend


def notifications_for(people, subject="Reminder"):
    return [Notification.objects.create(recipient=person, kind="test", subject=f"{subject} {i}", link=f"/drps/{i}/")
            for i, person in enumerate(people)]


def statements(ids):
    with CaptureQueriesContext(connection) as ctx:
        delivery = services.send_notification_emails(ids)
    return delivery, [q["sql"] for q in ctx.captured_queries]


def test_a_batch_costs_the_same_statements_and_one_connection_whatever_its_size(counting):
    small = notifications_for(UserFactory.create_batch(3))
    large = notifications_for(UserFactory.create_batch(60))
    sent_small, small_sql = statements([n.pk for n in small])
    sent_large, large_sql = statements([n.pk for n in large])
    assert (sent_small.sent, sent_large.sent) == (3, 60)
    assert len(small_sql) == len(large_sql) <= 6, large_sql
    # One claim (UPDATE ... RETURNING) and one record of emailed_at for the whole batch.
    assert sum("RETURNING" in sql and sql.lstrip().startswith("UPDATE") for sql in large_sql) == 1
    assert sum(sql.lstrip().startswith("UPDATE") and "emailed_at" in sql.split("WHERE")[0]
               for sql in large_sql) == 1
    assert counting.opened == 2  # one connection per batch
    assert len(mail.outbox) == 63
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == {
        services.message_id("notification", n.pk) for n in small + large}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    # The task's retry finds them all emailed: nothing is sent, not even a connection opened.
    assert services.send_notification_emails([n.pk for n in large]).sent == 0
    assert counting.opened == 2 and len(mail.outbox) == 63


def test_a_refusal_part_way_records_what_went_and_the_retry_sends_only_the_rest(counting):
    batch = notifications_for(UserFactory.create_batch(5))
    ids = [n.pk for n in batch]
    counting.reset(refuse_after=2)
    with pytest.raises(ConnectionError):
        services.send_notification_emails(ids)
    emailed = set(Notification.objects.filter(emailed_at__isnull=False).values_list("pk", flat=True))
    assert emailed == set(ids[:2])
    # The rest were given back at once: the retry need not wait for the claim to run out.
    assert not Notification.objects.filter(pk__in=ids[2:], email_claimed_until__isnull=False).exists()
    counting.reset()
    delivery = services.send_notification_emails(ids)
    assert (delivery.sent, delivery.held) == (3, [])
    sends = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert sorted(sends) == sorted(services.message_id("notification", pk) for pk in ids)  # each once


def test_a_batch_sends_what_is_free_and_leaves_what_another_sender_holds(counting):
    free, held, done = notifications_for(UserFactory.create_batch(3))
    until = timezone.now() + timedelta(minutes=5)
    Notification.objects.filter(pk=held.pk).update(email_claimed_until=until)
    Notification.objects.filter(pk=done.pk).update(emailed_at=timezone.now())
    delivery = services.send_notification_emails([free.pk, held.pk, done.pk])
    assert (delivery.sent, delivery.held, delivery.held_until) == (1, [held.pk], until)
    assert [m.to for m in mail.outbox] == [[free.recipient.email]]
    held.refresh_from_db()
    assert held.emailed_at is None and held.email_claimed_until == until  # untouched


def test_while_a_batch_is_with_the_mail_server_it_is_claimed_and_no_other_sender_sends_it(counting,
                                                                                         monkeypatch):
    """What another sender finds while this one talks to the mail server: every email of the
    batch claimed, none recorded, nothing for it to send."""
    batch = notifications_for(UserFactory.create_batch(3))
    ids = [n.pk for n in batch]
    seen, other = [], []
    send = CountingBackend.send_messages

    def look(self, messages):
        if not seen:
            seen.extend(Notification.objects.filter(pk__in=ids).values_list("email_claimed_until", "emailed_at"))
            other.append(services.send_notification_emails(ids))
        return send(self, messages)

    monkeypatch.setattr(CountingBackend, "send_messages", look)
    assert services.send_notification_emails(ids).sent == 3
    assert len(seen) == 3 and all(claimed is not None and emailed is None for claimed, emailed in seen)
    assert (other[0].sent, sorted(other[0].held)) == (0, ids)
    assert len(mail.outbox) == 3


def test_a_batch_to_several_people_logs_each_ones_do_case_reads_in_one_insert(org, counting):
    enquiry = log(org)
    org.designated_officer.email, org.do_manager.email = "do@example.org", "dom@example.org"
    org.designated_officer.save()
    org.do_manager.save()
    link = f"/lado/{enquiry.pk}/"
    batch = [Notification.objects.create(recipient=person, kind="lado-reminder", subject="Due", link=link)
             for person in (org.designated_officer, org.do_manager)]
    batch.append(Notification.objects.create(recipient=org.iro, kind="drp-reminder", subject="Due",
                                             link="/drps/1/"))
    delivery, sql = statements([n.pk for n in batch])
    assert delivery.sent == 3
    assert sum(s.lstrip().startswith("INSERT") and "caseread" in s for s in sql) == 1
    reads = set(CaseRead.objects.filter(view="notifications:email").values_list("user_id", "case_id"))
    assert reads == {(org.designated_officer.pk, enquiry.pk), (org.do_manager.pk, enquiry.pk)}


def test_telling_many_people_queues_a_task_per_batch(counting, django_capture_on_commit_callbacks, settings):
    """notify() of 150 people: two email tasks after commit (100 and 50), each one connection."""
    people = UserFactory.create_batch(services.EMAIL_BATCH + 50)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.notify(recipients=people, kind="drp-reminder", link="/",
                        context={"drp": {"reference": "DRP-00001", "stage": {"name": "Stage 1"}},
                                 "headline": "due today", "detail": "The response is due today."})
    assert len(callbacks) == 2
    assert counting.opened == 2 and len(mail.outbox) == len(people)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_batch_whose_claim_is_nearly_out_stops_and_gives_back_the_rest(counting, monkeypatch):
    """A slow mail server: the sender stops before its claim runs out (another sender could then
    take the rest and send them too), gives the rest back and comes back for them."""
    import time

    from notifications import emails

    monkeypatch.setattr(emails, "email_lease", lambda: timedelta(seconds=2))
    send = CountingBackend.send_messages

    def slow(self, messages):
        time.sleep(0.8)
        return send(self, messages)

    monkeypatch.setattr(CountingBackend, "send_messages", slow)
    ids = [n.pk for n in notifications_for(UserFactory.create_batch(4))]
    delivery = services.send_notification_emails(ids)
    assert 1 <= delivery.sent <= 3 and delivery.sent + len(delivery.held) == 4
    rest = Notification.objects.filter(pk__in=delivery.held)
    assert not rest.filter(emailed_at__isnull=False).exists()
    assert not rest.filter(email_claimed_until__isnull=False).exists()  # given back, not left claimed
    monkeypatch.setattr(CountingBackend, "send_messages", send)
    assert services.send_notification_emails(ids).sent == len(delivery.held)
    assert len(mail.outbox) == 4
