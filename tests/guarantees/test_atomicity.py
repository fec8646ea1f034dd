"""A database error part-way through a change leaves nothing half-written.

Each service runs in one transaction: the case row, its stage records, their history rows, the
timeline event and the notifications are all written, or none is. Here a real database error
(a NOT NULL violation raised by the database itself) is injected at each step after the case
has already been changed in the transaction, and everything is compared with how it was before.
Emails leave only after commit (``transaction.on_commit``), so a rolled-back change sends none.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core import mail
from django.db import DatabaseError, connection, models

from drp import services as drp_services
from drp.models import DisputeResolution, Stage, StageRecord, Theme
from drp.models import TimelineEvent as DrpTimelineEvent
from lado import services as lado_services
from lado.models import Enquiry
from lado.models import TimelineEvent as DoTimelineEvent
from notifications import services as notification_services
from notifications.models import Notification
from tests.support.lado_fixtures import at, in_progress
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db


def fail_in_database(model: type[models.Model]):
    """A stand-in for ``model.save`` that makes the database itself refuse an insert into the
    model's table (a NOT NULL violation), as a full disk or a lost constraint race would."""
    table = connection.ops.quote_name(model._meta.db_table)

    def save(self, *args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({connection.ops.quote_name(model._meta.pk.column)}) "
                           "VALUES (NULL)")
        raise AssertionError("the database accepted a NULL key")

    return save


def rows(queryset: models.QuerySet) -> list[dict]:
    return list(queryset.order_by("pk").values())


def drp_state(drp: DisputeResolution) -> dict[str, list[dict]]:
    """Everything an escalation writes, read straight from the database."""
    history = DisputeResolution.history.model.objects.filter(id=drp.pk)
    return {
        "drp": rows(DisputeResolution.objects.filter(pk=drp.pk)),
        "stage_records": rows(StageRecord.objects.filter(drp_id=drp.pk)),
        "drp_history": rows(history),
        "stage_history": rows(StageRecord.history.model.objects.filter(drp_id=drp.pk)),
        "timeline": rows(DrpTimelineEvent._base_manager.filter(drp_id=drp.pk)),
        "notifications": rows(Notification.objects.all()),
    }


def do_state(enquiry: Enquiry) -> dict[str, list[dict]]:
    return {
        "enquiry": rows(Enquiry.objects.filter(pk=enquiry.pk)),
        "history": rows(Enquiry.history.model.objects.filter(id=enquiry.pk)),
        "timeline": rows(DoTimelineEvent._base_manager.filter(enquiry_id=enquiry.pk)),
    }


@pytest.fixture
def drp(org):
    """An open DRP at Stage 1; escalating it changes the DRP, closes one stage record and opens
    another (each with a history row), adds a timeline event and tells the Stage 2 addressee."""
    return drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                  themes=[Theme.objects.get(slug="placement")], concern="Plan has drifted",
                                  stage=Stage.objects.get(key="stage-1"))


def escalate(org, drp):
    return drp_services.drp_escalate(drp=drp, actor=org.iro, reason="No response from the team")


# Where the escalation is made to fail, in the order it writes: by then the DRP row has
# already been changed in the transaction (except for the first, which fails on the way).
DRP_FAILURES = {
    "closing the stage record's history": lambda: StageRecord.history.model,
    "the DRP's history row": lambda: DisputeResolution.history.model,
    "the timeline event": lambda: DrpTimelineEvent,
    "the notification": lambda: Notification,
}


@pytest.mark.parametrize("step", list(DRP_FAILURES))
def test_a_database_error_during_an_escalation_leaves_the_drp_as_it_was(
        org, drp, step, monkeypatch, django_capture_on_commit_callbacks):
    failing = DRP_FAILURES[step]()
    before = drp_state(drp)
    mail.outbox = []
    if failing is Notification:
        # Notifications are written in one insert (``write_notifications``: raw SQL on
        # PostgreSQL, bulk_create elsewhere); make that the statement that fails.
        monkeypatch.setattr(notification_services, "write_notifications",
                            lambda rows, **kw: fail_in_database(Notification)(None))
    else:
        monkeypatch.setattr(failing, "save", fail_in_database(failing))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(DatabaseError):
            escalate(org, drp)

    assert drp_state(drp) == before
    assert callbacks == [] and mail.outbox == []  # no email queued for a change that never was
    monkeypatch.undo()
    # The same escalation succeeds once the fault is gone: the failure poisoned nothing.
    with django_capture_on_commit_callbacks(execute=True):
        escalated = escalate(org, drp)
    after = drp_state(drp)
    assert escalated.stage.key == "stage-2"
    assert len(after["drp_history"]) == len(before["drp_history"]) + 1
    assert len(after["stage_records"]) == len(before["stage_records"]) + 1
    assert len(after["timeline"]) == len(before["timeline"]) + 1
    assert len(after["notifications"]) > len(before["notifications"]) and mail.outbox


def test_the_failure_is_really_after_the_drp_row_changed(org, drp, monkeypatch):
    """Guard for the test above: at the moment the timeline insert fails, this transaction has
    already saved the DRP at its new stage, so the rollback is what undoes it."""
    seen = {}
    fail = fail_in_database(DrpTimelineEvent)

    def spy(self, *args, **kwargs):
        seen["stage"] = DisputeResolution.objects.values_list("stage__key", flat=True).get(pk=drp.pk)
        seen["history"] = DisputeResolution.history.filter(id=drp.pk).count()
        return fail(self)

    monkeypatch.setattr(DrpTimelineEvent, "save", spy)
    with pytest.raises(DatabaseError):
        escalate(org, drp)
    assert seen == {"stage": "stage-2", "history": 2}
    drp.refresh_from_db()
    assert drp.stage.key == "stage-1" and drp.history.count() == 1


@pytest.fixture
def do_case(org):
    with as_of(date(2025, 3, 3)):
        return in_progress(org, received_at=at(date(2025, 3, 3)))


@pytest.mark.parametrize("step", ["the case's history row", "the timeline event"])
def test_a_database_error_while_concluding_a_do_case_leaves_it_open(org, do_case, step, monkeypatch):
    failing = Enquiry.history.model if step == "the case's history row" else DoTimelineEvent
    before = do_state(do_case)
    monkeypatch.setattr(failing, "save", fail_in_database(failing))

    with pytest.raises(DatabaseError):
        lado_services.enquiry_conclude(enquiry=do_case, actor=org.designated_officer, outcome="unfounded")

    assert do_state(do_case) == before
    do_case.refresh_from_db()
    assert do_case.status == Enquiry.Status.IN_PROGRESS and do_case.closed_on is None
    monkeypatch.undo()
    concluded = lado_services.enquiry_conclude(enquiry=do_case, actor=org.designated_officer, outcome="unfounded")
    assert concluded.status == Enquiry.Status.CONCLUDED
    assert len(do_state(do_case)["timeline"]) == len(before["timeline"]) + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_other_connection_ever_sees_the_half_written_escalation(org, monkeypatch):
    """With real commits: while the failing escalation is mid-way (the DRP saved at Stage 2,
    the timeline insert about to fail) another connection still reads Stage 1, and afterwards
    too; the row lock is released by the rollback, so the next escalation goes through."""
    drp = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                 themes=[Theme.objects.get(slug="placement")], concern="Plan has drifted",
                                 stage=Stage.objects.get(key="stage-1"))
    fail = fail_in_database(DrpTimelineEvent)
    seen = {}

    def read_elsewhere():
        try:
            seen["stage"] = DisputeResolution.objects.values_list("stage__key", flat=True).get(pk=drp.pk)
            seen["timeline"] = DrpTimelineEvent.objects.filter(drp_id=drp.pk).count()
        finally:
            connection.close()

    def spy(self, *args, **kwargs):
        reader = threading.Thread(target=read_elsewhere)
        reader.start()
        reader.join(timeout=30)
        return fail(self)

    monkeypatch.setattr(DrpTimelineEvent, "save", spy)
    with pytest.raises(DatabaseError):
        escalate(org, drp)
    assert seen == {"stage": "stage-1", "timeline": 1}
    monkeypatch.undo()

    reader = threading.Thread(target=read_elsewhere)
    reader.start()
    reader.join(timeout=30)
    assert seen == {"stage": "stage-1", "timeline": 1}
    assert escalate(org, drp).stage.key == "stage-2"
    assert DisputeResolution.history.filter(id=drp.pk).count() == 2
