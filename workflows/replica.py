"""Report reads from a streaming read replica, only when asked, and never at any cost.

With ``DATABASE_REPLICA_URL`` set, the settings add a ``replica`` database alias and
:class:`ReplicaRouter`. Reads go to the replica **only** inside :func:`reading_from_replica`
(or a function decorated with :func:`from_replica`, as the report selectors are); every write,
and every read outside that context, goes to ``default`` (the primary), so a page that writes
and then reads always sees its own write. Sign-in data (sessions, API tokens, two-step devices,
lockouts) is always read from the primary: a replica a few seconds behind must never honour a
session or token that has just been revoked.

A replica lags the primary (normally well under a second; more under heavy writes), so a report
read there may be that far behind. When the replica cannot be reached, reports read from the
primary instead and a warning is logged; the replica is tried again after
:data:`RETRY_AFTER_SECONDS`. Without the setting everything stays on ``default``.

Only wrap pure reads: inside the context a query does not see the current transaction's
uncommitted writes, because it runs on another server.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
#: After the replica fails, this process reads from the primary for this long before trying
#: it again (so a replica that is down costs one failed connection, not one per report).
RETRY_AFTER_SECONDS = 30
#: Apps whose rows decide who someone is and what they may do: always read from the primary.
PRIMARY_ONLY_APPS = frozenset({"sessions", "authtoken", "knox", "otp_totp", "otp_static", "django_otp",
                               "axes"})

# Where reads go in this context: None (the default path: the primary), REPLICA, or
# DEFAULT_DB_ALIAS when pinned to the primary (the replica is down, or a caller said so).
_reads_from: ContextVar[str | None] = ContextVar("footprint_reads_from", default=None)
_replica_down_until = 0.0


def replica_configured() -> bool:
    return REPLICA in connections.settings


def reads_from() -> str:
    """The alias reads go to here and now (for logging and tests)."""
    return REPLICA if _reads_from.get() == REPLICA else DEFAULT_DB_ALIAS


def _mark_replica_down(reason: BaseException | str) -> None:
    global _replica_down_until
    _replica_down_until = time.monotonic() + RETRY_AFTER_SECONDS
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass  # it is already gone
    logger.warning("Read replica unavailable (%s); reports read from the primary for the next %d s",
                   str(reason).strip() or type(reason).__name__, RETRY_AFTER_SECONDS)


def reset_replica_state() -> None:
    """Forget an earlier failure (tests, or an operator who has just restarted the replica)."""
    global _replica_down_until
    _replica_down_until = 0.0


def _replica_answers() -> bool:
    if time.monotonic() < _replica_down_until:
        return False
    replica = connections[REPLICA]
    try:
        replica.ensure_connection()
    except DatabaseError as exc:
        _mark_replica_down(exc)
        return False
    return True


@contextmanager
def reading_from_primary():
    """Reads inside go to the primary even where a report would use the replica."""
    token = _reads_from.set(DEFAULT_DB_ALIAS)
    try:
        yield
    finally:
        _reads_from.reset(token)


@contextmanager
def reading_from_replica():
    """Reads inside go to the replica when one is configured and answering, else to the
    primary (with a warning when it is down). Writes always go to the primary. Nested uses
    keep the outer one's choice."""
    if _reads_from.get() is not None or not replica_configured():
        yield
        return
    token = _reads_from.set(REPLICA if _replica_answers() else DEFAULT_DB_ALIAS)
    try:
        yield
    finally:
        _reads_from.reset(token)


def from_replica(func):
    """Run a read-only function (a report selector) on the replica; if the replica fails on the
    way (it went down mid-report), log a warning and run it again on the primary."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        if _reads_from.get() is not None:  # inside another report read: it decides
            return func(*args, **kwargs)
        with reading_from_replica():
            on_replica = _reads_from.get() == REPLICA
            if on_replica:
                connections[REPLICA].errors_occurred = False
            try:
                return func(*args, **kwargs)
            except DatabaseError as exc:
                if not (on_replica and connections[REPLICA].errors_occurred):
                    raise  # the primary's error, or the query's own: not ours to hide
                _mark_replica_down(exc)
        with reading_from_primary():
            return func(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """``DATABASE_ROUTERS``: reads to the replica only inside :func:`reading_from_replica`;
    writes and every other read to the primary; migrations never run on the replica."""

    def db_for_read(self, model, **hints):
        if _reads_from.get() == REPLICA and model._meta.app_label not in PRIMARY_ONLY_APPS:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # One database seen through two connections: rows from either may be related.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary by streaming; it is read-only.
        return False if db == REPLICA else None
