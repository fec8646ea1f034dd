from .models import Notification


def notifications_for(user):
    """A person only ever sees their own notifications."""
    return Notification.objects.filter(recipient=user)


#: How each kind of notification is named in the filter; others read from their slug.
KIND_NAMES = {
    "drp-raised": "DRP raised", "drp-escalated": "DRP escalated", "drp-responded": "DRP responded to",
    "drp-resolved": "DRP resolved", "drp-withdrawn": "DRP withdrawn", "drp-reminder": "DRP reminders",
    "positive-practice": "Positive practice", "authenticator-removed": "Two-step verification",
    "lado-reminder": "Enquiry reminders", "lado-enquiry-opened": "Enquiry opened by someone else",
}


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind) or kind.replace("-", " ").capitalize()


def filtered_notifications(user, *, unread: bool = False, kind: str = "", case: str = ""):
    """A person's notifications, only unread, of one kind or about one case (its link), so that
    150 unread can be worked through a case or a kind at a time."""
    qs = notifications_for(user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    if case:
        qs = qs.filter(link=case)
    return qs


def kinds_for(user) -> list[tuple[str, str]]:
    """The kinds this person has been sent, for the filter, in one query."""
    kinds = notifications_for(user).order_by().values_list("kind", flat=True).distinct()
    return sorted(((kind, kind_name(kind)) for kind in kinds), key=lambda pair: pair[1])


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def log_enquiry_reads(user, notifications, view: str) -> int:
    """A notification about a Designated Officer enquiry (its link opens one: reminders, alerts)
    names the case: showing or emailing it is logged as a read of each case still held, in one
    insert. Nothing is stored on the notification to tell: the link says it."""
    from lado.models import Enquiry
    from lado.selectors import ENQUIRY_KIND, enquiry_id_from_link
    from workflows.audit import record_reads_by_id

    ids = {pk for pk in (enquiry_id_from_link(n.link) for n in notifications) if pk is not None}
    if not ids:
        return 0
    held = Enquiry.objects.filter(pk__in=ids).values_list("pk", flat=True)
    return record_reads_by_id(user, ENQUIRY_KIND, sorted(held), view)


def log_enquiry_reads_by_recipient(notifications_by_recipient: dict, view: str) -> int:
    """``log_enquiry_reads`` for a batch of emails to many people (recipient id → their
    notifications): one look-up of the cases still held and one insert, whatever the batch."""
    from lado.models import Enquiry
    from lado.selectors import ENQUIRY_KIND, enquiry_id_from_link
    from workflows.audit import record_reads_by_user

    named = {recipient: [pk for pk in (enquiry_id_from_link(n.link) for n in notifications) if pk is not None]
             for recipient, notifications in notifications_by_recipient.items()}
    ids = {pk for pks in named.values() for pk in pks}
    if not ids:
        return 0
    held = set(Enquiry.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return record_reads_by_user(ENQUIRY_KIND, {recipient: sorted(pk for pk in pks if pk in held)
                                            for recipient, pks in named.items()}, view)
