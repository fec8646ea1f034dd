"""Telling people things. ``notify`` is the only way in: it writes the in-app notifications
and queues their emails once the surrounding transaction commits.

Delivery guarantee for emails (docs/deployment.md, "Faults and the delivery guarantee"):

* **At least once.** An immediate email is sent while its notification is under 7 days old and
  its recipient active with an address, however often the broker, workers, mail server or
  database fail meanwhile: a task that could not be queued, was lost or failed is queued again
  by beat's ``queue_pending_emails`` (every 2 minutes, for notifications older than
  ``FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS`` and not claimed).
* **Exactly once, outside one window.** A sender first claims the notification
  (``email_claimed_until``, committed) and only then talks to the mail server; afterwards it
  writes ``emailed_at``. No second sender sends a claimed or sent notification. If the sender
  dies, or cannot reach the database for the whole claim, after the mail server took the
  email and before ``emailed_at`` is written, the email is sent a second time once the claim
  runs out (``FOOTPRINT_EMAIL_LEASE_SECONDS``, 5 minutes). A sender that dies before the mail
  server took it delays the email to the end of the claim, no more. Both sends carry the same
  ``Message-ID``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from workflows.broker import queue_without_waiting

from .models import EmailFrequency, Notification, Preference

logger = logging.getLogger(__name__)
#: Older than this, a never-sent email is stale news: it stays in the app only.
PENDING_EMAIL_LIMIT = timedelta(days=7)


def pending_email_grace() -> timedelta:
    """An immediate email unsent this long after its notification was written was not queued
    (the broker was down) or its task was lost: ``queue_pending_emails`` queues it again."""
    return timedelta(seconds=settings.FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS)


def email_lease() -> timedelta:
    """How long a sender's claim on a notification lasts."""
    return timedelta(seconds=settings.FOOTPRINT_EMAIL_LEASE_SECONDS)


_NOT_IN_A_HEADER = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def one_line(text: str) -> str:
    """``text`` fit for an email header (a subject): line breaks and other control characters
    become one space. Django refuses a header with CR or LF (``BadHeaderError``), so a name
    typed with a line break in it (positive practice's ``practitioner_name``) would stop the
    email from going at all."""
    return " ".join(_NOT_IN_A_HEADER.sub(" ", text or "").split())


def send_email(subject: str, body: str, to: list[str], headers: dict | None = None) -> int:
    """Every email Footprint sends goes through here: the subject made one line, from
    DEFAULT_FROM_EMAIL. Emails say what happened and link to the page; they name no child
    and quote no case text (tests/guarantees/test_hardening.py reads every kind)."""
    return EmailMessage(one_line(subject), body, settings.DEFAULT_FROM_EMAIL, to, headers=headers).send()


def render_message(kind: str, context: dict) -> tuple[str, str]:
    """Subject and body from ``notifications/messages/<kind>.subject.txt`` and ``<kind>.txt``;
    the in-app notification and the email are both made from them. Rendered apart, so a value
    with a line break in it (a stage renamed in the admin) cannot push the subject into the body."""
    subject = render_to_string(f"notifications/messages/{kind}.subject.txt", context)
    body = render_to_string(f"notifications/messages/{kind}.txt", context)
    return one_line(subject), body.strip()


@dataclass
class Message:
    """One thing to tell some people, always rendered from its message templates
    (``notifications/messages/<kind>.subject.txt`` and ``<kind>.txt``) with ``context``, so every
    message is composed one way; ``link`` is the page it is about."""

    recipients: Iterable
    kind: str
    link: str = ""
    context: dict = field(default_factory=dict)


def notify(*, recipients: Iterable, kind: str, link: str = "", context: dict | None = None) -> list[Notification]:
    """Tell each recipient (once, even if listed twice) the message ``kind``'s templates
    compose from ``context``; emails go after commit."""
    return notify_many([Message(recipients=recipients, kind=kind, link=link, context=context or {})])


#: Notifications whose emails one task sends.
EMAIL_BATCH = 100


def notify_many(messages: Iterable[Message]) -> list[Notification]:
    """Tell many people many things in a fixed number of statements: one insert for every
    notification, one look-up of who wants a daily digest instead, and after commit one email
    task per ``EMAIL_BATCH`` notifications (the reminder sweep sends thousands at once)."""
    pending: list[Notification] = []
    people: dict = {}
    history = _history_only.get()
    for message in messages:
        subject, body = render_message(message.kind, message.context)
        unique = {}
        for user in message.recipients:
            if user is not None and user.is_active:
                unique.setdefault(user.pk, user)
        people.update(unique)
        pending += [Notification(recipient=user, kind=message.kind, subject=one_line(subject)[:200], body=body,
                                 link=message.link, emailed_at=timezone.now() if history else None)
                    for user in unique.values()]
    notifications = Notification.objects.bulk_create(pending)
    if history:
        return notifications
    immediate = _immediate_recipient_ids(people)
    to_email = [n.pk for n in notifications if n.recipient_id in immediate]
    for start in range(0, len(to_email), EMAIL_BATCH):
        batch = to_email[start:start + EMAIL_BATCH]
        # robust: nothing that happens while queuing can turn a committed change into an error.
        transaction.on_commit(lambda ids=batch: _queue_emails(ids), robust=True)
    return notifications


_history_only: ContextVar[bool] = ContextVar("notifications_history_only", default=False)


@contextmanager
def history_only():
    """Notifications made inside are kept in the app and marked as already emailed: nothing is
    queued and no digest picks them up. For loading past events (the demo's eighteen months),
    which nobody should be emailed about, with or without a broker."""
    token = _history_only.set(True)
    try:
        yield
    finally:
        _history_only.reset(token)


def _immediate_recipient_ids(users: dict) -> set[int]:
    daily = set(Preference.objects.filter(user_id__in=users, email=EmailFrequency.DAILY)
                .values_list("user_id", flat=True))
    return {pk for pk, user in users.items() if pk not in daily and user.email}


def _queue_emails(notification_ids: list[int]) -> bool:
    """Queue one email task for a batch, without ever waiting on the broker
    (``workflows.broker``): the change that caused the notifications has committed. What
    cannot be queued waits for ``queue_pending_emails``."""
    from .tasks import send_notification_email, send_notification_emails

    if len(notification_ids) == 1:
        return queue_without_waiting(send_notification_email, notification_ids[0])
    return queue_without_waiting(send_notification_emails, notification_ids)


def _not_claimed(now: datetime) -> Q:
    return Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lte=now)


def queue_pending_emails() -> int:
    """Queue again every immediate email that should have gone but has not, and is not being
    sent (a sender's claim). Each batch the broker will not take is retried, then sent from
    here. Run by beat; returns how many notifications it queued or sent."""
    from .tasks import send_notification_emails as task

    now = timezone.now()
    daily = Preference.objects.filter(email=EmailFrequency.DAILY).values("user_id")
    pending = (Notification.objects
               .filter(_not_claimed(now), emailed_at__isnull=True,
                       created_at__lt=now - pending_email_grace(),
                       created_at__gte=now - PENDING_EMAIL_LIMIT, recipient__is_active=True)
               .exclude(recipient__email="").exclude(recipient_id__in=daily)
               .values_list("pk", flat=True))
    ids = list(pending.iterator())
    for start in range(0, len(ids), EMAIL_BATCH):
        batch = ids[start:start + EMAIL_BATCH]
        try:
            task.apply_async((batch,), retry=True, retry_policy=REQUEUE_RETRY_POLICY)
        except Exception:
            logger.warning("Could not queue emails for notifications %s; sending them here", batch,
                           exc_info=True)
            send_notification_emails(batch)
    return len(ids)


#: The catch-up job runs in a worker, where waiting is fine: three more tries, 1, 2 and 3 s apart.
REQUEUE_RETRY_POLICY = {"max_retries": 3, "interval_start": 1, "interval_step": 1, "interval_max": 4}


def absolute(link: str) -> str:
    return f"{settings.FOOTPRINT_BASE_URL.rstrip('/')}{link}" if link.startswith("/") else link


def message_id(kind: str, key) -> str:
    """A ``Message-ID`` fixed by what is sent, so that an email sent twice (the crash window)
    is twice the same message to the mail system."""
    host = urlsplit(settings.FOOTPRINT_BASE_URL).hostname or "footprint.invalid"
    return f"<footprint.{kind}.{key}@{host}>"


@dataclass
class Delivery:
    """What a sending call did: how many it emailed, and which notifications another sender
    has claimed (``held``, until ``held_until``), to be tried again when the claim runs out."""

    sent: int = 0
    held: list[int] = field(default_factory=list)
    held_until: datetime | None = None


def send_notification_email(notification_id: int) -> bool:
    """Email one notification unless it is emailed already or being emailed. Returns whether
    this call sent it."""
    return send_notification_emails([notification_id]).sent == 1


def send_notification_emails(notification_ids: Iterable[int]) -> Delivery:
    """Email each notification in turn: claim it (committed), send it, record it. Those already
    emailed are skipped; those another sender holds are returned in ``held``."""
    delivery = Delivery()
    for pk in notification_ids:
        held_until = _email_one(pk)
        if held_until is True:
            delivery.sent += 1
        elif held_until:
            delivery.held.append(pk)
            delivery.held_until = max(delivery.held_until or held_until, held_until)
    return delivery


def _email_one(pk: int) -> bool | datetime | None:
    """True once sent; the claim's end if another sender holds it; None if there is nothing to
    send (emailed already, or gone)."""
    now = timezone.now()
    lease_until = now + email_lease()
    # One statement, committed on its own: from here on no other sender will send it.
    claimed = (Notification.objects.filter(_not_claimed(now), pk=pk, emailed_at__isnull=True)
               .update(email_claimed_until=lease_until))
    if not claimed:
        state = Notification.objects.filter(pk=pk).values_list("emailed_at", "email_claimed_until").first()
        # Held by another sender; or released just now by one that failed (try again soon).
        return None if state is None or state[0] is not None else (state[1] or now)
    notification = Notification.objects.select_related("recipient").get(pk=pk)
    body = notification.body + (f"\n\n{absolute(notification.link)}" if notification.link else "")
    _send(notification.subject, body, notification.recipient.email, message_id("notification", pk),
          [pk], lease_until)
    _record_emailed(notification.recipient, [notification], lease_until, "notifications:email")
    return True


def _send(subject: str, body: str, to: str, msgid: str, claimed: list[int], lease_until: datetime) -> None:
    """Hand the email to the mail server; if it will not take it, give the claim back so a
    retry can send at once."""
    try:
        send_email(subject, body, [to], headers={"Message-ID": msgid})
    except Exception:
        try:
            (Notification.objects.filter(pk__in=claimed, emailed_at__isnull=True,
                                         email_claimed_until=lease_until)
             .update(email_claimed_until=None))
        except (OperationalError, InterfaceError):  # then the claim runs out by itself
            logger.warning("Could not release the claim on notifications %s", claimed, exc_info=True)
        raise
    if timezone.now() > lease_until:
        logger.error("Sending notifications %s took longer than their claim; another sender may "
                     "have sent them too", claimed)


#: Waits between tries to record an email as sent when the database connection is lost.
RECORD_RETRY_WAITS = (0.2, 0.5, 1, 2, 4, 8, 15)


def _record_emailed(recipient, notifications: list[Notification], lease_until: datetime, view: str) -> None:
    """Write ``emailed_at`` (and, for DO enquiries, the read log) once the mail server has taken the
    email. A lost database connection is retried while the claim lasts: giving up would let
    the email be sent again."""
    give_up_at = lease_until - email_lease() / 10
    waits = iter(RECORD_RETRY_WAITS)
    while True:
        try:
            with transaction.atomic():
                Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
                    emailed_at=timezone.now())
                _log_enquiry_reads(recipient, notifications, view)
            return
        except (OperationalError, InterfaceError):
            wait = next(waits, RECORD_RETRY_WAITS[-1])
            if connection.in_atomic_block or timezone.now() + timedelta(seconds=wait) >= give_up_at:
                logger.error("Emailed notifications %s but could not record it; they will be sent "
                             "again after %s", [n.pk for n in notifications], lease_until)
                raise
            logger.warning("Emailed notifications %s; recording it failed, trying again in %s s",
                           [n.pk for n in notifications], wait, exc_info=True)
            connection.close()  # the next try opens a new connection
            time.sleep(wait)


def send_daily_digests() -> int:
    """One email per person who chose the daily digest, of everything not yet emailed. Each
    digest is claimed, sent and recorded like an immediate email; one person's failure leaves
    their digest for tomorrow and the others still go."""
    sent = 0
    user_ids = Preference.objects.filter(email=EmailFrequency.DAILY).values_list("user_id", flat=True)
    for user in get_user_model().objects.filter(pk__in=list(user_ids), is_active=True).exclude(email=""):
        try:
            sent += _send_digest(user)
        except Exception:
            logger.exception("The daily digest for user %s was not sent; it will go tomorrow", user.pk)
    return sent


def _send_digest(user) -> bool:
    now = timezone.now()
    lease_until = now + email_lease()
    with transaction.atomic():
        pending = list(Notification.objects.select_for_update()
                       .filter(_not_claimed(now), recipient=user, emailed_at__isnull=True)
                       .order_by("created_at", "id"))
        if not pending:
            return False
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(email_claimed_until=lease_until)
    ids = [n.pk for n in pending]
    lines = [f"- {n.subject}" + (f"\n  {absolute(n.link)}" if n.link else "") for n in pending]
    key = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:20]
    _send(f"Footprint: {len(pending)} update{'s' if len(pending) != 1 else ''} today", "\n".join(lines),
          user.email, message_id("digest", f"{user.pk}.{key}"), ids, lease_until)
    _record_emailed(user, pending, lease_until, "notifications:daily-digest")
    return True


def _log_enquiry_reads(user, notifications, view: str) -> int:
    from .selectors import log_enquiry_reads

    return log_enquiry_reads(user, notifications, view)


def mark_read(*, notification: Notification, user) -> Notification:
    if notification.recipient_id != user.pk:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("That notification is not yours.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def mark_read_many(*, notifications) -> int:
    """Mark a person's filtered notifications read in one statement (``notifications`` comes
    from ``selectors.filtered_notifications``, so only their own)."""
    return notifications.filter(read_at__isnull=True).order_by().update(read_at=timezone.now())


def set_email_frequency(*, user, frequency: str) -> Preference:
    preference, _ = Preference.objects.update_or_create(user=user, defaults={"email": frequency})
    return preference
