"""Sending the emails of notifications, in batches, and the delivery guarantee.

A batch (the ids one task was given, at most ``EMAIL_BATCH``) costs a fixed number of
statements and one connection to the mail server, however many emails it holds: one
``UPDATE ... RETURNING`` claims every notification of the batch still waiting (committed on
its own), one ``SELECT`` reads them with their recipients, the emails go over one connection
(Django's ``get_connection()``), and one ``UPDATE`` writes ``emailed_at`` for those the mail
server took (with one insert of the Designated Officer case reads they name).

Delivery guarantee (docs/deployment.md, "Faults and the delivery guarantee"):

* **At least once.** An immediate email is sent while its notification is under 7 days old and
  its recipient active with an address, however often the broker, workers, mail server or
  database fail meanwhile: a task that could not be queued, was lost or failed is queued again
  by beat's ``queue_pending_emails`` (every 2 minutes, for notifications older than
  ``FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS`` and not claimed). A partner agency's contact,
  who is not a user, is emailed the same way: a notification with their address and no
  recipient.
* **Exactly once, outside one window.** A sender first claims its batch
  (``email_claimed_until``, committed) and only then talks to the mail server; once the
  batch is through it writes ``emailed_at`` for every email the mail server took. No second
  sender sends a claimed or sent notification. If the sender dies, or cannot reach the
  database for the whole claim, after the mail server took one or more emails of its batch
  and before ``emailed_at`` is written, those emails are sent a second time once the claim
  runs out (``FOOTPRINT_EMAIL_LEASE_SECONDS``, 5 minutes); the batch's other emails are
  delayed to the end of the claim, no more. If the mail server refuses one email, those it
  took before are recorded and the rest given back at once for the task's retry. Both sends
  of an email carry the same ``Message-ID``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .models import EmailFrequency, Notification, Preference

logger = logging.getLogger(__name__)
#: Older than this, a never-sent email is stale news: it stays in the app only.
PENDING_EMAIL_LIMIT = timedelta(days=7)
#: Notifications whose emails one task sends (one claim, one connection, one record).
EMAIL_BATCH = 100
#: The catch-up job runs in a worker, where waiting is fine: three more tries, 1, 2 and 3 s apart.
REQUEUE_RETRY_POLICY = {"max_retries": 3, "interval_start": 1, "interval_step": 1, "interval_max": 4}
#: Waits between tries to record emails as sent when the database connection is lost.
RECORD_RETRY_WAITS = (0.2, 0.5, 1, 2, 4, 8, 15)


def pending_email_grace() -> timedelta:
    """An immediate email unsent this long after its notification was written was not queued
    (the broker was down) or its task was lost: ``queue_pending_emails`` queues it again."""
    return timedelta(seconds=settings.FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS)


def email_lease() -> timedelta:
    """How long a sender's claim on a batch lasts."""
    return timedelta(seconds=settings.FOOTPRINT_EMAIL_LEASE_SECONDS)


_NOT_IN_A_HEADER = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def one_line(text: str) -> str:
    """``text`` fit for an email header (a subject): line breaks and other control characters
    become one space. Django refuses a header with CR or LF (``BadHeaderError``), so a name
    typed with a line break in it (positive practice's ``practitioner_name``) would stop the
    email from going at all."""
    return " ".join(_NOT_IN_A_HEADER.sub(" ", text or "").split())


def email_message(subject: str, body: str, to: list[str], headers: dict | None = None,
                  connection=None) -> EmailMessage:
    """Every email Footprint sends is made here: the subject made one line, from
    DEFAULT_FROM_EMAIL. Emails say what happened and link to the page; they name no child
    and quote no case text (tests/guarantees/test_emails_name_no_child.py reads every kind)."""
    return EmailMessage(one_line(subject), body, settings.DEFAULT_FROM_EMAIL, to, headers=headers,
                        connection=connection)


def send_email(subject: str, body: str, to: list[str], headers: dict | None = None) -> int:
    """Send one email on a connection of its own (``email_message``)."""
    return email_message(subject, body, to, headers).send()


def absolute(link: str) -> str:
    return f"{settings.FOOTPRINT_BASE_URL.rstrip('/')}{link}" if link.startswith("/") else link


def message_id(kind: str, key) -> str:
    """A ``Message-ID`` fixed by what is sent, so that an email sent twice (the crash window)
    is twice the same message to the mail system."""
    host = urlsplit(settings.FOOTPRINT_BASE_URL).hostname or "footprint.invalid"
    return f"<footprint.{kind}.{key}@{host}>"


def _not_claimed(now: datetime) -> Q:
    return Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lte=now)


def queue_pending_emails() -> int:
    """Queue again every immediate email that should have gone but has not, and is not being
    sent (a sender's claim), a task per ``EMAIL_BATCH``. Each batch the broker will not take is
    retried, then sent from here. Run by beat; returns how many notifications it queued or sent."""
    from .tasks import send_notification_emails as task

    now = timezone.now()
    daily = Preference.objects.filter(email=EmailFrequency.DAILY).values("user_id")
    to_a_user = Q(recipient__is_active=True) & ~Q(recipient__email="") & ~Q(recipient_id__in=daily)
    to_a_contact = Q(recipient__isnull=True)
    pending = (Notification.objects
               .filter(_not_claimed(now), to_a_user | to_a_contact, emailed_at__isnull=True,
                       created_at__lt=now - pending_email_grace(),
                       created_at__gte=now - PENDING_EMAIL_LIMIT)
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
    """Email a batch of notifications: claim them all (committed), send them over one
    connection to the mail server, record them all. Those already emailed are skipped; those
    another sender holds are returned in ``held``. Raises if the mail server refused one (those
    it took are recorded, the rest given back)."""
    ids = sorted(set(notification_ids))
    delivery = Delivery()
    if not ids:
        return delivery
    now = timezone.now()
    lease_until = now + email_lease()
    claimed = _claim(ids, now, lease_until)
    unclaimed = [pk for pk in ids if pk not in claimed]
    if unclaimed:
        # Held by another sender; or released just now by one that failed (try again soon).
        for pk, held_until in (Notification.objects.filter(pk__in=unclaimed, emailed_at__isnull=True)
                               .values_list("pk", "email_claimed_until")):
            held_until = held_until or now
            delivery.held.append(pk)
            delivery.held_until = max(delivery.held_until or held_until, held_until)
    if not claimed:
        return delivery
    notifications = list(Notification.objects.select_related("recipient").filter(pk__in=claimed).order_by("pk"))
    sent, failure = _send_batch(notifications, lease_until)
    if sent:
        _record_emailed(sent, lease_until, "notifications:email")
    delivery.sent = len(sent)
    if failure is not None:
        raise failure
    if len(sent) < len(notifications):  # stopped with the claim nearly out: the task comes back for them
        delivery.held += [n.pk for n in notifications[len(sent):]]
        delivery.held_until = max(delivery.held_until or now, now)
    return delivery


def _claim(ids: list[int], now: datetime, lease_until: datetime) -> set[int]:
    """One statement, committed on its own: from here on no other sender will send these."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    as_stored = connection.ops.adapt_datetimefield_value  # as the ORM writes it (SQLite: naive UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET email_claimed_until = %s WHERE id IN ({marks}) AND emailed_at IS NULL"
            " AND (email_claimed_until IS NULL OR email_claimed_until <= %s) RETURNING id",
            [as_stored(lease_until), *ids, as_stored(now)])
        return {row[0] for row in cursor.fetchall()}


def _send_batch(notifications: list[Notification], lease_until: datetime):
    """Hand the batch to the mail server over one connection, one email at a time so that we
    know which it took. Stops at the first refusal, or when the claim is nearly out (another
    sender may take over then); what was not sent is given back at once. Returns the
    notifications sent and the refusal, if any."""
    stop_at = lease_until - email_lease() / 10
    sent: list[Notification] = []
    failure = None
    try:
        with get_connection() as mail:
            for notification in notifications:
                if timezone.now() >= stop_at:
                    logger.warning("The claim on notifications %s is nearly out; leaving the rest of "
                                   "the batch for a retry", [n.pk for n in notifications])
                    break
                body = notification.body + (f"\n\n{absolute(notification.link)}" if notification.link else "")
                mail.send_messages([email_message(
                    notification.subject, body, [notification.email_to],
                    headers={"Message-ID": message_id("notification", notification.pk)})])
                sent.append(notification)
    except Exception as error:
        failure = error
    _release([n.pk for n in notifications[len(sent):]], lease_until)
    if timezone.now() > lease_until:
        logger.error("Sending notifications %s took longer than their claim; another sender may "
                     "have sent them too", [n.pk for n in sent])
    return sent, failure


def _release(ids: list[int], lease_until: datetime) -> None:
    """Give back the claim on emails not sent, so that a retry can send them at once."""
    if not ids:
        return
    try:
        (Notification.objects.filter(pk__in=ids, emailed_at__isnull=True, email_claimed_until=lease_until)
         .update(email_claimed_until=None))
    except (OperationalError, InterfaceError):  # then the claim runs out by itself
        logger.warning("Could not release the claim on notifications %s", ids, exc_info=True)


def _record_emailed(notifications: list[Notification], lease_until: datetime, view: str) -> None:
    """Write ``emailed_at`` (and, for DO cases, the read log) once the mail server has taken
    the emails: one update for the batch. A lost database connection is retried while the
    claim lasts: giving up would let the emails be sent again."""
    give_up_at = lease_until - email_lease() / 10
    waits = iter(RECORD_RETRY_WAITS)
    ids = [n.pk for n in notifications]
    while True:
        try:
            with transaction.atomic():
                Notification.objects.filter(pk__in=ids).update(emailed_at=timezone.now())
                _log_enquiry_reads(notifications, view)
            return
        except (OperationalError, InterfaceError):
            wait = next(waits, RECORD_RETRY_WAITS[-1])
            if connection.in_atomic_block or timezone.now() + timedelta(seconds=wait) >= give_up_at:
                logger.error("Emailed notifications %s but could not record it; they will be sent "
                             "again after %s", ids, lease_until)
                raise
            logger.warning("Emailed notifications %s; recording it failed, trying again in %s s",
                           ids, wait, exc_info=True)
            connection.close()  # the next try opens a new connection
            time.sleep(wait)


def _log_enquiry_reads(notifications: list[Notification], view: str) -> int:
    from .selectors import log_enquiry_reads_by_recipient

    by_recipient = defaultdict(list)
    for notification in notifications:
        if notification.recipient_id is not None:  # a contact's email names no DO case
            by_recipient[notification.recipient_id].append(notification)
    return log_enquiry_reads_by_recipient(by_recipient, view)


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
    try:
        send_email(f"Footprint: {len(pending)} update{'s' if len(pending) != 1 else ''} today", "\n".join(lines),
                   [user.email], headers={"Message-ID": message_id("digest", f"{user.pk}.{key}")})
    except Exception:
        _release(ids, lease_until)
        raise
    _record_emailed(pending, lease_until, "notifications:daily-digest")
    return True
