"""Email backends for tests: one that fails the first few sends (retries deliver exactly
once), and one that writes to a file shared by processes, with faults a test can plant."""

import fcntl
import json
import os
import signal
import threading
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    failures_left = 0
    attempts = 0
    _lock = threading.Lock()

    def send_messages(self, messages):
        with FlakyBackend._lock:
            FlakyBackend.attempts += 1
            if FlakyBackend.failures_left > 0:
                FlakyBackend.failures_left -= 1
                raise ConnectionError("SMTP server unavailable (simulated)")
        return super().send_messages(messages)


class CountingBackend(EmailBackend):
    """The in-memory outbox, counting the connections opened to it and refusing the email
    after the first ``refuse_after`` of a run (None: refuses none), as a mail server that
    drops the connection part way through a batch."""

    opened = 0
    accepted = 0
    refuse_after = None

    @classmethod
    def reset(cls, refuse_after=None):
        cls.opened, cls.accepted, cls.refuse_after = 0, 0, refuse_after

    def open(self):
        CountingBackend.opened += 1
        return True

    def send_messages(self, messages):
        for message in messages:
            if CountingBackend.refuse_after is not None and CountingBackend.accepted >= CountingBackend.refuse_after:
                raise ConnectionError("SMTP server closed the connection (simulated)")
            super().send_messages([message])
            CountingBackend.accepted += 1
        return len(messages)


class FileOutboxBackend(BaseEmailBackend):
    """Every email as a JSON line in the file FOOTPRINT_TEST_OUTBOX (Message-ID, recipients,
    subject, process, time), for tests whose senders are other processes (real Celery workers).

    Faults a test plants as files in the directory FOOTPRINT_TEST_FAULTS, each taken by exactly
    one send (whichever process unlinks it first):

    * ``hang-before-send``: this process writes its id to ``hanging`` and stalls before the
      mail server takes the email (the test then kills its worker);
    * ``kill-after-send``: the mail server has taken it; the process is killed (SIGKILL)
      before it can record that;
    * ``drop-database-after-send``: the mail server has taken it; the process's database
      connection is terminated by the server (``pg_terminate_backend``) before it records that.
    """

    def send_messages(self, messages):
        outbox = Path(os.environ["FOOTPRINT_TEST_OUTBOX"])
        faults = Path(os.environ["FOOTPRINT_TEST_FAULTS"])
        for message in messages:
            if _take(faults / "hang-before-send"):
                (faults / "hanging").write_text(str(os.getpid()))
                time.sleep(600)
            line = json.dumps({"message_id": message.extra_headers.get("Message-ID"), "to": message.to,
                               "subject": message.subject, "pid": os.getpid(), "at": time.time()})
            with open(outbox, "a") as out:
                fcntl.flock(out, fcntl.LOCK_EX)
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
            if _take(faults / "kill-after-send"):
                os.kill(os.getpid(), signal.SIGKILL)
            if _take(faults / "drop-database-after-send"):
                _terminate_own_database_connection()
        return len(messages)


def _take(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _terminate_own_database_connection() -> None:
    import psycopg
    from django.db import connection

    backend_pid = connection.connection.info.backend_pid
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
