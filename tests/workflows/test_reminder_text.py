"""The sweep's shortcuts say exactly what the slow way said: the message text, the link, who
was told, and the notifications written in one statement (tests/workflows/test_reminders.py
has the sweep's rules; this module its cost-saving parts)."""

from datetime import date

import pytest
from django.urls import reverse

from drp import services
from drp.models import Stage, Theme
from drp.notifications import message_context
from drp.reminders import detail_links
from notifications.models import Notification
from notifications.services import Message, MessageTemplates, notify_many, render_message
from workflows.clocks import as_of
from workflows.reminders import attach_shared, run_sweep

pytestmark = pytest.mark.django_db


def raise_on(org, day, stage="stage-2"):
    with as_of(day):
        return services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                  themes=[Theme.objects.get(slug="placement")], concern="x",
                                  stage=Stage.objects.get(key=stage))


def test_message_templates_render_the_same_text_as_render_message(org):
    drp = raise_on(org, date(2026, 11, 2))
    templates = MessageTemplates()
    contexts = [
        message_context(drp, headline="Stage 2 response overdue since 3 December 2026",
                        detail="The response at Stage 2 is due by Thursday 3 December 2026.",
                        prompt="No response has been recorded in time."),
        message_context(drp, headline="Stage 2 response due today", detail="Due.", prompt=""),
        # A line break in a value stays out of the subject; markup is not escaped in text.
        message_context(drp, headline="renamed\nstage <b>&</b>", detail="a\n\nb", prompt="p"),
    ]
    for context in contexts * 2:  # the reused context carries nothing from one message to the next
        assert templates.render("drp-reminder", context) == render_message("drp-reminder", context)
    other = {"drp": drp, "actor": org.iro}
    assert templates.render("drp-raised", other) == render_message("drp-raised", other)


def test_detail_links_are_what_reverse_gives(org):
    links = detail_links()
    for pk in (1, 7, 10, 987654321, 12345678901):
        assert links(pk) == reverse("drp:detail", args=[pk])


def test_notify_many_gives_back_the_notifications_written_or_only_their_number(org):
    drp = raise_on(org, date(2026, 11, 2))
    Notification.objects.all().delete()
    messages = [Message(recipients=[org.iro, org.social_worker, org.iro, None], kind="drp-reminder", link="/a/",
                        context=message_context(drp, headline="one", detail="d", prompt="")),
                Message(recipients=[org.iro_manager], kind="drp-reminder", link="/b/",
                        context=message_context(drp, headline="two", detail="d", prompt=""))]
    written = notify_many(messages)
    assert [(n.recipient, n.link) for n in written] == [(org.iro, "/a/"), (org.social_worker, "/a/"),
                                                         (org.iro_manager, "/b/")]
    stored = {n.pk: n for n in Notification.objects.all()}
    for notification in written:
        row = stored[notification.pk]
        assert (row.recipient_id, row.kind, row.subject, row.body, row.link, row.emailed_at) == (
            notification.recipient_id, notification.kind, notification.subject, notification.body,
            notification.link, notification.emailed_at)
        assert abs((row.created_at - notification.created_at).total_seconds()) < 1
    assert written[0].subject == f"{drp.reference}: one"
    assert notify_many(messages, instances=False) == 3
    assert Notification.objects.count() == 6


def test_shared_related_rows_are_the_same_people_and_stages_a_join_gives(org):
    from drp.models import StageRecord

    raise_on(org, date(2026, 11, 2))
    raise_on(org, date(2026, 11, 3), stage="stage-3")
    joined = list(StageRecord.objects.select_related("drp__iro", "drp__stage", "stage", "addressee")
                  .order_by("pk"))
    shared = list(StageRecord.objects.select_related("drp").order_by("pk"))
    attach_shared(shared, ("drp__iro", "drp__stage", "stage", "addressee"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as reads:
        seen = [(r.drp.iro, r.drp.stage, r.stage, r.addressee) for r in shared]
    assert len(reads) == 0
    assert seen == [(r.drp.iro, r.drp.stage, r.stage, r.addressee) for r in joined]
    assert shared[0].drp.iro is shared[1].drp.iro  # one object for the whole batch


def test_the_sweeps_reminders_read_as_render_message_composes_them(org):
    """The whole path: what the sweep stores is what render_message gives for its context."""
    drp = raise_on(org, date(2026, 11, 2))
    Notification.objects.all().delete()
    run_sweep(date(2027, 1, 5), kinds=["drp-stage"])
    record = drp.stage_records.get(ended_on__isnull=True)
    due = record.due_date
    subject, body = render_message("drp-reminder", message_context(
        drp, headline=f"{record.stage.name} response overdue since {due:%-d %B %Y}",
        detail=f"The response at {record.stage.name} is due by {due:%A %-d %B %Y}.",
        prompt="No response has been recorded in time. The IRO should consider escalating the DRP."))
    stored = list(Notification.objects.filter(kind="drp-reminder"))
    assert stored and {(n.subject, n.body, n.link) for n in stored} == {
        (subject, body, reverse("drp:detail", args=[drp.pk]))}
