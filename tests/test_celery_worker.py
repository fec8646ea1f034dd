"""Reminders and emails through real Celery workers and a real Redis broker.

Two workers (threads of this process, via celery.contrib.testing) consume from Redis; the
database is the test database (PostgreSQL, or a file SQLite), committed for real
(``transaction=True``) so the workers see it.
"""

import os
import threading
import time
from contextlib import ExitStack
from datetime import date

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_prerun
from celery.worker import WorkController
from django.core import mail
from django.db import connection

from drp import services
from drp.models import Stage, Theme
from notifications.models import Notification
from workflows.clocks import as_of
from workflows.models import ReminderLog

from .conftest import skip_or_fail
from .email_backends import FlakyBackend

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
    settings.EMAIL_BACKEND = "tests.email_backends.FlakyBackend"
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
