"""Faults stop nothing and lose nothing (issue 15): the production stack, with Redis frozen and
stopped, Celery workers killed between sending an email and recording it, and the database
connection dropped or refused.

Real processes throughout: a private Redis (``redis-server --port N --save ''``), gunicorn with
two workers and the production settings (its cache on that Redis too), two Celery workers
(prefork, one pool process each), all on one throwaway PostgreSQL database (on SQLite runs
too, against the local server, like tests/ops/test_stateless_web.py). The workers email into a
file they share (``tests.support.email_backends.FileOutboxBackend``), which also plants the
faults; the test sends beat's catch-up task itself. Timings are shortened so the module runs in
about two minutes: an 8 s email claim, a 6 s visibility timeout (abandoned tasks looked for
every second), a 2 s grace before the catch-up job queues an email again, and a 3 s pause for
the broker and the cache.

What it shows is the delivery guarantee of notifications/services.py:

* every write the web tier answered 201 is in the database and every write in the database was
  answered 201 (no committed write reported as failed); no request waits on Redis, for the
  broker or for the cache (every API request counts itself against its rate limits there);
* every notification is emailed at least once, and exactly once except the one whose worker was
  killed between the mail server taking it and ``emailed_at`` being written: that one is sent a
  second time when its claim runs out, not before;
* with the database unreachable, pages and the API answer 503 with ``Retry-After``, never 500.

The stack itself is tests/support/fault_stack.py. Run with ``-s`` to see the figures."""

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import skip_or_fail
from tests.ops.test_stateless_web import GUNICORN, PROXY, Server, csrf_token, new_cookies
from tests.support.fault_stack import (
    CELERY,
    GRACE,
    LEASE,
    PASSWORD,
    PAUSE,
    REDIS_SERVER,
    SETTINGS,
    SETUP,
    VISIBILITY,
    Redis,
    Stack,
    Worker,
    wait_for,
)
from tests.support.throwaway_db import (
    ROOT,
    manage,
    production_env,
    require_postgres,
    throwaway_database,
)


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
                # The cache (API rate limits, import progress) on the same Redis, as production has it.
                REDIS_CACHE_URL=redis.cache_url, REDIS_CACHE_TIMEOUT="0.5",
                FOOTPRINT_CACHE_PAUSE_SECONDS=str(PAUSE), CELERY_LOG_LEVEL="INFO")
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
    # The same for the cache each API request counts itself in (rate limits).
    cache_attempts = sum('"message": "The cache at' in line for line in lines)
    assert 1 <= cache_attempts <= 2 * (int(took / PAUSE) + 2) < len(writes), (cache_attempts, len(writes))

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
