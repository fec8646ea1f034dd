"""Queuing a task without letting the broker hold anything up.

Tasks are queued after the change that needs them has committed (``transaction.on_commit``),
so by then the person must be told it worked, whatever Redis is doing. Celery's own publishing
waits for the broker with no timeout by default (a frozen Redis froze every web worker) and
retries refused connections (~0.6 s each). Here each call gets one try with short connect and
read timeouts (``FOOTPRINT_BROKER_REQUEST_TIMEOUT``), and after a failure this process stops
asking the broker for ``FOOTPRINT_BROKER_PAUSE_SECONDS``, so a broker that is down costs one
request at most that timeout, and the others nothing. What could not be queued is not lost:
the work is in the database and a beat job catches it up (``queue_pending_emails``).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

_local = threading.local()
_paused_until = 0.0


def queue_without_waiting(task, *args, argsrepr: str | None = None) -> bool:
    """Queue ``task(*args)``; returns whether it was queued. Never raises, never waits longer
    than the request timeout. With no broker (the demo) the task runs here and now.
    ``argsrepr`` is what the message shows of the arguments (Celery's ``argsrepr``): a short
    one spares Celery writing out a long list for each task (the sweep queues hundreds)."""
    options = {} if argsrepr is None else {"argsrepr": argsrepr}
    global _paused_until
    if task.app.conf.task_always_eager:
        try:
            task.apply_async(args, **options)
        except Exception:  # an eager task failing must not fail the change that queued it
            logger.exception("Task %s failed", task.name)
            return False
        return True
    if time.monotonic() < _paused_until:
        logger.info("Broker paused after a failure: %s%r left for the catch-up job", task.name, args)
        return False
    try:
        task.apply_async(args, connection=_connection(task.app), retry=False, **options)
    except Exception:  # kombu's OperationalError: refused, timed out, reset…
        _paused_until = time.monotonic() + settings.FOOTPRINT_BROKER_PAUSE_SECONDS
        _forget_connection()
        logger.warning("Could not queue %s%r; not trying the broker again for %s s",
                       task.name, args, settings.FOOTPRINT_BROKER_PAUSE_SECONDS, exc_info=True)
        return False
    return True


def _connection(app):
    """This thread's broker connection, with the short timeouts and no reconnection retries."""
    key = (id(app), app.conf.broker_url)
    if getattr(_local, "key", None) != key:
        _forget_connection()
        timeout = settings.FOOTPRINT_BROKER_REQUEST_TIMEOUT
        _local.connection = app.connection_for_write(
            connect_timeout=timeout,
            transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout,
                               "max_retries": 0})
        _local.key = key
    return _local.connection


def _forget_connection() -> None:
    connection = getattr(_local, "connection", None)
    _local.connection = _local.key = None
    if connection is not None:
        try:
            connection.collect()  # drop sockets without talking to a broker that may be frozen
        except Exception:
            logger.debug("Discarding a broker connection failed", exc_info=True)


def reset() -> None:
    """Forget this thread's connection and any pause (a broker just configured, or back)."""
    global _paused_until
    _paused_until = 0.0
    _forget_connection()
