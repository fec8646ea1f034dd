"""The monthly theme report email: sent on the first working day of each month, once."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from notifications.services import absolute, send_email
from people import roles
from people.selectors import users_with_role
from workflows.calendar import get_calendar
from workflows.clocks import today
from workflows.history import save_with_history
from workflows.models import ReminderLog

from .access import can_write_commentary
from .document import section as find_section
from .models import ReportCommentary
from .periods import MAX_YEAR, MIN_YEAR, last_month
from .selectors import monthly_report, themes

LOG_KIND = "monthly-report-email"


def first_working_day(month_start: date) -> date:
    """The first working day on or after the first of the month."""
    calendar = get_calendar()
    day = month_start.replace(day=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def recipients() -> list[str]:
    """FOOTPRINT_MONTHLY_REPORT_TO if set (comma-separated addresses), else the IRO Managers."""
    configured = [a.strip() for a in settings.FOOTPRINT_MONTHLY_REPORT_TO.split(",") if a.strip()]
    if configured:
        return configured
    return [user.email for user in users_with_role(roles.IRO_MANAGER) if user.email]


def send_monthly_report_email(on: date | None = None) -> bool:
    """On the first working day of a month, email last month's headline figures and the link
    to the report; any other day, or a second time, do nothing. Returns whether it sent."""
    on = on or today()
    if on != first_working_day(on):
        return False
    month = last_month(on)
    to = recipients()
    if not to:
        return False
    try:
        with transaction.atomic():
            # The reminder log's unique key makes this exactly-once across workers and re-runs.
            ReminderLog.objects.create(kind=LOG_KIND, object_id=month.year * 100 + month.month,
                                       phase="sent", due=on)
            report = monthly_report(month)
            names = {t["slug"]: t["name"] for t in themes()}
            top = sorted(report["raised"]["by_theme"].items(), key=lambda kv: -kv[1])[:3]
            context = {
                "month": month, "report": report,
                "top_themes": [(names.get(slug, slug), n) for slug, n in top if n],
                "spikes": [names.get(slug, slug) for slug in report["trend"]["spikes"]],
                "link": absolute(reverse("reports:monthly") + f"?month={month:%Y-%m}"),
            }
            subject = f"Footprint monthly theme report: {month:%B %Y}"
            body = render_to_string("reports/email/monthly.txt", context)
            send_email(subject, body, to)
    except IntegrityError:
        return False
    return True


#: The longest commentary a section takes (a few pages of a published report).
COMMENTARY_MAX_LENGTH = 20_000


@transaction.atomic
def commentary_save(*, year: int, section_key: str, text: str, actor):
    """Write a section's commentary for a reporting year: only the manager the section names
    (``reports.access.can_write_commentary``: 403), then its input (400 naming the field). The
    row's history keeps every earlier text with who wrote it and when."""
    section = find_section(section_key)
    if section is None:
        raise ValidationError({"section": "Choose a section of the annual report."})
    if not can_write_commentary(actor, section):
        raise PermissionDenied(f"The {section.title} commentary is written by its manager.")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError({"year": f"Enter a reporting year from {MIN_YEAR} to {MAX_YEAR}."})
    text = (text or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ValidationError({"text": "Commentary must not contain a null character."})
    if len(text) > COMMENTARY_MAX_LENGTH:
        raise ValidationError({"text": f"Commentary must be {COMMENTARY_MAX_LENGTH:,} characters or fewer."})
    reason = f"{section.title} commentary for {year} to {year + 1}"
    commentary = ReportCommentary.objects.select_for_update().filter(year=year, section=section.key).first()
    if commentary is None:
        try:  # the first text for this year and section; a second writer at the same moment waits below
            with transaction.atomic():
                commentary = ReportCommentary(year=year, section=section.key, text=text, updated_by=actor,
                                              updated_at=timezone.now())
                save_with_history(commentary, actor, reason)
                return commentary
        except IntegrityError:
            commentary = ReportCommentary.objects.select_for_update().get(year=year, section=section.key)
    commentary.text, commentary.updated_by, commentary.updated_at = text, actor, timezone.now()
    save_with_history(commentary, actor, reason)
    return commentary
