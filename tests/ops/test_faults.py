"""Faults stop nothing and lose nothing (issue 15): the production stack, with Redis frozen and
stopped, Celery workers killed between sending an email and recording it, and the database
connection dropped or refused.

Real processes throughout: a private Redis (``redis-server --port N --save ''``), gunicorn with
two workers and the production settings, two Celery workers (prefork, one pool process each),
all on one throwaway PostgreSQL database (on SQLite runs too, against the local server, like
tests/ops/test_stateless_web.py). The workers email into a file they share
(``tests.support.email_backends.FileOutboxBackend``), which also plants the faults; the test sends beat's
catch-up task itself. Timings are shortened so the module runs in about two minutes: an 8 s
email claim, a 6 s visibility timeout (abandoned tasks looked for every second), a 2 s grace
before the catch-up job queues an email again and a 3 s broker pause.

What it shows is the delivery guarantee of notifications/services.py:

* every write the web tier answered 201 is in the database and every write in the database was
  answered 201 (no committed write reported as failed); no request waits on Redis;
* every notification is emailed at least once, and exactly once except the one whose worker was
  killed between the mail server taking it and ``emailed_at`` being written: that one is sent a
  second time when its claim runs out, not before;
* with the database unreachable, pages and the API answer 503 with ``Retry-After``, never 500.

Run with ``-s`` to see the figures.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import requests
from psycopg import sql

from tests.conftest import skip_or_fail
from tests.ops.test_stateless_web import GUNICORN, PROXY, Server, csrf_token, new_cookies
from tests.support.throwaway_db import (
    ROOT,
    manage,
    production_env,
    require_postgres,
    server_url,
    throwaway_database,
)

REDIS_SERVER = shutil.which("redis-server")
CELERY = Path(sys.executable).with_name("celery")
LEASE = 8        # FOOTPRINT_EMAIL_LEASE_SECONDS
VISIBILITY = 6   # CELERY_VISIBILITY_TIMEOUT
GRACE = 2        # FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS
PAUSE = 3        # FOOTPRINT_BROKER_PAUSE_SECONDS
PASSWORD = "Faults-stop-nothing-2024"

SETTINGS = '''\
from config.settings.production import *  # noqa: F401,F403

STORAGES = {**STORAGES, "staticfiles": {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Abandoned tasks are looked for every second (by default every 100 s or so).
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
                                   "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
'''

SETUP = f'''
import json
from children.models import Child
from people.models import Role, Team, User
from people.tokens import issue

def person(username, role, team=None):
    user = User.objects.create_user(username, email=f"{{username}}@example.org", password={PASSWORD!r},
                                    first_name=username.replace("-", " ").title(), last_name="Fault",
                                    team=team)
    user.roles.set(Role.objects.filter(slug=role))
    return user

director = person("director", "director")
directorate = Team.objects.create(name="Children's Services", slug="childrens-services", manager=director)
service_manager = person("service-manager", "service-manager")
area = Team.objects.create(name="North Area", slug="north-area", parent=directorate, manager=service_manager)
team_manager = person("team-manager", "team-manager")
team = Team.objects.create(name="North Team 1", slug="north-1", parent=area, manager=team_manager)
team_manager.team = team
team_manager.save()
social_worker = person("social-worker", "social-worker", team)
iro = person("iro", "iro")
child = Child.objects.create(reference="C000001", name="Amy Example", case_type="CLA", team=team,
                             social_worker=social_worker)
print("FAULTS-SETUP " + json.dumps({{"token": issue(iro, verified=True)[1], "child": child.pk}}))
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Redis:
    """A private redis-server on its own port, no persistence: stopped, it forgets its queue."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = log_dir / "redis.log"
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=open(self.log_path, "a"), stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_for(self.ping, 20, "redis-server to answer")

    def ping(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1).ping()
        except redis.RedisError:
            return False

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            self.process.wait(timeout=20)


class Worker:
    """``celery worker`` as production runs it (prefork), one pool process, its own log."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"worker-{name}.log"
        self._log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [str(CELERY), "-A", "config.celery_app", "worker", "--pool", "prefork", "--concurrency", "1",
             "--hostname", f"{name}@faults", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_ready(self, timeout: float = 90):
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"worker {self.name} exited:\n{self.log_path.read_text()[-4000:]}")
            return f"{self.name}@faults ready" in self.log_path.read_text()
        wait_for(ready, timeout, f"worker {self.name}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self):
        """SIGKILL the whole worker, main process and pool: no warm shutdown, nothing handed back."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self):
        if self.alive():
            self.process.terminate()  # warm shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # any pool process left behind
        except ProcessLookupError:
            pass
        self._log.close()


class Stack:
    """The running stack and what the tests ask of it."""

    def __init__(self, tmp: Path, url: str, env: dict, redis: Redis, token: str, child: int):
        self.tmp, self.url, self.env, self.redis = tmp, url, env, redis
        self.token, self.child = token, child
        self.outbox = Path(env["FOOTPRINT_TEST_OUTBOX"])
        self.faults = Path(env["FOOTPRINT_TEST_FAULTS"])
        self.web: Server | None = None
        self.workers: dict[str, Worker] = {}
        self.answered: list[tuple[int, int | None]] = []  # (status, DRP id) of every write sent
        self.sent_twice: set[int] = set()  # the crash window, as planted

    # --- processes
    def start_worker(self, name: str) -> Worker:
        worker = Worker(name, self.env, self.tmp)
        self.workers[name] = worker
        worker.wait_until_ready()
        return worker

    # --- requests
    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30) -> requests.Response:
        return requests.request(method, f"{self.web.base}{path}", json=body, timeout=timeout,
                                headers={**PROXY, "Authorization": f"Token {self.token}"})

    def raise_drp(self) -> tuple[int, float, int | None]:
        """POST /api/v1/drps/ (stage 1: the team manager and the service manager are told).
        Returns status, seconds taken and the new DRP's id."""
        started = time.perf_counter()
        response = self.api("POST", "/api/v1/drps/", {"children": [self.child], "case_type": "CLA",
                                                   "themes": ["placement"], "concern": "Drift in the plan",
                                                   "stage": "stage-1"})
        elapsed = time.perf_counter() - started
        drp = response.json().get("id") if response.status_code == 201 else None
        self.answered.append((response.status_code, drp))
        return response.status_code, elapsed, drp

    # --- the database
    def query(self, statement: str, params=()) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(statement, params).fetchall()

    def drp_ids(self) -> set[int]:
        return {row[0] for row in self.query("SELECT id FROM drp_disputeresolution")}

    def last_notification(self) -> int:
        return self.query("SELECT coalesce(max(id), 0) FROM notifications_notification")[0][0]

    def notifications_after(self, last: int) -> list[int]:
        return [row[0] for row in self.query(
            "SELECT id FROM notifications_notification WHERE id > %s ORDER BY id", [last])]

    def unemailed(self) -> list[int]:
        return [row[0] for row in self.query(
            "SELECT id FROM notifications_notification WHERE emailed_at IS NULL ORDER BY id")]

    # --- the mail server
    def sent(self) -> list[dict]:
        entries = []
        for line in self.outbox.read_text().splitlines():
            entry = json.loads(line)
            match = re.search(r"footprint\.notification\.(\d+)@", entry["message_id"] or "")
            entry["notification"] = int(match.group(1)) if match else None
            entries.append(entry)
        return entries

    def sends_of(self, notification: int) -> list[dict]:
        return [entry for entry in self.sent() if entry["notification"] == notification]

    def wait_until_all_emailed(self, timeout: float = 60) -> None:
        """Every notification recorded as emailed, and in the outbox."""
        def done():
            emailed = {entry["notification"] for entry in self.sent()}
            return not self.unemailed() and set(self.notifications_after(0)) <= emailed
        wait_for(done, timeout, f"every notification to be emailed (unemailed: {self.unemailed()})", 0.5)

    def catch_up(self) -> None:
        """What beat does every 2 minutes: queue notifications.tasks.queue_pending_emails."""
        from celery import Celery

        time.sleep(GRACE + 0.5)
        beat = Celery("faults-beat", broker=self.redis.url, set_as_current=False)
        try:
            beat.send_task("notifications.tasks.queue_pending_emails")
        finally:
            beat.close()

    @contextmanager
    def database_refusing(self):
        """The database stops accepting connections and drops those it has: as if it were down."""
        name = self.url.rsplit("/", 1)[1]
        with psycopg.connect(server_url(), autocommit=True) as admin:
            admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
            try:
                yield
            finally:
                admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_postgres()
    for program, path in (("redis-server", REDIS_SERVER), ("gunicorn", GUNICORN), ("celery", CELERY)):
        if not path or not Path(path).exists():
            skip_or_fail(f"{program} is not installed")
    tmp = tmp_path_factory.mktemp("faults")
    (tmp / "footprint_faults_settings.py").write_text(SETTINGS)
    (tmp / "outbox.jsonl").touch()
    (tmp / "faults").mkdir()
    started = time.perf_counter()
    redis = Redis(tmp)
    try:
        with throwaway_database("footprint_faults_test") as url:
            env = production_env(
                url, DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_SETTINGS_MODULE="footprint_faults_settings",
                PYTHONPATH=os.pathsep.join([str(tmp), str(ROOT)]), GUNICORN_LOG_LEVEL="warning",
                CELERY_BROKER_URL=redis.url, DJANGO_EMAIL_BACKEND="tests.support.email_backends.FileOutboxBackend",
                FOOTPRINT_TEST_OUTBOX=str(tmp / "outbox.jsonl"), FOOTPRINT_TEST_FAULTS=str(tmp / "faults"),
                FOOTPRINT_EMAIL_LEASE_SECONDS=str(LEASE), CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY),
                FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS=str(GRACE), FOOTPRINT_BROKER_PAUSE_SECONDS=str(PAUSE),
                CELERY_LOG_LEVEL="INFO")
            manage("migrate", "--noinput", env=env)
            out = manage("shell", "-c", SETUP, env=env).stdout
            setup = json.loads(out.split("FAULTS-SETUP ", 1)[1].splitlines()[0])
            running = Stack(tmp, url, env, redis, setup["token"], setup["child"])
            running.web = Server("web", env, tmp, workers=2)
            try:
                for name in ("worker1", "worker2"):  # all four start at once
                    running.workers[name] = Worker(name, env, tmp)
                running.web.wait_until_ready()
                for worker in running.workers.values():
                    worker.wait_until_ready()
                print(f"\nfault stack up in {time.perf_counter() - started:.1f} s")
                yield running
            finally:
                for worker in running.workers.values():
                    worker.stop()
                running.web.stop()
    finally:
        redis.stop()


def load(stack: Stack, seconds: float, threads: int = 4) -> tuple[list[tuple], float]:
    """DRPs raised from ``threads`` clients for ``seconds``: (status, seconds, id) of each, and
    how long the run took (until the last answer)."""
    started = time.perf_counter()

    def client():
        results = []
        while time.perf_counter() - started < seconds:
            results.append(stack.raise_drp())
        return results

    with ThreadPoolExecutor(threads) as pool:
        runs = [pool.submit(client) for _ in range(threads)]
        results = [result for run in runs for result in run.result()]
    return results, time.perf_counter() - started


def summary(results: list[tuple], took: float) -> str:
    times = sorted(elapsed for _, elapsed, _ in results)
    return (f"{len(results)} writes in {took:.1f} s ({len(results) / took:.1f}/s), "
            f"median {times[len(times) // 2] * 1000:.0f} ms, slowest {times[-1] * 1000:.0f} ms")


def assert_each_emailed_once(stack: Stack, notifications: list[int]) -> None:
    for notification in notifications:
        sends = stack.sends_of(notification)
        assert len(sends) == 1, (notification, sends)


def test_a_frozen_redis_holds_up_no_request_and_loses_no_email(stack):
    """Redis stopped by SIGSTOP (it accepts connections and never answers) for 8 s while four
    people keep saving DRPs: every write answers 201, about as fast as with Redis (each web
    process waits 0.5 s on it once per 3 s pause), health checks answer, and once it thaws
    every email goes, once. (Before: requests waited on Redis with no timeout, both web workers
    hung, gunicorn killed them and clients were told committed writes had failed.)"""
    status, _, _ = stack.raise_drp()
    assert status == 201
    stack.wait_until_all_emailed()
    baseline, baseline_took = load(stack, 3)
    last = stack.last_notification()
    before = stack.drp_ids()

    stack.redis.freeze()
    try:
        writes, took = load(stack, 8)
        health = requests.get(f"{stack.web.base}/healthz/", headers=PROXY, timeout=10)
    finally:
        stack.redis.thaw()

    assert {status for status, _, _ in baseline + writes} == {201}
    assert health.status_code == 200
    slowest, usual = max(e for _, e, _ in writes), max(e for _, e, _ in baseline)
    assert slowest < usual + 2, f"a write took {slowest:.2f} s with Redis frozen ({usual:.2f} s before)"
    # Every write answered 201 is saved, and nothing else was.
    assert stack.drp_ids() - before == {drp for _, _, drp in writes}
    print(f"\nRedis up:     {summary(baseline, baseline_took)}"
          f"\nRedis frozen: {summary(writes, took)}")

    stack.catch_up()
    stack.wait_until_all_emailed()
    assert_each_emailed_once(stack, stack.notifications_after(last))


def test_a_stopped_redis_costs_a_request_nothing_and_loses_no_email(stack):
    """Redis stopped (connections refused): writes answer 201 as fast as with it: each web
    process tries Redis once per 3 s pause, one refused connection, and not at all in between
    (before: ~0.6 s of retries for every email, throughput down from 10.8 to 1.9 writes a
    second). When it comes back, empty, the catch-up job queues every email, once."""
    stack.wait_until_all_emailed()
    last = stack.last_notification()
    # Two clients for two web workers: the time a write takes, without queueing for a worker.
    with_redis, with_took = load(stack, 3, threads=2)
    log_before = len(stack.web.log_path.read_text().splitlines())
    stack.redis.stop()
    try:
        writes, took = load(stack, 6, threads=2)
    finally:
        stack.redis.start()
    assert {status for status, _, _ in with_redis + writes} == {201}
    print(f"\nRedis up:      {summary(with_redis, with_took)}"
          f"\nRedis stopped: {summary(writes, took)}")
    median = lambda results: sorted(e for _, e, _ in results)[len(results) // 2]  # noqa: E731
    assert median(writes) < median(with_redis) + 0.3
    # The web processes asked Redis at most once per pause each, not once per email.
    lines = stack.web.log_path.read_text().splitlines()[log_before:]
    attempts = sum('"message": "Could not queue' in line for line in lines)
    assert 1 <= attempts <= 2 * (int(took / PAUSE) + 2) < len(writes), (attempts, len(writes))

    stack.catch_up()
    stack.wait_until_all_emailed(timeout=90)  # the workers reconnect first
    assert_each_emailed_once(stack, stack.notifications_after(last))


def test_a_worker_killed_between_sending_and_recording_sends_again_only_when_the_claim_runs_out(stack):
    """The crash window. The pool process is killed (SIGKILL) just after the mail server took
    the first of two emails and before ``emailed_at`` was written. Its task is handed back at
    once (reject on worker lost) and run again: the second email goes, once; the first is
    still claimed, so it goes again only when the claim runs out: twice in all, the second
    time no sooner than the claim's end."""
    stack.wait_until_all_emailed()
    last = stack.last_notification()
    (stack.faults / "kill-after-send").touch()
    status, _, _ = stack.raise_drp()
    assert status == 201
    first, second = stack.notifications_after(last)
    stack.wait_until_all_emailed(timeout=LEASE + 60)
    assert not (stack.faults / "kill-after-send").exists(), "the fault was never reached"

    killed = stack.sends_of(first)
    assert len(killed) == 2, killed
    gap = killed[1]["at"] - killed[0]["at"]
    assert LEASE - 1 <= gap <= LEASE + 30, f"sent again {gap:.1f} s later; the claim lasts {LEASE} s"
    assert killed[0]["pid"] != killed[1]["pid"]
    assert_each_emailed_once(stack, [second])
    stack.sent_twice.add(first)
    assert all(worker.alive() for worker in stack.workers.values())  # only the pool process died
    print(f"\nkilled after sending: sent again {gap:.1f} s later (claim {LEASE} s); the other email once")


def test_a_worker_killed_before_the_mail_server_took_the_email_delays_it_to_the_claims_end(stack):
    """A whole worker (main process and pool) killed while its email waits on the mail server.
    Its task, never acknowledged, goes to the other worker after the visibility timeout (an hour
    before); the email is still claimed by the dead worker, so it goes when the claim runs out:
    once, late by at most the claim."""
    stack.wait_until_all_emailed()
    last = stack.last_notification()
    (stack.faults / "hang-before-send").touch()
    raised_at = time.time()
    status, _, _ = stack.raise_drp()
    assert status == 201
    hanging = wait_for(lambda: (stack.faults / "hanging").exists() and (stack.faults / "hanging").read_text(),
                       30, "a worker to start sending")
    (stack.faults / "hanging").unlink()
    group = os.getpgid(int(hanging))
    [victim] = [name for name, worker in stack.workers.items() if worker.process.pid == group]
    stack.workers[victim].kill()

    stack.wait_until_all_emailed(timeout=VISIBILITY + LEASE + 60)
    notifications = stack.notifications_after(last)
    assert_each_emailed_once(stack, notifications)
    latest = max(stack.sends_of(n)[0]["at"] for n in notifications) - raised_at
    print(f"\nworker killed mid-send: its emails went {latest:.1f} s after the change, once each "
          f"(visibility {VISIBILITY} s, claim {LEASE} s)")
    assert latest <= VISIBILITY + LEASE + 30
    stack.start_worker(victim)


def test_a_database_connection_dropped_between_sending_and_recording_sends_once(stack):
    """The database ends the worker's connection just after the mail server took an email: the
    worker reconnects and records it, so it is not sent again."""
    stack.wait_until_all_emailed()
    last = stack.last_notification()
    (stack.faults / "drop-database-after-send").touch()
    status, _, _ = stack.raise_drp()
    assert status == 201
    stack.wait_until_all_emailed()
    assert not (stack.faults / "drop-database-after-send").exists(), "the fault was never reached"
    assert_each_emailed_once(stack, stack.notifications_after(last))
    logs = "".join(worker.log_path.read_text() for worker in stack.workers.values())
    assert "recording it failed, trying again" in logs


def test_while_the_database_refuses_connections_pages_and_api_answer_503_and_nothing_is_saved(stack):
    """The database down: health check, API reads and writes and pages answer 503 with
    Retry-After (the API in JSON, pages with GOV.UK's "Sorry, the service is unavailable"), not
    500; nothing is saved; once it is back the same write works."""
    page = stack.web.request("GET", "/accounts/login/", {})
    cookies = new_cookies(page, {})
    signed_in = stack.web.request("POST", "/accounts/login/", cookies, data={
        "username": "iro", "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(page.text)})
    assert signed_in.status_code == 302
    cookies = new_cookies(signed_in, cookies)
    before = stack.drp_ids()

    with stack.database_refusing():
        ready = requests.get(f"{stack.web.base}/healthz/ready/", headers=PROXY, timeout=10)
        writes = [stack.raise_drp() for _ in range(3)]
        read = stack.api("GET", "/api/v1/drps/")
        pages = [stack.web.request("GET", "/drps/", cookies) for _ in range(3)]
    assert ready.status_code == 503
    assert [status for status, _, _ in writes] == [503] * 3
    assert read.status_code == 503 and read.headers["Retry-After"] == "30"
    assert read.json()["detail"] == "Sorry, the service is unavailable. Try again later."
    assert read.json()["code"] == "service_unavailable" and read.json()["status"] == 503
    for response in pages:
        assert response.status_code == 503 and response.headers["Retry-After"] == "30"
        assert "Sorry, the service is unavailable" in response.text
    assert stack.drp_ids() == before

    status, _, _ = stack.raise_drp()
    assert status == 201
    assert stack.web.request("GET", "/drps/", cookies).status_code == 200
    stack.wait_until_all_emailed(timeout=90)


def test_no_request_was_answered_500_and_every_email_went_once_outside_the_crash_window(stack):
    assert [line for line in stack.web.access_log() if line["status"] >= 500 and line["status"] != 503] == []
    # Every write answered 201 is saved; none answered otherwise is.
    saved = stack.drp_ids()
    assert {drp for status, drp in stack.answered if status == 201} <= saved
    assert len(saved) == sum(1 for status, _ in stack.answered if status == 201)
    stack.wait_until_all_emailed()
    counts = {}
    for entry in stack.sent():
        counts[entry["notification"]] = counts.get(entry["notification"], 0) + 1
    assert set(counts) == set(stack.notifications_after(0))
    assert {n for n, count in counts.items() if count > 1} == stack.sent_twice
    assert all(count == 2 for n, count in counts.items() if n in stack.sent_twice)
