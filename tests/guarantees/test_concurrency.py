"""100 people press "Resolve" on the same DRP at the same moment (and escalate races withdraw).

Each attempt runs in its own thread with its own PostgreSQL connection, released together by a
barrier, through the service layer and through the API. The row lock in the service
(``select_for_update``) makes them queue: exactly one resolves the DRP, the other 99 are told
it is already resolved (``TransitionRefused``, HTTP 409), and the history, the stage record and
the timeline each gain exactly one entry.

PostgreSQL only: SQLite has no row locks (it locks the whole file) and is not what runs live.
PostgreSQL's ``max_connections`` (100 by default) is shared with the test's own connection and
anything else on the server, so at most ``_slots()`` attempts hold a connection at once; the
rest of the 100 threads queue for a slot, which is how a web server's connection pool behaves.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from drp import services
from drp.models import DisputeResolution, Stage, StageRecord, Theme, TimelineEvent
from notifications.models import Notification
from tests.support.factories import RESOLUTION_FORM, resolution
from workflows.exceptions import TransitionRefused

from tests.support.auth import api_token

ATTEMPTS = 100

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row-lock concurrency is tested on PostgreSQL (SQLite locks the whole file)"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _slots() -> int:
    """How many connections the attempts may hold at once: what the server has free, less a
    margin for everyone else using it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int, count(*) FROM pg_stat_activity")
        limit, in_use = cursor.fetchone()
    return max(10, min(ATTEMPTS, limit - in_use - 15))


@dataclass
class Race:
    """The outcome of ``ATTEMPTS`` threads trying the same move at once."""

    outcomes: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)
    latencies_ms: list = field(default_factory=list)
    peak_connections: int = 0
    wall_ms: float = 0.0

    def __str__(self):
        ordered = sorted(self.latencies_ms)
        return (f"{ATTEMPTS} threads: {dict(self.outcomes)}, wall {self.wall_ms:.0f} ms, "
                f"slowest {ordered[-1]:.0f} ms, median {ordered[len(ordered) // 2]:.0f} ms, "
                f"peak {self.peak_connections} connections at once")


def race(attempt) -> Race:
    """Run ``attempt()`` in ``ATTEMPTS`` threads released together; each returns an outcome."""
    result = Race()
    slots = threading.BoundedSemaphore(_slots())
    barrier = threading.Barrier(ATTEMPTS)
    lock = threading.Lock()
    holding = 0

    def run():
        nonlocal holding
        barrier.wait()
        with slots:
            with lock:
                holding += 1
                result.peak_connections = max(result.peak_connections, holding)
            started = time.perf_counter()
            try:
                outcome = attempt()
            except Exception as exc:  # noqa: BLE001  (anything unexpected fails the test below)
                outcome = f"error: {type(exc).__name__}"
                with lock:
                    result.errors.append(repr(exc))
            finally:
                connection.close()  # this thread's own connection
                with lock:
                    holding -= 1
            with lock:
                result.outcomes[outcome] += 1
                result.latencies_ms.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=run) for _ in range(ATTEMPTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    result.wall_ms = (time.perf_counter() - began) * 1000
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    print(result)
    return result


@pytest.fixture
def open_drp(org):
    """An open DRP at Stage 1, raised by the IRO, awaiting the team manager's response."""
    return services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                              themes=[Theme.objects.get(slug="placement")], concern="Plan has drifted",
                              stage=Stage.objects.get(key="stage-1"))


def _record_counts(drp: DisputeResolution) -> dict[str, int]:
    return {
        "history": DisputeResolution.history.filter(id=drp.pk).count(),
        "stage_history": StageRecord.history.filter(drp_id=drp.pk).count(),
        "timeline": TimelineEvent.objects.filter(drp=drp).count(),
        "notifications": Notification.objects.filter(kind="drp-resolved").count(),
    }


def _assert_resolved_exactly_once(drp: DisputeResolution, before: dict[str, int]) -> None:
    drp.refresh_from_db()
    assert drp.status == DisputeResolution.Status.RESOLVED
    after = _record_counts(drp)
    # One history row for the DRP and one for its stage record, one timeline event, and the
    # people it was addressed to told once.
    assert after["history"] == before["history"] + 1
    assert after["stage_history"] == before["stage_history"] + 1
    assert after["timeline"] == before["timeline"] + 1
    assert TimelineEvent.objects.filter(drp=drp, action=TimelineEvent.Action.RESOLVED).count() == 1
    assert DisputeResolution.history.filter(id=drp.pk, status="resolved").count() == 1
    assert after["notifications"] == before["notifications"] + 1


def test_100_concurrent_resolves_through_the_service_resolve_it_once(org, open_drp):
    before = _record_counts(open_drp)

    def attempt():
        drp = DisputeResolution.objects.get(pk=open_drp.pk)  # each thread reads it as open
        try:
            services.drp_resolve(drp=drp, actor=org.iro, **resolution())
        except TransitionRefused as refused:
            assert "resolved" in refused.message
            return "refused"
        return "resolved"

    result = race(attempt)
    assert result.errors == []
    assert result.outcomes == {"resolved": 1, "refused": ATTEMPTS - 1}
    _assert_resolved_exactly_once(open_drp, before)


def test_100_concurrent_resolves_through_the_api_give_one_200_and_99_conflicts(org, open_drp):
    before = _record_counts(open_drp)
    url = f"/api/drps/{open_drp.pk}/resolve/"
    token = api_token(org.iro)
    # One application shared by every thread, as a WSGI server shares it: a test client per
    # thread would each load the middleware (WhiteNoise scans the static files) first.
    warm = APIClient()
    warm.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert warm.get(f"/api/drps/{open_drp.pk}/").status_code == 200
    connection.close()

    def attempt():
        client = APIClient()
        client.handler = warm.handler
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.post(url, RESOLUTION_FORM | {"child_informed": True, "advocacy_offered": False},
                               format="json")
        if response.status_code == 409:
            assert "resolved" in response.json()["detail"]
        return response.status_code

    result = race(attempt)
    assert result.errors == []
    assert result.outcomes == {200: 1, 409: ATTEMPTS - 1}
    _assert_resolved_exactly_once(open_drp, before)


def test_100_concurrent_mixed_moves_only_the_first_counts(org, open_drp):
    """Resolve and withdraw race each other: whichever locks the row first closes the DRP, and
    every other attempt, of either kind, is refused."""
    before = _record_counts(open_drp)
    turn = iter(range(ATTEMPTS))
    turn_lock = threading.Lock()

    def attempt():
        with turn_lock:
            n = next(turn)
        drp = DisputeResolution.objects.get(pk=open_drp.pk)
        try:
            if n % 2:
                services.drp_withdraw(drp=drp, actor=org.iro, reason="Raised in error")
                return "withdrawn"
            services.drp_resolve(drp=drp, actor=org.iro, **resolution("Plan agreed"))
            return "resolved"
        except TransitionRefused:
            return "refused"

    result = race(attempt)
    assert result.errors == []
    assert result.outcomes["refused"] == ATTEMPTS - 1
    assert result.outcomes["resolved"] + result.outcomes["withdrawn"] == 1
    open_drp.refresh_from_db()
    assert not open_drp.is_open
    assert DisputeResolution.history.filter(id=open_drp.pk).count() == before["history"] + 1
    assert TimelineEvent.objects.filter(drp=open_drp).count() == before["timeline"] + 1


def test_escalate_racing_withdraw_answers_409(org, open_drp):
    """Half the attempts escalate the DRP to Stage 2, half withdraw it, all at once through the
    API. The lock takes the DRP's row only (not its stage's), so they queue on the one row:
    whichever comes first wins, the DRP can be withdrawn once (after an escalation too), and
    every loser is told why (409); nobody gets a server error or a deadlock."""
    before = _record_counts(open_drp)
    url = f"/api/drps/{open_drp.pk}"
    token = api_token(org.iro)
    warm = APIClient()
    warm.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert warm.get(f"{url}/").status_code == 200
    connection.close()
    turn = iter(range(ATTEMPTS))
    turn_lock = threading.Lock()

    def attempt():
        with turn_lock:
            n = next(turn)
        client = APIClient()
        client.handler = warm.handler
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        move = "withdraw" if n % 2 else "escalate"
        body = {"reason": "Raised in error"} if move == "withdraw" else {"reason": "No plan", "stage": "stage-2"}
        response = client.post(f"{url}/{move}/", body, format="json")
        if response.status_code == 409:
            assert response.json()["detail"]
        return f"{move} {response.status_code}"

    result = race(attempt)
    assert result.errors == []
    assert set(result.outcomes) <= {"escalate 200", "escalate 409", "withdraw 200", "withdraw 409"}, result.outcomes
    assert result.outcomes["withdraw 200"] == 1
    assert result.outcomes["escalate 200"] <= 1
    assert result.outcomes["escalate 409"] + result.outcomes["withdraw 409"] == ATTEMPTS - 1 - result.outcomes["escalate 200"]
    open_drp.refresh_from_db()
    assert open_drp.status == DisputeResolution.Status.WITHDRAWN
    escalated = result.outcomes["escalate 200"]
    assert open_drp.closed_at_stage.key == ("stage-2" if escalated else "stage-1")
    assert TimelineEvent.objects.filter(drp=open_drp).count() == before["timeline"] + 1 + escalated
    assert DisputeResolution.history.filter(id=open_drp.pk).count() == before["history"] + 1 + escalated


def _behind(held_move, waiting_move) -> str:
    """Run ``held_move()`` in a transaction that stays open until ``waiting_move()``, in another
    thread and connection, is queued behind its row lock; then commit, and return what the
    waiting move came to. Deterministic, where a race only sometimes puts one move first."""
    outcome = {}

    def wait():
        try:
            outcome["result"] = waiting_move()
        except TransitionRefused as refused:
            outcome["result"] = f"409 {refused.message}"
        except Exception as exc:  # noqa: BLE001  (a 500: shown by the assertion)
            outcome["result"] = f"error {exc!r}"
        finally:
            connection.close()

    waiter = threading.Thread(target=wait)
    with transaction.atomic():
        held_move()
        waiter.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until the waiting move asks for the row lock
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.02)
        else:
            raise AssertionError("the second move never queued for the lock")
    waiter.join(timeout=30)
    return outcome["result"]


def test_withdraw_queued_behind_an_escalation_withdraws_at_the_new_stage(org, open_drp):
    """The lock used to be taken over a join with the DRP's stage: when the escalation it
    waited for moved the DRP to Stage 2, PostgreSQL found the row no longer joined the Stage 1
    row it had read, and the withdrawal failed with DoesNotExist (a 500)."""
    stage_2 = Stage.objects.get(key="stage-2")
    result = _behind(
        lambda: services.drp_escalate(drp=open_drp, actor=org.iro, reason="No plan", stage=stage_2),
        lambda: services.drp_withdraw(drp=DisputeResolution.objects.get(pk=open_drp.pk), actor=org.iro,
                                      reason="Raised in error").status)
    assert result == DisputeResolution.Status.WITHDRAWN
    open_drp.refresh_from_db()
    assert (open_drp.status, open_drp.closed_at_stage) == (DisputeResolution.Status.WITHDRAWN, stage_2)


def test_escalation_queued_behind_the_same_escalation_answers_409(org, open_drp):
    stage_2 = Stage.objects.get(key="stage-2")
    result = _behind(
        lambda: services.drp_escalate(drp=open_drp, actor=org.iro, reason="No plan", stage=stage_2),
        lambda: services.drp_escalate(drp=DisputeResolution.objects.get(pk=open_drp.pk), actor=org.iro,
                                      reason="No plan either", stage=stage_2).status)
    assert result == f"409 {open_drp.reference} is at Stage 2: it can only be escalated to a later stage."
    assert TimelineEvent.objects.filter(drp=open_drp, action=TimelineEvent.Action.ESCALATED).count() == 1
