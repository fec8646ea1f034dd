"""Telling people things. ``notify`` is the only way in: it writes the in-app notifications
and queues one email task per notification once the surrounding transaction commits."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import EmailFrequency, Notification, Preference

logger = logging.getLogger(__name__)
#: An immediate email still unsent after this long was not queued (the broker was down) or its
#: task was lost: ``queue_pending_emails`` queues it again.
PENDING_EMAIL_GRACE = timedelta(minutes=10)
#: Older than this, a never-sent email is stale news: it stays in the app only.
PENDING_EMAIL_LIMIT = timedelta(days=7)


_NOT_IN_A_HEADER = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def one_line(text: str) -> str:
    """``text`` fit for an email header (a subject): line breaks and other control characters
    become one space. Django refuses a header with CR or LF (``BadHeaderError``), so a name
    typed with a line break in it (positive practice's ``practitioner_name``) would stop the
    email from going at all."""
    return " ".join(_NOT_IN_A_HEADER.sub(" ", text or "").split())


def send_email(subject: str, body: str, to: list[str]) -> int:
    """Every email Footprint sends goes through here: the subject made one line, from
    DEFAULT_FROM_EMAIL. Emails say what happened and link to the page; they name no child
    and quote no case text (tests/test_hardening.py reads every kind)."""
    return send_mail(one_line(subject), body, settings.DEFAULT_FROM_EMAIL, to)


def render_message(kind: str, context: dict) -> tuple[str, str]:
    """Subject and body from ``notifications/messages/<kind>.subject.txt`` and ``<kind>.txt``;
    the in-app notification and the email are both made from them. Rendered apart, so a value
    with a line break in it (a stage renamed in the admin) cannot push the subject into the body."""
    subject = render_to_string(f"notifications/messages/{kind}.subject.txt", context)
    body = render_to_string(f"notifications/messages/{kind}.txt", context)
    return one_line(subject), body.strip()


@dataclass
class Message:
    """One thing to tell some people: rendered from ``notifications/messages/<kind>.txt`` with
    ``context``, or given as ``subject`` and ``body``; ``link`` is the page it is about."""

    recipients: Iterable
    kind: str
    link: str = ""
    context: dict | None = None
    subject: str = ""
    body: str = ""


def notify(*, recipients: Iterable, kind: str, subject: str = "", body: str = "", link: str = "",
           context: dict | None = None, case=None) -> list[Notification]:
    """Tell each recipient (once, even if listed twice); emails go after commit."""
    return notify_many([Message(recipients=recipients, kind=kind, link=link, context=context,
                                subject=subject, body=body)])


#: Notifications whose emails one task sends.
EMAIL_BATCH = 100


def notify_many(messages: Iterable[Message]) -> list[Notification]:
    """Tell many people many things in a fixed number of statements: one insert for every
    notification, one look-up of who wants a daily digest instead, and after commit one email
    task per ``EMAIL_BATCH`` notifications (the reminder sweep sends thousands at once)."""
    pending: list[Notification] = []
    people: dict = {}
    for message in messages:
        subject, body = (render_message(message.kind, message.context) if message.context is not None
                         else (message.subject, message.body))
        unique = {}
        for user in message.recipients:
            if user is not None and user.is_active:
                unique.setdefault(user.pk, user)
        people.update(unique)
        pending += [Notification(recipient=user, kind=message.kind, subject=one_line(subject)[:200], body=body,
                                 link=message.link) for user in unique.values()]
    notifications = Notification.objects.bulk_create(pending)
    immediate = _immediate_recipient_ids(people)
    to_email = [n.pk for n in notifications if n.recipient_id in immediate]
    for start in range(0, len(to_email), EMAIL_BATCH):
        batch = to_email[start:start + EMAIL_BATCH]
        transaction.on_commit(lambda ids=batch: _queue_emails(ids))
    return notifications


def _immediate_recipient_ids(users: dict) -> set[int]:
    daily = set(Preference.objects.filter(user_id__in=users, email=EmailFrequency.DAILY)
                .values_list("user_id", flat=True))
    return {pk for pk, user in users.items() if pk not in daily and user.email}


def _queue_emails(notification_ids: list[int]) -> bool:
    """Queue one email task for a batch. A broker that is down must not undo or break the
    change that caused the notifications (it has committed): the emails wait for
    ``queue_pending_emails``."""
    from .tasks import send_notification_email, send_notification_emails

    try:
        if len(notification_ids) == 1:
            send_notification_email.delay(notification_ids[0])
        else:
            send_notification_emails.delay(notification_ids)
    except Exception:  # kombu's OperationalError, a refused connection, a timeout…
        logger.warning("Could not queue emails for notifications %s; they will be queued again later",
                       notification_ids, exc_info=True)
        return False
    return True


def queue_pending_emails() -> int:
    """Queue again every immediate email that should have gone but has not (exactly-once is
    kept by the sending task, which skips a notification already emailed). Run by beat."""
    now = timezone.now()
    daily = Preference.objects.filter(email=EmailFrequency.DAILY).values("user_id")
    pending = (Notification.objects
               .filter(emailed_at__isnull=True, created_at__lt=now - PENDING_EMAIL_GRACE,
                       created_at__gte=now - PENDING_EMAIL_LIMIT, recipient__is_active=True)
               .exclude(recipient__email="").exclude(recipient_id__in=daily)
               .values_list("pk", flat=True))
    ids = list(pending.iterator())
    batches = [ids[start:start + EMAIL_BATCH] for start in range(0, len(ids), EMAIL_BATCH)]
    return sum(len(batch) for batch in batches if _queue_emails(batch))


def absolute(link: str) -> str:
    return f"{settings.FOOTPRINT_BASE_URL.rstrip('/')}{link}" if link.startswith("/") else link


def send_notification_email(notification_id: int) -> bool:
    """Email one notification unless it has been emailed already. Returns whether it sent."""
    with transaction.atomic():
        # The notification's row only: not its recipient's (a sign-in updates that).
        notification = (Notification.objects.select_for_update(of=("self",)).select_related("recipient")
                        .filter(pk=notification_id).first())
        if notification is None or notification.emailed_at is not None:
            return False
        body = notification.body + (f"\n\n{absolute(notification.link)}" if notification.link else "")
        send_email(notification.subject, body, [notification.recipient.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        _log_do_case_reads(notification.recipient, [notification], "notifications:email")
        return True


def send_notification_emails(notification_ids: list[int]) -> int:
    """Email a batch of notifications, each exactly once (each as ``send_notification_email``).
    Returns how many this call sent."""
    return sum(send_notification_email(pk) for pk in notification_ids)


def send_daily_digests() -> int:
    """One email per person who chose the daily digest, of everything not yet emailed."""
    sent = 0
    user_ids = Preference.objects.filter(email=EmailFrequency.DAILY).values_list("user_id", flat=True)
    for user in get_user_model().objects.filter(pk__in=list(user_ids), is_active=True).exclude(email=""):
        with transaction.atomic():
            pending = list(Notification.objects.select_for_update()
                           .filter(recipient=user, emailed_at__isnull=True).order_by("created_at", "id"))
            if not pending:
                continue
            lines = [f"- {n.subject}" + (f"\n  {absolute(n.link)}" if n.link else "") for n in pending]
            send_email(f"Footprint: {len(pending)} update{'s' if len(pending) != 1 else ''} today",
                       "\n".join(lines), [user.email])
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=timezone.now())
            _log_do_case_reads(user, pending, "notifications:daily-digest")
            sent += 1
    return sent


def _log_do_case_reads(user, notifications, view: str) -> int:
    from .selectors import log_do_case_reads

    return log_do_case_reads(user, notifications, view)


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


def set_email_frequency(*, user, frequency: str) -> Preference:
    preference, _ = Preference.objects.update_or_create(user=user, defaults={"email": frequency})
    return preference


def users_with_role(*slugs: str):
    """Active people holding any of these roles (for team-wide recipients)."""
    return get_user_model().objects.filter(roles__slug__in=slugs, is_active=True).distinct()
