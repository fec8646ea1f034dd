"""Telling people things. ``notify`` is the only way in: it writes the in-app notifications
and queues their emails, a task per batch, once the surrounding transaction commits. How the
emails are sent, and the delivery guarantee, are in ``notifications.emails``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from workflows.broker import queue_without_waiting

# The sending side, named here too: callers and tasks reach it through ``services``.
from .emails import (  # noqa: F401
    EMAIL_BATCH,
    PENDING_EMAIL_LIMIT,
    REQUEUE_RETRY_POLICY,
    Delivery,
    absolute,
    email_lease,
    message_id,
    one_line,
    pending_email_grace,
    queue_pending_emails,
    send_daily_digests,
    send_email,
    send_notification_email,
    send_notification_emails,
)
from .models import EmailFrequency, Notification, Preference


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
    #: People who are not users (a partner agency's contact), told by email only.
    addresses: Iterable[str] = ()


def notify(*, recipients: Iterable = (), kind: str, link: str = "", context: dict | None = None,
           addresses: Iterable[str] = ()) -> list[Notification]:
    """Tell each recipient (once, even if listed twice) the message ``kind``'s templates
    compose from ``context``; emails go after commit. ``addresses`` are people who are not
    users: their notification is never shown in the app, only emailed (with the same claim,
    retry and guarantee as everyone's), and should carry no ``link`` they cannot open."""
    return notify_many([Message(recipients=recipients, kind=kind, link=link, context=context or {},
                                addresses=addresses)])


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
        pending += [Notification(address=address, kind=message.kind, subject=one_line(subject)[:200], body=body,
                                 link=message.link, emailed_at=timezone.now() if history else None)
                    for address in dict.fromkeys(a for a in message.addresses if a)]
    notifications = Notification.objects.bulk_create(pending)
    if history:
        return notifications
    immediate = _immediate_recipient_ids(people)
    to_email = [n.pk for n in notifications if n.recipient_id in immediate or n.recipient_id is None]
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
    from . import tasks

    if len(notification_ids) == 1:
        return queue_without_waiting(tasks.send_notification_email, notification_ids[0])
    return queue_without_waiting(tasks.send_notification_emails, notification_ids)


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
