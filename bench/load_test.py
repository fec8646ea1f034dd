#!/usr/bin/env python
"""Load test: Footprint under gunicorn (production settings, PostgreSQL, 2 workers).

    .venv/bin/python bench/load_test.py --drps 10000 --users 10 25 --ceiling-users 25 --duration 60s

1. Creates (or drops and recreates) a throwaway PostgreSQL database, default
   ``footprint_load`` (the same guard as ``bench/drp_bench.py``: only a database marked as the
   bench's own is ever dropped), migrates it and grows it to ``--drps`` DRPs with their
   history (``drp_bench.generate``), then ``VACUUM ANALYZE``.
2. Creates API tokens and signed-in sessions for the IRO, social worker and team manager
   (no DO roles: they must pass two-step verification) and writes ``config.json`` for
   ``bench/load/locustfile.py``.
3. Runs ``collectstatic`` and starts ``gunicorn config.wsgi --workers 2`` with
   ``config.settings.production`` on a free loopback port.
4. For each ``--users`` count, runs ``locust --headless`` (a second process) against the app's
   read and write paths for ``--duration``; then the same against ``GET /healthz/`` (the
   ceiling, ``bench/load/ceiling.py``) for each ``--ceiling-users``.
5. Prints requests/s, p50/p95/p99 and failures for each run, with the CPU each side used and
   the machine's load average before and after, and writes ``summary.json`` and
   ``summary.csv`` (and locust's own CSVs) to ``--out``.

Beyond one machine (``--web-servers``, ``--celery-workers``, ``--replica``): several gunicorn
servers on their own ports (the simulated people spread over them, as a load balancer would),
several Celery workers taking the notification emails from Redis (``--broker``), and a streaming
read replica for the reports (``--replica`` makes one of the load database's server with
``pg_basebackup``, as the tests do; ``--replica-url`` uses one you have), with an IRO Manager
reading reports in the mix::

    .venv/bin/python bench/load_test.py --drps 2000 --users 10 --duration 30s \
        --web-servers 2 --workers 1 --celery-workers 2 --replica --broker redis://127.0.0.1:6379/9

Each run then also reports the replica's transactions, CPU and replay lag, the workers' CPU and
the tasks left queued.

Exit status 1 if any request failed. See docs/performance.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/footprint_load"
VENV_BIN = Path(sys.executable).parent
GUNICORN_CONF = REPO_ROOT / "config" / "gunicorn.conf.py"
# People the simulated users act as, and how many separate signed-in sessions each gets.
SESSION_ROLES = ("iro", "social-worker")
TOKEN_ROLES = ("iro", "social-worker", "team-manager")
REPORT_ROLE = "iro-manager"  # reads reports (with --reports or a replica)
DEFAULT_BROKER = "redis://127.0.0.1:6379/12"
# The standby made by tests/support/streaming_replica.py names itself so in process titles and in the
# primary's pg_stat_replication.
STANDBY_NAME = "footprint-standby"
SESSIONS_PER_ROLE = 200
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------------------
# The environment gunicorn and this script share.
# --------------------------------------------------------------------------------------


def server_environment(args) -> dict[str, str]:
    """Production settings, on loopback: what has to be set and why (see docs/performance.md)."""
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        # Requests name 127.0.0.1 in their Host header.
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Left on, as in production: the locust users send X-Forwarded-Proto: https like the
        # TLS proxy would, so any request without it shows up as a failed redirect.
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        # No broker (the default): Celery tasks (notification emails) run in the web process
        # after commit, which makes the write paths pessimistic. With --celery-workers, Redis
        # and the workers take them, as in production. No SMTP server: the dummy backend.
        "CELERY_BROKER_URL": args.broker if args.celery_workers else "",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        # config/gunicorn.conf.py: two sync workers as the issue asks, on our own port.
        "GUNICORN_WORKERS": str(args.workers),
    })
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------
# Data, people, sessions and tokens.
# --------------------------------------------------------------------------------------


def report_readers(args) -> bool:
    return bool(args.reports or args.replica or args.replica_url)


def build_data(args) -> dict:
    """Grow the database and return what the locust users need (ids, sessions, tokens)."""
    from drp_bench import analyze, build_org, generate, prepare_database, setup_django

    action = prepare_database(args.reset)
    setup_django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django.db import connection

    from children.models import Child
    from drp.models import DisputeResolution, Theme
    from drp.selectors import awaiting_response_from
    from people.tokens import issue
    from reports.periods import last_month, reporting_year_of

    log(f"database: {connection.settings_dict['NAME']} ({action}); settings {settings.SETTINGS_MODULE}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrate: {time.perf_counter() - started:.1f} s")
    org = build_org(args.seed)
    missing = max(0, args.drps - DisputeResolution.objects.count())
    started = time.perf_counter()
    if missing:
        generate(org, missing, args.seed, progress=lambda m: None)
    analyze()
    log(f"generated {missing:,} DRPs in {time.perf_counter() - started:.1f} s "
        f"(now {DisputeResolution.objects.count():,})")

    users = org.users
    session_roles = SESSION_ROLES + ((REPORT_ROLE,) if report_readers(args) else ())
    token_roles = TOKEN_ROLES + ((REPORT_ROLE,) if report_readers(args) else ())
    # Reports hold Designated Officer figures: their readers pass two-step verification. The
    # report reader gets a confirmed authenticator, and its sessions are marked verified with it.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    verified_devices = {}
    if REPORT_ROLE in session_roles:
        reader = users[REPORT_ROLE]
        verified_devices[REPORT_ROLE] = (
            TOTPDevice.objects.filter(user=reader, confirmed=True).first()
            or TOTPDevice.objects.create(user=reader, name="Authenticator app", confirmed=True))
    tokens = {role: issue(users[role], verified=True)[1] for role in token_roles}
    # A session made the way login() makes one, minus the password check: PBKDF2 is slow on
    # purpose, and axes would lock out an account that many parallel logins got wrong.
    backends = list(settings.AUTHENTICATION_BACKENDS)
    backend = "django.contrib.auth.backends.ModelBackend"
    if backend not in backends:
        backend = backends[-1]
    engine = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"])
    sessions = {}
    for role in session_roles:
        user = users[role]
        keys = []
        for _ in range(SESSIONS_PER_ROLE):
            store = engine.SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = backend
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            if role in verified_devices:
                store[DEVICE_ID_SESSION_KEY] = verified_devices[role].persistent_id
            store.create()
            keys.append(store.session_key)
        sessions[role] = keys

    rng = random.Random(args.seed)
    iro_open = list(DisputeResolution.objects.filter(iro=users["iro"])
                    .values_list("id", flat=True).order_by("?")[:2000])
    sw_waiting = list(awaiting_response_from(users["social-worker"]).values_list("id", flat=True)[:2000])
    children = [{"id": c.pk, "reference": c.reference, "case_type": c.case_type}
                for c in Child.objects.filter(reference__startswith="BENCH").order_by("id")]
    team = users["team-manager"].team_id
    journey = [c for c in Child.objects.filter(reference__startswith="BENCH", team_id=team)
               .values("id", "case_type")]
    config = {
        "cookie_domain": "127.0.0.1",
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "tokens": tokens,
        "drps": {"iro": iro_open, "social-worker": sw_waiting},
        "children": rng.sample(children, min(500, len(children))),
        "journey_children": [{"id": c["id"], "case_type": c["case_type"]} for c in journey][:500],
        "themes": list(Theme.objects.filter(active=True).values_list("slug", flat=True)),
        "drp_count": DisputeResolution.objects.count(),
        # The IRO Manager's reports: this reporting year and last month (drp_bench's DRPs are
        # raised over the last 18 months).
        "report_year": reporting_year_of(date.today()),
        "report_month": last_month().strftime("%Y-%m"),
        "database_name": connection.settings_dict["NAME"],
    }
    for what, values in (("IRO's DRPs", iro_open), ("DRPs awaiting the social worker", sw_waiting),
                         ("children in the team manager's team", journey)):
        if not values:
            raise SystemExit(f"load_test: no {what} in the generated data; use a larger --drps")
    if args.collectstatic or not staticfiles_fresh():
        started = time.perf_counter()
        call_command("collectstatic", interactive=False, verbosity=0)
        log(f"collectstatic: {time.perf_counter() - started:.1f} s")
    else:
        log("collectstatic: skipped, the manifest is newer than every static file")
    connection.close()
    return config


def staticfiles_fresh() -> bool:
    """True when STATIC_ROOT's manifest is newer than every source static file.

    Production's manifest storage needs ``collectstatic``, which hashes and compresses ~5,000
    files (minutes on a busy 2-core machine), so it only runs when something changed."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            if Path(storage.path(path)).stat().st_mtime > built:
                return False
    return True


# --------------------------------------------------------------------------------------
# gunicorn, and the CPU it uses.
# --------------------------------------------------------------------------------------


def start_gunicorn(args, env, port: int, out: Path, name: str = "gunicorn") -> subprocess.Popen:
    logfile = open(out / f"{name}.log", "ab")
    cmd = [str(VENV_BIN / "gunicorn"), "config.wsgi:application"]
    if GUNICORN_CONF.exists():  # the deployment's own settings (JSON access log, timeouts ...)
        cmd += ["-c", str(GUNICORN_CONF)]
    cmd += ["--workers", str(args.workers), "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "10"]
    log("gunicorn: " + " ".join(cmd[1:]))
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/healthz/ready/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"load_test: gunicorn exited ({proc.returncode}); see {out / f'{name}.log'}")
        try:
            request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    stop_gunicorn(proc)
    raise SystemExit("load_test: gunicorn did not answer /healthz/ready/ within 60 s")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def start_celery_workers(args, env, out: Path) -> list[subprocess.Popen]:
    """``--celery-workers`` worker processes on the ``--broker`` Redis, after emptying its queue
    (tasks a killed earlier run left there would otherwise run against this database)."""
    celery = [str(VENV_BIN / "celery"), "-A", "config.celery_app"]
    subprocess.run([*celery, "purge", "-f"], cwd=REPO_ROOT, env=env, capture_output=True, timeout=60)
    workers = []
    for n in range(args.celery_workers):
        logfile = open(out / f"celery-{n}.log", "ab")
        cmd = [*celery, "worker", "--concurrency", str(args.celery_concurrency), "-n", f"load{n}@%h",
               "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]
        workers.append(subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT,
                                        start_new_session=True))
    log(f"celery: {args.celery_workers} workers × {args.celery_concurrency} on {args.broker}")
    deadline = time.monotonic() + 90
    for n, worker in enumerate(workers):
        while b"ready" not in (out / f"celery-{n}.log").read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                stop_processes(workers)
                raise SystemExit(f"load_test: Celery worker {n} did not start; see {out / f'celery-{n}.log'}")
            time.sleep(0.3)
    return workers


def stop_processes(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # gunicorn: graceful; Celery: finish the tasks in hand
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def queued_tasks(broker: str) -> int | None:
    """Tasks still waiting in the broker's default queue (None without Redis)."""
    try:
        import redis
        return redis.Redis.from_url(broker, socket_timeout=3).llen("celery")
    except Exception:  # noqa: BLE001 - a figure, not a reason to stop
        return None


def start_replica(args, database_url: str):
    """A local streaming standby of the load database's server (tests/support/streaming_replica.py)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from urllib.parse import urlsplit, urlunsplit

    from tests.support.streaming_replica import LocalStandby, StandbyUnavailable
    server = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    try:
        standby = LocalStandby.start(server, log=log)
    except StandbyUnavailable as exc:
        raise SystemExit(f"load_test: no replica: {exc}")
    dbname = urlsplit(database_url).path.lstrip("/")
    log(f"replica: caught up in {standby.wait_for_replay():.2f} s")
    return standby, standby.url(dbname)


class ReplicaFigures:
    """Transactions the replica ran, and its replay lag sampled every half second from the
    primary's pg_stat_replication, during one run."""

    def __init__(self, primary_url: str | None, replica_url: str | None):
        self.primary_url, self.replica_url = primary_url, replica_url
        self.lag_ms: list[float] = []
        self.behind_bytes: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _transactions(url: str) -> int:
        import psycopg
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database"
                                " WHERE datname = current_database()").fetchone()[0]

    def _run(self) -> None:
        import psycopg
        try:
            with psycopg.connect(self.primary_url, autocommit=True, connect_timeout=5) as conn:
                while not self.stop.wait(0.5):
                    for lag, behind in conn.execute(
                            "SELECT EXTRACT(epoch FROM replay_lag) * 1000,"
                            " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication"):
                        if lag is not None:
                            self.lag_ms.append(float(lag))
                        if behind is not None:
                            self.behind_bytes.append(int(behind))
        except psycopg.Error as exc:
            log(f"replica lag: not sampled ({exc})")

    def __enter__(self):
        if self.replica_url:
            self.start = self._transactions(self.replica_url)
            self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.replica_url:
            self.stop.set()
            self.thread.join()
            self.transactions = self._transactions(self.replica_url) - self.start

    def figures(self) -> dict:
        if not self.replica_url:
            return {}
        return {"replica_transactions": self.transactions,
                "replica_lag_max_ms": round(max(self.lag_ms), 1) if self.lag_ms else None,
                "replica_lag_p50_ms": round(sorted(self.lag_ms)[len(self.lag_ms) // 2], 1) if self.lag_ms else None,
                "replica_behind_max_bytes": max(self.behind_bytes) if self.behind_bytes else None}


def process_tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root`` and its children (the gunicorn workers): live ones,
    and through the master's cutime/cstime those it has reaped (``max_requests`` restarts)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root:
            total += sum(int(v) for v in fields[11:15]) / CLK_TCK
        elif ppid == root:
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


class PostgresCpu:
    """CPU seconds used by the PostgreSQL backends serving the load database.

    Backends are found by their process title (``postgres: ... <dbname> 127.0.0.1(port) ...``)
    and sampled every half second, because gunicorn's connections are replaced every
    CONN_MAX_AGE seconds and a backend's CPU time vanishes with it."""

    def __init__(self, dbname: str, standby: bool = False):
        self.marker = f" {dbname} "
        self.standby = standby  # the local replica's backends (STANDBY_NAME in their title) or not
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if not title.startswith("postgres:") or self.marker not in title:
                    continue
                if (f"{STANDBY_NAME}:" in title) != self.standby:
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.seen[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLK_TCK

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            self._sample()

    def __enter__(self):
        self._sample()
        self.start = dict(self.seen)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.seen.items())


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies across all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def compress(path: Path) -> None:
    if path.exists():
        with open(path, "rb") as raw, gzip.open(f"{path}.gz", "wb") as packed:
            shutil.copyfileobj(raw, packed)
        path.unlink()


def workers_alive(proc: subprocess.Popen) -> bool:
    return proc.poll() is None


# --------------------------------------------------------------------------------------
# One locust run.
# --------------------------------------------------------------------------------------


def run_locust(name: str, locustfile: Path, users: int, duration: str, host: str, out: Path,
               env: dict, servers: list[subprocess.Popen], measure: bool = True,
               workers: list[subprocess.Popen] = (), replica: ReplicaFigures | None = None) -> dict:
    prefix = out / name
    cmd = [str(VENV_BIN / "locust"), "-f", str(locustfile), "--headless", "-u", str(users),
           "-r", str(users), "-t", duration, "--host", host, "--csv", str(prefix), "--only-summary",
           "--stop-timeout", "10", "--loglevel", "WARNING"]
    load_before = os.getloadavg()
    busy0, total0 = machine_cpu()
    gunicorn0 = sum(process_tree_cpu(s.pid) for s in servers)
    workers0 = sum(process_tree_cpu(w.pid) for w in workers)
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.perf_counter()
    replica = replica or ReplicaFigures(None, None)
    with open(out / f"{name}.locust.log", "wb") as logfile, PostgresCpu(env["FOOTPRINT_LOAD_DBNAME"]) as pg, \
            PostgresCpu(env["FOOTPRINT_LOAD_DBNAME"], standby=True) as pg_replica, replica:
        result = subprocess.run(cmd, cwd=REPO_ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - wall0
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    gunicorn_cpu = sum(process_tree_cpu(s.pid) for s in servers) - gunicorn0
    workers_cpu = sum(process_tree_cpu(w.pid) for w in workers) - workers0
    busy1, total1 = machine_cpu()
    load_after = os.getloadavg()
    if not measure:
        return {}
    stats_path = Path(f"{prefix}_stats.csv")
    if not stats_path.exists():
        raise SystemExit(f"load_test: locust wrote no {stats_path} (exit {result.returncode}); "
                         f"see {out / f'{name}.locust.log'}")
    with open(stats_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    endpoints = [endpoint_figures(row) for row in rows if row["Name"] != "Aggregated"]
    aggregated = endpoint_figures(next(row for row in rows if row["Name"] == "Aggregated"))
    cores = os.cpu_count() or 1
    locust_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    return {
        "run": name, "users": users, "duration": duration, "wall_s": round(wall, 1),
        **{k: v for k, v in aggregated.items() if k != "name"},
        "machine_cpu_busy_pct": round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
        "gunicorn_cores": round(gunicorn_cpu / wall, 2),
        "postgres_cores": round(pg.seconds / wall, 2),
        "locust_cores": round(locust_cpu / wall, 2),
        # What one request costs, whatever else the machine was doing: the basis for what
        # the two cores could serve on their own (see docs/performance.md).
        "gunicorn_cpu_ms_per_request": round(1000 * gunicorn_cpu / max(1, aggregated["requests"]), 1),
        "postgres_cpu_ms_per_request": round(1000 * pg.seconds / max(1, aggregated["requests"]), 1),
        "cores": cores,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "gunicorn_alive": all(workers_alive(s) for s in servers),
        **({"replica_cores": round(pg_replica.seconds / wall, 2),
            "replica_cpu_ms_per_request": round(1000 * pg_replica.seconds / max(1, aggregated["requests"]), 1),
            **replica.figures()} if replica.replica_url else {}),
        **({"worker_cores": round(workers_cpu / wall, 2),
            "tasks_left_queued": queued_tasks(env["CELERY_BROKER_URL"])} if workers else {}),
        "locust_exit": result.returncode,
        "endpoints": endpoints,
    }


def endpoint_figures(row: dict) -> dict:
    def num(key):
        value = row.get(key, "")
        return float(value) if value not in ("", "N/A") else None

    return {
        "name": row["Name"] if row["Type"] in ("", None) else f"{row['Name']}",
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": round(num("Requests/s") or 0, 1),
        "p50_ms": num("50%"), "p95_ms": num("95%"), "p99_ms": num("99%"),
        "avg_ms": round(num("Average Response Time") or 0, 1), "max_ms": num("Max Response Time"),
    }


# --------------------------------------------------------------------------------------
# Reporting.
# --------------------------------------------------------------------------------------

SUMMARY_FIELDS = ["run", "users", "duration", "requests", "failures", "rps", "p50_ms", "p95_ms",
                  "p99_ms", "avg_ms", "max_ms", "machine_cpu_busy_pct", "gunicorn_cores",
                  "postgres_cores", "locust_cores", "gunicorn_cpu_ms_per_request",
                  "postgres_cpu_ms_per_request", "load_average_before", "load_average_after",
                  "replica_transactions", "replica_cores", "replica_cpu_ms_per_request", "replica_lag_max_ms",
                  "replica_lag_p50_ms", "replica_behind_max_bytes", "worker_cores", "tasks_left_queued"]


def fmt(value) -> str:
    return "-" if value is None else f"{value:g}"


def print_summary(runs: list[dict], meta: dict) -> None:
    log(f"\nFootprint under gunicorn ({meta['web_servers']} server(s) × {meta['workers']} workers, production "
        f"settings, PostgreSQL{' + streaming replica' if meta.get('replica') else ''}"
        f"{', ' + str(meta['celery_workers']) + ' Celery workers' if meta.get('celery_workers') else ''}), "
        f"{meta['drp_count']:,} DRPs, {meta['cores']} cores shared with locust and PostgreSQL")
    header = (f"{'run':<14} {'users':>5} {'requests':>9} {'failures':>8} {'req/s':>8} {'p50 ms':>7} "
              f"{'p95 ms':>7} {'p99 ms':>7} | {'busy':>5} {'gunicorn':>8} {'postgres':>8} {'locust':>6} | "
              f"{'CPU ms/req':>10} | load before→after")
    log(header)
    log("-" * len(header))
    for r in runs:
        log(f"{r['run']:<14} {r['users']:>5} {r['requests']:>9,} {r['failures']:>8} {r['rps']:>8.1f} "
            f"{fmt(r['p50_ms']):>7} {fmt(r['p95_ms']):>7} {fmt(r['p99_ms']):>7} | "
            f"{r['machine_cpu_busy_pct']:>4.0f}% {r['gunicorn_cores']:>8.2f} {r['postgres_cores']:>8.2f} "
            f"{r['locust_cores']:>6.2f} | "
            f"{r['gunicorn_cpu_ms_per_request'] + r['postgres_cpu_ms_per_request']:>10.1f} | "
            f"{r['load_average_before'][0]:.2f}→{r['load_average_after'][0]:.2f}")
    for r in runs:
        if "replica_transactions" in r or "worker_cores" in r:
            parts = []
            if "replica_transactions" in r:
                parts.append(f"replica {r['replica_transactions']:,} transactions, {r['replica_cores']:.2f} cores "
                             f"({r['replica_cpu_ms_per_request']} ms/req), replay lag p50/max "
                             f"{fmt(r['replica_lag_p50_ms'])}/{fmt(r['replica_lag_max_ms'])} ms, "
                             f"at most {fmt(r['replica_behind_max_bytes'])} bytes behind")
            if "worker_cores" in r:
                parts.append(f"Celery workers {r['worker_cores']:.2f} cores, "
                             f"{fmt(r['tasks_left_queued'])} tasks left queued")
            log(f"{r['run']:<14} " + "; ".join(parts))
    app_runs = [r for r in runs if r["run"].startswith("app")]
    if app_runs:
        busiest = max(app_runs, key=lambda r: r["rps"])
        log(f"\nper request, {busiest['run']} ({busiest['users']} users):")
        log(f"  {'request':<62} {'count':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}")
        for e in sorted(busiest["endpoints"], key=lambda e: -e["requests"]):
            log(f"  {e['name'][:62]:<62} {e['requests']:>7,} {e['failures']:>5} {e['rps']:>7.1f} "
                f"{fmt(e['p50_ms']):>6} {fmt(e['p95_ms']):>6} {fmt(e['p99_ms']):>6}")
    log("\n'busy' is the whole machine (all cores) during the run, other people's work included; "
        "'gunicorn',\n'postgres' (backends serving this database) and 'locust' are the cores each used "
        "on average;\n'CPU ms/req' is gunicorn + PostgreSQL CPU per request, which does not depend on "
        "what else ran.")


def write_summary(runs: list[dict], meta: dict, out: Path) -> None:
    (out / "summary.json").write_text(json.dumps({"meta": meta, "runs": runs}, indent=2))
    with open(out / "summary.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUMMARY_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for r in runs:
            writer.writerow({**r, "load_average_before": r["load_average_before"][0],
                             "load_average_after": r["load_average_after"][0]})
    log(f"\nwrote {out / 'summary.json'} and {out / 'summary.csv'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drps", type=int, default=10000, help="DRPs in the database (default 10000)")
    parser.add_argument("--users", type=int, nargs="+", default=[10, 25],
                        help="simulated people for the app runs, one run each (default 10 25)")
    parser.add_argument("--ceiling-users", type=int, nargs="*", default=[25],
                        help="clients for the /healthz/ ceiling runs (default 25; none to skip)")
    parser.add_argument("--duration", default="60s", help="each run's length, locust syntax (default 60s)")
    parser.add_argument("--warmup", default="10s", help="an unreported app run first (default 10s; 0 skips)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--wait", default="0.2,1.0",
                        help="app users' think time between requests, min,max seconds (default 0.2,1.0)")
    parser.add_argument("--out", type=Path, help="results directory (default bench/results/load-<time>)")
    parser.add_argument("--reset", action=argparse.BooleanOptionalAction, default=True,
                        help="drop and recreate the load database first (default on)")
    parser.add_argument("--collectstatic", action="store_true",
                        help="run collectstatic even when the manifest looks up to date")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--web-servers", type=int, default=1,
                        help="gunicorn servers on their own ports, each with --workers (default 1)")
    parser.add_argument("--celery-workers", type=int, default=0,
                        help="Celery worker processes taking the tasks from --broker (default 0: tasks "
                             "run in the web process)")
    parser.add_argument("--celery-concurrency", type=int, default=1, help="processes per Celery worker (default 1)")
    parser.add_argument("--broker", default=os.environ.get("FOOTPRINT_LOAD_BROKER_URL", DEFAULT_BROKER),
                        help=f"Redis for Celery with --celery-workers (default {DEFAULT_BROKER}; it is purged "
                             "first, so give each person on a shared machine their own database number)")
    parser.add_argument("--replica", action="store_true",
                        help="start a local streaming replica of the load database's server (pg_basebackup) "
                             "and read reports there")
    parser.add_argument("--replica-url", help="read reports from this existing replica of the load database")
    parser.add_argument("--reports", action="store_true",
                        help="add an IRO Manager reading reports to the mix (on with a replica)")
    args = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env = server_environment(args)
    # This process builds the data under the same settings gunicorn will run.
    for key in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS",
                "CELERY_BROKER_URL", "DJANGO_EMAIL_BACKEND", "DJANGO_SECURE_SSL_REDIRECT"):
        os.environ[key] = env[key]
    out = args.out or BENCH_DIR / "results" / f"load-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)

    config = build_data(args)
    config_path = out / "config.json"
    config_path.write_text(json.dumps(config))

    standby, replica_url = None, args.replica_url
    if args.replica:
        standby, replica_url = start_replica(args, os.environ["DATABASE_URL"])
    if replica_url:
        env["DATABASE_REPLICA_URL"] = replica_url
    ports = [free_port() for _ in range(args.web_servers)]
    hosts = [f"http://127.0.0.1:{port}" for port in ports]
    host = hosts[0]
    locust_env = dict(env, FOOTPRINT_LOAD_CONFIG=str(config_path), FOOTPRINT_LOAD_WAIT=args.wait,
                      FOOTPRINT_LOAD_DBNAME=config["database_name"], FOOTPRINT_LOAD_HOSTS=",".join(hosts),
                      FOOTPRINT_LOAD_REPORT_WEIGHT="1" if report_readers(args) else "0")
    servers: list[subprocess.Popen] = []
    workers: list[subprocess.Popen] = []
    runs: list[dict] = []
    meta = {"drp_count": config["drp_count"], "workers": args.workers, "web_servers": args.web_servers,
            "celery_workers": args.celery_workers, "celery_concurrency": args.celery_concurrency,
            "replica": "local standby" if standby else ("given" if replica_url else None),
            "reports": report_readers(args), "cores": os.cpu_count(),
            "duration": args.duration, "wait": args.wait, "database": os.environ["DATABASE_URL"],
            "started": datetime.now().isoformat(timespec="seconds"), "argv": sys.argv}
    replica = ReplicaFigures(os.environ["DATABASE_URL"], replica_url)
    try:
        for n, port in enumerate(ports):
            servers.append(start_gunicorn(args, env, port, out, name="gunicorn" if n == 0 else f"gunicorn-{n}"))
        if args.celery_workers:
            workers = start_celery_workers(args, env, out)
        app_file, ceiling_file = BENCH_DIR / "load" / "locustfile.py", BENCH_DIR / "load" / "ceiling.py"
        if args.warmup not in ("", "0", "0s"):
            log(f"warm-up: {args.warmup} at {min(args.users)} users (not reported)")
            run_locust("warmup", app_file, min(args.users), args.warmup, host, out, locust_env, servers,
                       measure=False, workers=workers)
        for users in args.users:
            log(f"app paths: {users} users for {args.duration} ...")
            runs.append(run_locust(f"app-u{users}", app_file, users, args.duration, host, out,
                                   locust_env, servers, workers=workers, replica=replica))
            replica = ReplicaFigures(os.environ["DATABASE_URL"], replica_url)
        for users in args.ceiling_users:
            log(f"ceiling (/healthz/): {users} clients for {args.duration} ...")
            runs.append(run_locust(f"ceiling-u{users}", ceiling_file, users, args.duration, host, out,
                                   locust_env, servers))
    finally:
        stop_processes(servers)
        stop_processes(workers)
        if standby:
            standby.destroy()
        # The sessions and tokens are for a throwaway database, but they are still keys:
        # never leave them in a results directory that may be committed.
        config_path.unlink(missing_ok=True)
        for n in range(args.web_servers):  # the JSON access logs: ~8 MB for a full run
            compress(out / ("gunicorn.log" if n == 0 else f"gunicorn-{n}.log"))
    meta["finished"] = datetime.now().isoformat(timespec="seconds")
    print_summary(runs, meta)
    write_summary(runs, meta, out)
    failed = sum(r["failures"] for r in runs)
    if failed:
        log(f"\n{failed} requests failed: see {out}/*_failures.csv and {out}/gunicorn.log.gz")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
