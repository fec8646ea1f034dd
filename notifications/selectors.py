from .models import Notification


def notifications_for(user):
    """A person only ever sees their own notifications."""
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def log_do_case_reads(user, notifications, view: str) -> int:
    """A notification about a Designated Officer case (its link opens one: reminders, alerts)
    names the case: showing or emailing it is logged as a read of each case still held, in one
    insert. Nothing is stored on the notification to tell: the link says it."""
    from lado.models import Enquiry
    from lado.selectors import CASE_KIND, case_id_from_link
    from workflows.audit import record_reads_by_id

    ids = {pk for pk in (case_id_from_link(n.link) for n in notifications) if pk is not None}
    if not ids:
        return 0
    held = Enquiry.objects.filter(pk__in=ids).values_list("pk", flat=True)
    return record_reads_by_id(user, CASE_KIND, sorted(held), view)
