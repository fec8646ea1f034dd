"""Telling people things. ``notify`` is the only way in: it writes the in-app notifications
and queues their emails, a task per batch, once the surrounding transaction commits. How the
emails are sent, and the delivery guarantee, are in ``notifications.emails``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connections, router, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
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
from .plain_templates import NotPlain, plain_renderer


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


def notify_many(messages: Iterable[Message], *, instances: bool = True) -> list[Notification] | int:
    """Tell many people many things in a fixed number of statements: one insert for every
    notification, one look-up of who wants a daily digest instead, and after commit one email
    task per ``EMAIL_BATCH`` notifications (the reminder sweep sends thousands at once).

    Returns the notifications; with ``instances=False`` only how many, and no model instance is
    built for them (the sweep writes tens of thousands and needs none back)."""
    rows: list[tuple] = []  # (recipient, address, kind, subject, body, link), one per notification
    people: dict = {}
    history = _history_only.get()
    templates = MessageTemplates()
    for message in messages:
        subject, body = templates.render(message.kind, message.context)
        subject = subject[:200]
        unique = {}
        for user in message.recipients:
            if user is not None and user.is_active:
                unique.setdefault(user.pk, user)
        people.update(unique)
        rows += [(user, "", message.kind, subject, body, message.link) for user in unique.values()]
        rows += [(None, address, message.kind, subject, body, message.link)
                 for address in dict.fromkeys(a for a in message.addresses if a)]
    written = write_notifications(rows, emailed_at=timezone.now() if history else None)
    result = [notification(*values) for values in written] if instances else len(written)
    if history:
        return result
    immediate = _immediate_recipient_ids(people)
    to_email = [values[0] for values in written if values[1] is None or values[1].pk in immediate]
    for start in range(0, len(to_email), EMAIL_BATCH):
        batch = to_email[start:start + EMAIL_BATCH]
        # robust: nothing that happens while queuing can turn a committed change into an error.
        transaction.on_commit(lambda ids=batch: _queue_emails(ids), robust=True)
    return result


class MessageTemplates:
    """Each message kind's two templates, looked up once and rendered as plain functions
    (``notifications.plain_templates``) where they hold only text, variables, filters and simple
    ``if``s, else with one reused ``Context``: the text ``render_message`` gives (a test compares),
    without a template look-up, a new context and Django's per-node machinery for each of a
    sweep's thousands of messages."""

    def __init__(self):
        self.compiled: dict[str, tuple] = {}
        self.context: Context | None = None

    def render(self, kind: str, context: dict) -> tuple[str, str]:
        compiled = self.compiled.get(kind)
        if compiled is None:
            compiled = self.compiled[kind] = self._compile(kind)
        subject, body, plain_subject, plain_body = compiled
        if plain_subject is not None and plain_body is not None:
            try:
                return one_line(plain_subject(context)), plain_body(context).strip()
            except NotPlain:
                pass  # this message leaves the common path: Django renders it, as below
        if not hasattr(subject, "template") or not hasattr(body, "template"):
            return render_message(kind, context)  # not Django's template engine
        if self.context is None:
            self.context = Context(autoescape=subject.backend.engine.autoescape)
        with self.context.push(context):
            return one_line(subject.template.render(self.context)), body.template.render(self.context).strip()

    @staticmethod
    def _compile(kind: str) -> tuple:
        subject = get_template(f"notifications/messages/{kind}.subject.txt")
        body = get_template(f"notifications/messages/{kind}.txt")
        if not hasattr(subject, "template") or not hasattr(body, "template"):
            return subject, body, None, None
        return subject, body, plain_renderer(subject.template), plain_renderer(body.template)


def write_notifications(rows: list[tuple], emailed_at=None) -> list[tuple]:
    """Insert notifications given as (recipient, address, kind, subject, body, link) in one
    statement (recipient None for a contact's address); returns them as (id, recipient,
    address, kind, subject, body, link, created_at, emailed_at).

    On PostgreSQL as arrays (``INSERT ... SELECT FROM unnest(...) RETURNING id``): no model
    instance is built and the statement's size does not grow with the rows, one ``created_at``
    for them all. Each message's text (kind, subject, body, link) goes once, however many it
    tells (a sweep's reminder has two or three recipients), and each notification names its
    message by number. Elsewhere ``bulk_create``."""
    if not rows:
        return []
    alias = router.db_for_write(Notification)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        created = Notification.objects.using(alias).bulk_create(
            [Notification(recipient=user, address=address, kind=kind, subject=subject, body=body, link=link,
                          emailed_at=emailed_at)
             for user, address, kind, subject, body, link in rows])
        return [(n.pk, n.recipient, n.address, n.kind, n.subject, n.body, n.link, n.created_at, n.emailed_at)
                for n in created]
    meta = Notification._meta
    quote = connection.ops.quote_name
    people = [meta.get_field(name) for name in ("recipient", "address")]
    texts = [meta.get_field(name) for name in ("kind", "subject", "body", "link")]
    recipient_column, address_column = (quote(f.column) for f in people)
    text_columns = [quote(f.column) for f in texts]
    text_casts = ", ".join(f"%s::{f.db_type(connection)}[]" for f in texts)
    sql = (f"INSERT INTO {quote(meta.db_table)} ({recipient_column}, {address_column}, {', '.join(text_columns)}, "
           f"{quote('created_at')}, {quote('emailed_at')}) "
           f"SELECT n.recipient, n.address, {', '.join(f'm.{c}' for c in text_columns)}, %s, %s "
           f"FROM unnest(%s::{people[0].db_type(connection)}[], %s::{people[1].db_type(connection)}[], "
           f"%s::integer[]) WITH ORDINALITY AS n(recipient, address, message, position) "
           f"JOIN unnest({text_casts}) WITH ORDINALITY AS m({', '.join(text_columns)}, message) "
           f"USING (message) ORDER BY n.position "
           f"RETURNING {quote(meta.pk.column)}, {recipient_column}, {address_column}")
    messages: dict[tuple, int] = {}  # (kind, subject, body, link): its number, from 1
    numbers = [messages.setdefault(row[2:], len(messages) + 1) for row in rows]
    now = timezone.now()
    sent = [(row[0].pk if row[0] is not None else None, row[1]) for row in rows]
    params = [now, emailed_at, [recipient for recipient, _ in sent], [row[1] for row in rows], numbers,
              *(list(column) for column in zip(*messages))]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    # RETURNING gives the rows in the order inserted, as Django's bulk_create relies on too;
    # checked against the recipients, so that an id could never be paired with another row.
    if [(recipient, address) for _, recipient, address in returned] != sent:
        raise RuntimeError("notifications came back from the insert in another order than sent")
    return [(pk, *row, now, emailed_at) for (pk, _, _), row in zip(returned, rows)]


def notification(pk, recipient, address, kind, subject, body, link, created_at, emailed_at) -> Notification:
    """A notification just written, as ``write_notifications`` gives it back (its recipient
    attached, so that reading it costs no query)."""
    values = {"id": pk, "recipient_id": recipient.pk if recipient is not None else None, "address": address,
              "kind": kind, "subject": subject, "body": body, "link": link, "created_at": created_at,
              "read_at": None, "emailed_at": emailed_at, "email_claimed_until": None}
    written = Notification.from_db(router.db_for_write(Notification), None,
                                   [values[field.attname] for field in Notification._meta.concrete_fields])
    Notification.recipient.field.set_cached_value(written, recipient)
    return written


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
    return queue_without_waiting(tasks.send_notification_emails, notification_ids,
                                 argsrepr=f"([{len(notification_ids)} notification ids, "
                                          f"{min(notification_ids)}-{max(notification_ids)}],)")


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
