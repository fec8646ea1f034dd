"""Opening a DO enquiry: the read is logged, and the DO Manager is told when someone other than the
enquiry's officer and the DO Manager opens it (a colleague looking at an enquiry that is not theirs is
the read most worth a second look: the subject is often someone the staff know).

The alert names the reader and the enquiry reference, never the subject. It is sent once per
reader, enquiry and day (``workflows.ReminderLog``'s unique key makes that exactly-once, as for
reminders), so a colleague covering an enquiry all day sends one alert, not fifty; every read is
still in the access log. ``settings.FOOTPRINT_DO_CASE_OPENED_ALERTS`` (default on) turns it off.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from people import roles
from workflows.audit import record_reads
from workflows.clocks import today
from workflows.models import ReminderLog

from .access import is_do_manager
from .models import Enquiry

KIND = "lado-enquiry-opened"
#: How ``record_reads`` names the subject's other enquiries shown beside an enquiry.
SUBJECT_HISTORY = "subject history"


def enabled() -> bool:
    return bool(settings.FOOTPRINT_DO_CASE_OPENED_ALERTS)


def needs_alert(reader, enquiry: Enquiry) -> bool:
    """Anyone but the enquiry's officer and the DO Manager."""
    return reader.pk != enquiry.officer_id and not is_do_manager(reader)


def enquiry_opened(reader, enquiry: Enquiry, view: str) -> list:
    """Tell every DO Manager that ``reader`` opened ``enquiry`` (once per reader, enquiry and day)."""
    if not (enabled() and needs_alert(reader, enquiry)):
        return []
    try:
        with transaction.atomic():
            ReminderLog.objects.create(kind=KIND, object_id=enquiry.pk, phase=f"user-{reader.pk}", due=today())
    except IntegrityError:
        return []  # already told today
    from notifications.services import notify
    from people.selectors import users_with_role

    officer = str(enquiry.officer) if enquiry.officer_id else "no one"
    return notify(
        recipients=users_with_role(roles.DO_MANAGER), kind=KIND, link=reverse("lado:detail", args=[enquiry.pk]),
        context={"reader": reader, "enquiry": enquiry, "view": view, "when": timezone.localtime(),
                 "officer": officer},
    )


def read_enquiry(reader, enquiry: Enquiry, view: str, shown: Iterable[Enquiry] = ()) -> None:
    """Log the read of an enquiry page or API response (and of the subject's other enquiries it
    names, in the same insert) and alert the DO Manager if need be."""
    record_reads(reader, [enquiry], view, more={f"{view} {SUBJECT_HISTORY}": shown})
    enquiry_opened(reader, enquiry, view)
