"""Reminders and emails through real Celery workers and a real Redis broker.

Two or four workers (threads of this process, via celery.contrib.testing) consume from Redis;
the database is the test database (PostgreSQL, or a file SQLite), committed for real
(``transaction=True``) so the workers see it. ``FOOTPRINT_TEST_REDIS_URL`` picks the Redis
database (flushed before and after each test).
"""

import os
import threading
import time
from collections import Counter
from contextlib import ExitStack
from datetime import date, timedelta

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_prerun
from celery.worker import WorkController
from django.core import mail
from django.db import connection
from kombu.exceptions import OperationalError as KombuOperationalError

from drp import services
from drp.models import DisputeResolution, Stage, Theme
from notifications.models import Notification
from tests.conftest import skip_or_fail
from tests.support.email_backends import FlakyBackend
from tests.support.ports import free_port as closed_port
from workflows.calendar import add_working_days
from workflows.clocks import as_of
from workflows.models import ReminderLog

REDIS_URL = os.environ.get("FOOTPRINT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def redis_available() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


def _app(name: str, current: bool) -> Celery:
    app = Celery(name, set_as_current=current)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False,
                    broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)
    app.loader.import_default_modules()
    return app


@pytest.fixture
def worker_app(settings):
    """The app tasks are sent with; each worker gets an app (and connections) of its own."""
    if not redis_available():
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}")
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        skip_or_fail("the real-worker test needs PostgreSQL or a file SQLite test database")
    import redis

    import notifications.tasks  # noqa: F401  (shared tasks register on every app)
    import workflows.tasks  # noqa: F401
    from config.celery_app import app as project_app

    redis.Redis.from_url(REDIS_URL).flushdb()
    yield _app("footprint-producer", current=True)
    project_app.set_current()
    redis.Redis.from_url(REDIS_URL).flushdb()


def start_workers(app, count):
    """Start ``count`` workers. kombu's asynchronous hub is one per process, so two workers in
    one process would steal each other's Redis reads; the synchronous loop gives each its own."""
    stack = ExitStack()
    patcher = pytest.MonkeyPatch()
    patcher.setattr(WorkController, "should_use_eventloop", lambda self: False)
    stack.callback(patcher.undo)
    for n in range(count):
        worker = _app(f"footprint-worker{n}", current=False)
        stack.enter_context(start_worker(worker, pool="solo", concurrency=1, perform_ping_check=False,
                                         hostname=f"worker{n}@footprint-test", shutdown_timeout=30))
    app.set_current()
    return stack


def overdue_drps(org, count):
    themes = [Theme.objects.get(slug="placement")]
    for _ in range(count):
        with as_of(date(2026, 10, 1)):
            services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA", themes=themes,
                               concern="x", stage=Stage.objects.get(key="stage-2"))


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_sweep_run_concurrently_by_two_workers_sends_each_reminder_once(org, worker_app, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    overdue_drps(org, 12)
    Notification.objects.all().delete()
    mail.outbox = []
    hosts = []

    def seen(sender=None, **kwargs):
        hosts.append(threading.get_ident())

    task_prerun.connect(seen, weak=False)
    try:
        with start_workers(worker_app, 2):
            from workflows.tasks import run_reminder_sweep

            results = [run_reminder_sweep.apply_async(kwargs={}, headers={}) for _ in range(10)]
            counts = [r.get(timeout=120) for r in results]
            # Every reminder is one notification per recipient and one email each.
            assert wait_for(lambda: len(mail.outbox) == Notification.objects.count(), timeout=60), (
                len(mail.outbox), Notification.objects.count(),
                Notification.objects.filter(emailed_at__isnull=True).count())
    finally:
        task_prerun.disconnect(seen)
    logged = ReminderLog.objects.count()
    assert sum(counts) == logged
    # Raised 1 October at Stage 2: the stage response and the overall limit are both overdue.
    assert logged == 24
    assert logged == ReminderLog.objects.values("kind", "object_id", "phase", "due").distinct().count()
    recipients = list(Notification.objects.values_list("recipient__username", "subject"))
    assert len(recipients) == len(set(recipients))
    assert len(mail.outbox) == len(recipients)
    # Both workers took tasks.
    assert len(set(hosts)) == 2


def test_failing_email_is_retried_and_delivered_once(org, worker_app, settings):
    settings.EMAIL_BACKEND = "tests.support.email_backends.FlakyBackend"
    FlakyBackend.failures_left, FlakyBackend.attempts = 2, 0
    mail.outbox = []
    with start_workers(worker_app, 2):
        services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                           themes=[Theme.objects.get(slug="placement")], concern="x",
                           stage=Stage.objects.get(key="stage-1"))
        # stage-1: the team manager and their manager (the service manager) are told.
        assert wait_for(lambda: len(mail.outbox) == 2, timeout=60), FlakyBackend.attempts
        time.sleep(2)  # any duplicate would arrive within the backoff window
    assert sorted(m.to[0] for m in mail.outbox) == ["service-manager@example.org", "team-manager@example.org"]
    assert FlakyBackend.attempts == 4
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


# --- Many workers, and a day without the broker ----------------------------------------------

def _sweep_day(monkeypatch, day: date) -> None:
    """Make the workers' sweep run as if today were ``day`` (the sweep's ``on`` date)."""
    monkeypatch.setattr("workflows.reminders.clock_today", lambda: day)


def drp_due_on(org, due: date) -> DisputeResolution:
    """A DRP raised at Stage 2 on the working day that makes its stage response, and the overall
    formal limit, fall due on ``due`` (a ladder whose Stage 2 takes the whole 20 working days)."""
    Stage.objects.filter(key="stage-2").update(working_days=20)
    stage = Stage.objects.get(key="stage-2")
    raised = due - timedelta(days=20)
    while add_working_days(raised, stage.working_days) != due:
        raised -= timedelta(days=1)
    with as_of(raised):
        drp = services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                 themes=[Theme.objects.get(slug="placement")], concern="x", stage=stage)
    assert drp.stage_due_date == due == drp.overall_due_date
    return drp


def sent_log() -> set[tuple[str, int, str, date]]:
    return set(ReminderLog.objects.values_list("kind", "object_id", "phase", "due"))


def stage_record_id(drp: DisputeResolution) -> int:
    return drp.stage_records.get(ended_on__isnull=True).pk


def assert_each_reminder_told_once() -> None:
    """Every reminder in the log is one set of notifications, each emailed once."""
    # The worker appends to the outbox just before it commits ``emailed_at``: wait for both.
    assert wait_for(lambda: len(mail.outbox) == Notification.objects.count()
                    and not Notification.objects.filter(emailed_at__isnull=True).exists(), timeout=60), (
        len(mail.outbox), Notification.objects.count(),
        Notification.objects.filter(emailed_at__isnull=True).count())
    told = list(Notification.objects.values_list("recipient__username", "subject"))
    assert len(told) == len(set(told))
    emailed = [(m.to[0], m.subject) for m in mail.outbox]
    assert len(emailed) == len(set(emailed)) == len(told)



def test_four_workers_running_forty_sweeps_at_once_send_each_reminder_once(org, worker_app, settings,
                                                                           monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    day = date(2025, 6, 11)  # a Wednesday
    overdue = [drp_due_on(org, date(2025, 5, 28)) for _ in range(8)]      # stage and overall limit
    due_today = [drp_due_on(org, day) for _ in range(4)]                   # the stage response
    due_soon = [drp_due_on(org, add_working_days(day, 3)) for _ in range(4)]
    Notification.objects.all().delete()
    mail.outbox = []
    _sweep_day(monkeypatch, day)
    hosts = []

    def seen(sender=None, **kwargs):
        hosts.append(threading.get_ident())

    task_prerun.connect(seen, weak=False)
    began = time.perf_counter()
    try:
        with start_workers(worker_app, 4):
            from workflows.tasks import run_reminder_sweep

            results = [run_reminder_sweep.apply_async(kwargs={}, headers={}) for _ in range(40)]
            counts = [r.get(timeout=180) for r in results]
            assert_each_reminder_told_once()
    finally:
        task_prerun.disconnect(seen)
    elapsed = time.perf_counter() - began
    expected = (
        {("drp-stage", stage_record_id(d), "overdue", date(2025, 5, 28)) for d in overdue}
        | {("drp-overall", d.pk, "overdue", date(2025, 5, 28)) for d in overdue}
        | {("drp-stage", stage_record_id(d), "due-today", day) for d in due_today}
        | {("drp-stage", stage_record_id(d), "due-soon", add_working_days(day, 3)) for d in due_soon}
    )
    assert sent_log() == expected and len(expected) == 24
    assert ReminderLog.objects.count() == 24
    assert sum(counts) == 24  # the 40 sweeps between them sent 24 reminders, not 24 each
    print(f"4 workers x 40 sweeps: {Counter(c > 0 for c in counts)[True]} sweeps sent something, "
          f"{sum(counts)} reminders, {Notification.objects.count()} notifications, "
          f"{len(mail.outbox)} emails in {elapsed:.1f}s")
    assert len(set(hosts)) == 4  # all four workers took tasks


def test_a_day_without_the_broker_is_caught_up_by_the_next_sweep(org, worker_app, settings, monkeypatch):
    """Tuesday's sweep runs; on Wednesday the broker is down, so beat cannot queue a sweep all
    day; on Thursday it is back and one sweep sends every reminder that fell due meanwhile,
    once. A deadline due on the missed Wednesday is reminded as overdue (its phase now), not as
    a stale "due today"; one that entered its due-soon window on Wednesday gets its due-soon."""
    from workflows.tasks import run_reminder_sweep

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tuesday, wednesday, thursday = date(2025, 6, 10), date(2025, 6, 11), date(2025, 6, 12)
    due_wednesday = drp_due_on(org, wednesday)
    soon_from_wednesday = drp_due_on(org, add_working_days(wednesday, 5))  # outside Tuesday's window
    due_thursday = drp_due_on(org, thursday)
    long_overdue = drp_due_on(org, date(2025, 5, 28))
    Notification.objects.all().delete()
    mail.outbox = []

    with start_workers(worker_app, 4):
        _sweep_day(monkeypatch, tuesday)
        assert run_reminder_sweep.apply_async(kwargs={}, headers={}).get(timeout=120) == 4
        assert_each_reminder_told_once()
        tuesday_log = sent_log()
        assert tuesday_log == {
            ("drp-stage", stage_record_id(due_wednesday), "due-soon", wednesday),
            ("drp-stage", stage_record_id(due_thursday), "due-soon", thursday),
            ("drp-stage", stage_record_id(long_overdue), "overdue", date(2025, 5, 28)),
            ("drp-overall", long_overdue.pk, "overdue", date(2025, 5, 28)),
        }

        # Wednesday: the broker is unreachable; every attempt to queue the sweep fails.
        _sweep_day(monkeypatch, wednesday)
        unplugged = _app("footprint-beat-unplugged", current=False)
        unplugged.conf.update(broker_url=f"redis://127.0.0.1:{closed_port()}/7",
                              broker_connection_timeout=1)
        for _ in range(3):  # beat tries every 15 minutes
            with pytest.raises(KombuOperationalError, match="111|refused"):
                unplugged.send_task("workflows.tasks.run_reminder_sweep", retry=False)
        worker_app.set_current()
        time.sleep(1)
        assert sent_log() == tuesday_log  # nothing ran

        # Thursday: the broker is back; one sweep catches up.
        _sweep_day(monkeypatch, thursday)
        caught_up = run_reminder_sweep.apply_async(kwargs={}, headers={}).get(timeout=120)
        assert_each_reminder_told_once()
        assert sent_log() - tuesday_log == {
            ("drp-stage", stage_record_id(due_wednesday), "overdue", wednesday),
            ("drp-overall", due_wednesday.pk, "overdue", wednesday),
            ("drp-stage", stage_record_id(soon_from_wednesday), "due-soon", add_working_days(wednesday, 5)),
            ("drp-stage", stage_record_id(due_thursday), "due-today", thursday),
        }
        assert caught_up == 4
        # Beat's next runs that day, four at once, find nothing more to send.
        again = [run_reminder_sweep.apply_async(kwargs={}, headers={}) for _ in range(4)]
        assert [r.get(timeout=120) for r in again] == [0, 0, 0, 0]
        assert_each_reminder_told_once()
    assert ReminderLog.objects.count() == 8
