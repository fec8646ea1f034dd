"""The sweep's shortcuts say exactly what the slow way said: the message text, the link, who
was told, and the notifications written in one statement (tests/workflows/test_reminders.py
has the sweep's rules; this module its cost-saving parts)."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils.safestring import mark_safe

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


def test_write_notifications_stores_every_row_with_its_own_text_in_order(org):
    """Texts shared by several recipients go to the database once (PostgreSQL); every row
    still gets its own recipient or address and its message's text, in the order given."""
    from notifications.services import write_notifications

    Notification.objects.all().delete()
    rows = [(org.iro, "", "drp-reminder", "s1", "body one", "/a/"),
            (org.social_worker, "", "drp-reminder", "s1", "body one", "/a/"),
            (None, "pat@health.example", "drp-agency-stage", "s1", "body one", ""),
            (org.iro, "", "drp-reminder", "s2", "body two", "/b/"),
            (org.iro_manager, "", "drp-reminder", "s1", "body one", "/a/")]
    written = write_notifications(rows)
    assert [values[1:7] for values in written] == rows
    stored = {n.pk: n for n in Notification.objects.all()}
    assert [(stored[pk].recipient, stored[pk].address, stored[pk].kind, stored[pk].subject, stored[pk].body,
             stored[pk].link) for pk, *_ in written] == rows
    assert [pk for pk, *_ in written] == sorted(pk for pk, *_ in written)


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


# --- Message templates as plain functions (notifications.plain_templates) --------------------------

@pytest.fixture
def composed(monkeypatch):
    """Every message ``MessageTemplates`` composes, checked as it is composed: the plain function
    (the fast path) gave it, without falling back to Django, and ``render_message`` gives the same
    text. Yields the message kinds composed, by deadline kind (``composed["current"]`` names it)."""
    from collections import defaultdict

    from notifications.services import one_line

    seen = defaultdict(set)
    seen["current"] = None
    render = MessageTemplates.render

    def checked(self, kind, context):
        text = render(self, kind, context)
        _, _, plain_subject, plain_body = self.compiled[kind]
        assert plain_subject is not None and plain_body is not None, f"{kind}: no plain function"
        assert (one_line(plain_subject(context)), plain_body(context).strip()) == text  # NotPlain fails it
        assert text == render_message(kind, context)
        seen[seen["current"]].add(kind)
        return text

    monkeypatch.setattr(MessageTemplates, "render", checked)
    return seen


def test_every_reminder_kind_is_composed_by_plain_functions_as_render_message_composes_it(org, composed):
    """Each registered deadline kind's ``remind``, at each of its phases, on rows it would find
    due (a stage addressed to a person and one to a partner agency's contact, an answered DRP
    with an agreed-by date and actions owned by a person and by a contact, DO enquiries at each
    clock): every message comes from the plain functions and reads as ``render_message``'s."""
    from drp.models import AgencyContact, PartnerAgency
    from lado import services as lado_services
    from tests.support.lado_fixtures import hold_meeting, log, meet
    from workflows.reminders import registered

    nurse = AgencyContact.objects.create(agency=PartnerAgency.objects.get(slug="health"), name="Pat <Nurse> & Co",
                                         job_title="School nurse", email="pat.nurse@health.example")
    answered = raise_on(org, date(2026, 11, 2), stage="stage-2")
    with as_of(date(2026, 11, 3)):
        services.drp_respond(drp=answered, actor=answered.addressee, response="We will act",
                             agreed_by=date(2026, 11, 20), actions=[
                                 {"what": "Convene a \"stability\" meeting", "due_on": date(2026, 11, 10),
                                  "owner": org.social_worker},
                                 {"what": "Share the health assessment", "due_on": date(2026, 11, 12),
                                  "owner_contact": nurse}])
    to_agency = raise_on(org, date(2026, 11, 2), stage="stage-1")
    with as_of(date(2026, 11, 3)):
        services.drp_escalate(drp=to_agency, actor=org.iro, reason="No answer", agency_contact=nurse,
                              asked="Say when the assessment will be shared.")
    with as_of(date(2025, 4, 17)):
        log(org)  # awaiting the threshold decision
        meet(org, log(org))  # awaiting the first meeting
        enquiry = meet(org, log(org))
        hold_meeting(org, enquiry, next_review_on=date(2025, 5, 1))
        lado_services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer,
                                         kind="section-47-enquiry", owner_name="Social care",
                                         due_on=date(2025, 5, 2))
    kinds = registered()
    for kind in kinds:
        rows = [row for row in kind.model._default_manager.order_by("pk")
                if getattr(row, kind.due_field) is not None]
        assert rows, f"no row for {kind.name}"
        attach_shared(rows, kind.shared_related)
        composed["current"] = kind.name
        for phase in kind.phases:
            with as_of(date(2026, 11, 25)):
                kind.remind(rows, phase)
    assert {kind.name for kind in kinds} <= set(composed)
    assert {"drp-reminder", "drp-agency-stage", "drp-agency-reminder", "lado-reminder"} <= set().union(
        *(composed[kind.name] for kind in kinds))


def test_the_sweeps_messages_take_the_plain_path(org, composed):
    raise_on(org, date(2026, 11, 2))
    composed["current"] = "sweep"
    assert run_sweep(date(2027, 1, 5), kinds=["drp-stage"])
    assert composed["sweep"] == {"drp-reminder"}


def _template(source: str):
    from django.template import engines

    return engines["django"].engine.from_string(source)


def _django_and_plain(source: str, data: dict):
    """What Django renders from ``source`` with ``data``, and its plain function (or None)."""
    from django.template import Context

    from notifications.plain_templates import plain_renderer

    template = _template(source)
    return template.render(Context(data, autoescape=template.engine.autoescape)), plain_renderer(template)


class Person:
    def __init__(self, name, email=""):
        self.name, self.email = name, email

    def get_full_name(self):
        return self.name

    def delete(self):  # pragma: no cover - must never be called from a template
        raise AssertionError("called a method that alters data")

    delete.alters_data = True

    def __str__(self):
        return f"{self.name} <{self.email}>"


PLAIN_CASES = [
    # autoescape on (the engine's default) and off, markup and safe strings
    ("{{ a }} & {{ b }}", {"a": "<b>&'\"", "b": mark_safe("<i>safe</i>")}),
    ("{% autoescape off %}{{ a }} {{ b }}{% endautoescape %}", {"a": "<b>&", "b": mark_safe("<i>")}),
    ("{% autoescape off %}{{ p }}|{{ p.name }}|{{ p.get_full_name }}{% endautoescape %}",
     {"p": Person("Ann <Lee>", "a@x")}),
    ("{{ p }}|{{ p.get_full_name|default:p.email }}", {"p": Person("", "a@x")}),
    # numbers, dates and times as Django localises them; aware datetimes in local time
    ("{{ n }} {{ f }} {{ d }} {{ t }} {{ yes }} {{ none }}",
     {"n": 1234567, "f": 2.5, "d": date(2026, 12, 3), "t": datetime(2026, 12, 3, 23, 30, tzinfo=UTC),
      "yes": True, "none": None}),
    ('{{ d|date:"l j F Y" }} {{ t|date:"H:i" }} {{ t|time }}',
     {"d": date(2026, 12, 3), "t": datetime(2026, 7, 3, 23, 30, tzinfo=UTC)}),
    # filters: is_safe, needs_autoescape, arguments constant and variable
    ('{{ s|default:"the team" }}|{{ s|default:other }}|{{ text|linebreaksbr }}|{{ text|upper|truncatechars:5 }}',
     {"s": "", "other": "<x>", "text": "a\n<b>"}),
    ('{% autoescape off %}{{ text|linebreaksbr }}{{ n|add:"2" }}{% endautoescape %}', {"text": "a\n<b>", "n": 1}),
    # if / elif / else on a variable, True / None
    ("{% if a %}A{{ a }}{% elif b %}B{% else %}C{% endif %}{% if None %}x{% endif %}{% if True %}y{% endif %}",
     {"a": "", "b": [1]}),
    # a name missing from the context: "" (then filtered) in a variable, false in an if
    ("{{ missing }}|{{ missing|default:'none' }}|{% if missing %}x{% else %}y{% endif %}", {}),
    ("{% comment %}not shown{% endcomment %}{# nor this #}{% load static %}{{ 'lit' }}{{ 3 }}{{ _('Due') }}", {}),
]


@pytest.mark.parametrize("source,data", PLAIN_CASES)
def test_plain_renderer_gives_the_text_django_gives(source, data):
    expected, render = _django_and_plain(source, data)
    assert render is not None
    assert render(data) == expected


@pytest.mark.parametrize("source,data", [
    ("{{ p.nothing }}", {"p": Person("Ann")}),  # string_if_invalid
    ("{{ d.key }}", {"d": {"key": "dict look-ups go through []"}}),
    ("{{ p.delete }}", {"p": Person("Ann")}),  # alters_data: never called
    ("{{ p.name.upper }}", {"p": None}),
    ("{{ p.name|default:missing }}", {"p": Person("")}),  # a missing filter argument
])
def test_plain_renderer_leaves_all_but_the_common_path_to_django(source, data):
    """Django renders these (or raises, for the missing argument) as it always did."""
    from notifications.plain_templates import NotPlain, plain_renderer

    with pytest.raises(NotPlain):
        plain_renderer(_template(source))(data)


@pytest.mark.parametrize("source", [
    "{% for x in xs %}{{ x }}{% endfor %}",
    "{% if a and b %}x{% endif %}",
    "{% if a == 1 %}x{% endif %}",
    "{% with x=a %}{{ x }}{% endwith %}",
    "{% url 'drp:detail' 1 %}",
    "{% load i18n %}{% translate 'Due' %}",
    '{% now "Y" %}',
])
def test_plain_renderer_refuses_templates_it_does_not_reproduce(source):
    from notifications.plain_templates import plain_renderer

    assert plain_renderer(_template(source)) is None


def test_message_templates_fall_back_to_django_for_a_message_off_the_common_path(org):
    """A value the plain functions do not handle (here a DRP without the attributes the template
    reads) is composed by Django, with its string_if_invalid, exactly as render_message composes it."""
    templates = MessageTemplates()
    context = {"drp": object(), "headline": "h", "detail": "d", "prompt": ""}
    assert templates.render("drp-reminder", context) == render_message("drp-reminder", context)


def test_the_sweep_pauses_the_garbage_collector_per_batch_and_leaves_it_as_it_found_it(org, monkeypatch):
    """Off while a batch is reminded (its objects stay alive until it is sent), on again after,
    even when the batch fails; and left off if it was off."""
    import dataclasses
    import gc

    from workflows import reminders

    raise_on(org, date(2026, 11, 2))
    kind = next(k for k in reminders.registered() if k.name == "drp-stage")
    seen = []

    def remind(rows, phase):
        seen.append(gc.isenabled())
        raise RuntimeError("the batch fails")

    monkeypatch.setitem(reminders._registry, "drp-stage", dataclasses.replace(kind, remind=remind))
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        run_sweep(date(2027, 1, 5), kinds=["drp-stage"])
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(RuntimeError):
            run_sweep(date(2027, 1, 5), kinds=["drp-stage"])
        assert not gc.isenabled()
    finally:
        gc.enable()
