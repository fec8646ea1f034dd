"""The production stack the fault tests (tests/ops/test_faults.py) break: a private Redis, gunicorn
with the production settings, two Celery workers and a throwaway PostgreSQL database, each a real
process that can be frozen, stopped or killed."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests
from psycopg import sql

from tests.ops.test_stateless_web import PROXY, Server
from tests.support.ports import free_port
from tests.support.throwaway_db import ROOT, server_url

REDIS_SERVER = shutil.which("redis-server")
CELERY = Path(sys.executable).with_name("celery")
LEASE = 8        # FOOTPRINT_EMAIL_LEASE_SECONDS
VISIBILITY = 6   # CELERY_VISIBILITY_TIMEOUT
GRACE = 2        # FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS
PAUSE = 3        # FOOTPRINT_BROKER_PAUSE_SECONDS and FOOTPRINT_CACHE_PAUSE_SECONDS
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
        self.url = f"redis://127.0.0.1:{self.port}/0"  # the broker's database
        self.cache_url = f"redis://127.0.0.1:{self.port}/1"  # the cache's, as production keeps them apart
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
