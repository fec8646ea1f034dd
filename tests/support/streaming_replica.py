"""A real streaming replica of the local PostgreSQL server, for the replica tests and the load test.

``LocalStandby.start(primary_url)`` copies the running server with ``pg_basebackup -R`` (which
writes ``standby.signal`` and the primary's address), starts the copy on a free loopback port as
a hot standby (read-only, replaying the primary's WAL as it streams in) and
``LocalStandby.destroy()`` stops it and deletes it. The standby holds every database of the
server, including any created after it started (a ``CREATE DATABASE`` is streamed too), so a
test database made by pytest-django on the primary is there under the same name.

What it needs from the primary, and what it changes there:

* a superuser connection to a server on this machine, ``wal_level`` ``replica`` or ``logical``
  (PostgreSQL's default) and two free ``max_wal_senders``; it never restarts the server;
* a ``pg_hba.conf`` line letting replication connections in from 127.0.0.1. Only when
  ``pg_basebackup`` is refused for want of one, it adds ``host replication all 127.0.0.1/32
  trust`` at the top of the server's ``hba_file`` (once: an existing line is left alone) and
  reloads the configuration (``pg_reload_conf()``), which leaves every other connection as it
  was. Local trust authentication is what the development machines and CI already use.
* No permanent replication slot: the standby's WAL receiver uses a temporary one
  (``wal_receiver_create_temp_slot``), which the server drops when the standby goes, so a test
  run that dies leaves no slot keeping WAL on a shared server.

PostgreSQL refuses to run as root, so as root (CI) the copy is made and run as the ``postgres``
user (``runuser``). A standby left running by a killed test run is stopped and deleted by the
next ``start()``. Nothing here needs Django or pytest.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.support.ports import free_port

PREFIX = "footprint-standby-"
HBA_RULE = "host replication all 127.0.0.1/32 trust"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
# Settings a hot standby must have at least as high as its primary's.
AT_LEAST_PRIMARY = ("max_connections", "max_worker_processes", "max_wal_senders",
                    "max_prepared_transactions", "max_locks_per_transaction")


class StandbyUnavailable(Exception):
    """Why no standby could be made here (the tests skip with it, or fail in CI)."""



def _run_as() -> list[str]:
    """The prefix that runs a PostgreSQL program as a user allowed to run the server."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise StandbyUnavailable("running as root and there is no postgres user to run a standby as")
    runuser = shutil.which("runuser")
    if not runuser:
        raise StandbyUnavailable("running as root and runuser is not installed")
    return [runuser, "-u", "postgres", "--"]


def _chown_to_runner(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _bindir(major: int) -> Path:
    """PostgreSQL's programs of the primary's major version (a physical copy needs the same)."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        candidates.append(Path(pg_ctl).resolve().parent)
    for bindir in candidates:
        if all((bindir / name).is_file() for name in ("pg_basebackup", "pg_ctl", "postgres")):
            version = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True)
            if version.returncode == 0 and f" {major}." in version.stdout:
                return bindir
    raise StandbyUnavailable(f"PostgreSQL {major}'s pg_basebackup, pg_ctl and postgres are not installed "
                             f"(looked in {', '.join(str(c) for c in candidates)})")


class LocalStandby:
    """A hot standby of the local server, streaming from it. See the module docstring."""

    def __init__(self, primary: dict, directory: Path, port: int, bindir: Path, run_as: list[str]):
        self.primary = primary  # libpq connection parameters of the primary (any database)
        self.directory = directory
        self.data = directory / "data"
        self.logfile = directory / "standby.log"
        self.port = port
        self.bindir = bindir
        self.run_as = run_as

    # --- Making one ------------------------------------------------------------------------

    @classmethod
    def start(cls, primary_url: str, log=lambda message: None) -> LocalStandby:
        try:
            primary = conninfo_to_dict(primary_url)
        except psycopg.ProgrammingError as exc:
            raise StandbyUnavailable(f"cannot read the primary's address {primary_url!r}: {exc}")
        if primary.get("host", "") not in LOCAL_HOSTS:
            raise StandbyUnavailable(f"the primary {primary.get('host')} is not on this machine")
        primary.setdefault("host", "127.0.0.1")
        primary.setdefault("port", "5432")
        primary.setdefault("user", "postgres")
        try:
            with psycopg.connect(**primary, connect_timeout=5, autocommit=True) as conn:
                facts = dict(conn.execute(
                    "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                    [["wal_level", "server_version_num", *AT_LEAST_PRIMARY]]).fetchall())
                facts["is_superuser"] = conn.execute("SELECT current_setting('is_superuser')").fetchone()[0]
                senders_busy = conn.execute("SELECT count(*) FROM pg_stat_replication").fetchone()[0]
        except psycopg.Error as exc:
            raise StandbyUnavailable(f"PostgreSQL is not reachable at {primary['host']}:{primary['port']}: "
                                     f"{str(exc).strip()}")
        if facts.get("is_superuser") != "on":
            raise StandbyUnavailable(f"{primary['user']} is not a superuser on the primary")
        if facts["wal_level"] not in ("replica", "logical"):
            raise StandbyUnavailable(f"the primary's wal_level is {facts['wal_level']}: a streaming replica "
                                     "needs replica (ALTER SYSTEM SET wal_level = replica, then a restart)")
        if int(facts["max_wal_senders"]) - senders_busy < 2:
            raise StandbyUnavailable(f"the primary has no two free WAL senders (max_wal_senders = "
                                     f"{facts['max_wal_senders']}, {senders_busy} in use)")
        major = int(facts["server_version_num"]) // 10000
        run_as = _run_as()
        bindir = _bindir(major)
        cls.remove_abandoned(bindir, run_as, log)

        directory = Path(tempfile.mkdtemp(prefix=PREFIX))
        (directory / "owner.pid").write_text(str(os.getpid()))
        _chown_to_runner(directory)
        standby = cls(primary, directory, free_port(), bindir, run_as)
        try:
            started = time.monotonic()
            standby._base_backup(facts, log)
            log(f"standby: pg_basebackup took {time.monotonic() - started:.1f} s")
            standby._configure(facts)
            standby.start_server()
            standby.wait_until_streaming()
            log(f"standby: streaming on port {standby.port} ({directory})")
        except BaseException:
            standby.destroy()
            raise
        return standby

    def _program(self, name: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        if self.primary.get("password"):
            env["PGPASSWORD"] = self.primary["password"]
        return subprocess.run([*self.run_as, str(self.bindir / name), *args], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=self.directory)

    def _base_backup(self, facts: dict, log) -> None:
        args = ["-h", self.primary["host"], "-p", str(self.primary["port"]), "-U", self.primary["user"],
                "-D", str(self.data), "-R", "-X", "stream", "-c", "fast", "--no-sync"]
        result = self._program("pg_basebackup", *args)
        if result.returncode != 0 and "pg_hba.conf" in result.stderr:
            log("standby: the primary refused a replication connection; adding " + HBA_RULE)
            self._allow_local_replication()
            shutil.rmtree(self.data, ignore_errors=True)
            result = self._program("pg_basebackup", *args)
        if result.returncode != 0:
            raise StandbyUnavailable(f"pg_basebackup failed: {result.stderr.strip()[-800:]}")

    def _allow_local_replication(self) -> None:
        """Add HBA_RULE at the top of the primary's pg_hba.conf (once) and reload."""
        with psycopg.connect(**self.primary, autocommit=True) as conn:
            hba_file = Path(conn.execute("SHOW hba_file").fetchone()[0])
            try:
                text = hba_file.read_text()
                if HBA_RULE not in [line.strip() for line in text.splitlines()]:
                    with open(hba_file, "r+") as handle:  # in place: owner and mode unchanged
                        handle.write("# Streaming replicas for Footprint's tests (tests/support/streaming_replica.py)\n"
                                     f"{HBA_RULE}\n{text}")
            except OSError as exc:
                raise StandbyUnavailable(f"the primary refuses replication connections and {hba_file} cannot "
                                         f"be changed here ({exc.strerror}): add '{HBA_RULE}' and reload")
            conn.execute("SELECT pg_reload_conf()")
            errors = conn.execute("SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL")
            problems = errors.fetchall()
            if problems:
                raise StandbyUnavailable(f"{hba_file} has errors after the change: {problems}")
        time.sleep(0.5)  # the postmaster applies the reload asynchronously

    def _configure(self, facts: dict) -> None:
        """The copy has the primary's data but none of its configuration (on Debian that lives in
        /etc/postgresql): give it its own, for a small read-only server on loopback."""
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.directory}'",
            "hot_standby": "on",
            # Names it in process titles and in the primary's pg_stat_replication (the load test
            # tells its backends from the primary's by it).
            "cluster_name": "'footprint-standby'",
            "hot_standby_feedback": "on",  # no query here cancelled by the primary's vacuum
            "wal_receiver_create_temp_slot": "on",
            "shared_buffers": "'32MB'",
            "fsync": "off",  # a throwaway copy: a crash just means making another
            "logging_collector": "off",
            "ssl": "off",
            **{name: facts[name] for name in AT_LEAST_PRIMARY},
        }
        files = {
            "postgresql.conf": "".join(f"{k} = {v}\n" for k, v in settings.items()),
            "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            "pg_ident.conf": "",
        }
        for name, text in files.items():
            path = self.data / name
            path.write_text(text)
            _chown_to_runner(path)

    # --- Running it ------------------------------------------------------------------------

    def start_server(self) -> None:
        # On the command line too: they win over the primary's ALTER SYSTEM settings, copied
        # in postgresql.auto.conf.
        options = (f"-c port={self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.directory} -c hot_standby=on")
        result = self._program("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "120",
                               "-o", options, "start", timeout=180)
        if result.returncode != 0:
            raise StandbyUnavailable(f"the standby did not start: {result.stdout.strip()} "
                                     f"{result.stderr.strip()} {self.log_tail()}")

    def stop_server(self, mode: str = "fast") -> None:
        """Stop it (``immediate``: as if its machine died). ``start_server()`` brings it back,
        and it catches up from where it was."""
        if (self.data / "postmaster.pid").exists():
            self._program("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", timeout=90)

    def destroy(self) -> None:
        self.stop_server("fast")
        if (self.data / "postmaster.pid").exists():
            self.stop_server("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    @classmethod
    def remove_abandoned(cls, bindir: Path, run_as: list[str], log=lambda message: None) -> None:
        """Stop and delete standbys whose test run is gone (killed before it could tidy up)."""
        for directory in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
            try:
                owner = int((directory / "owner.pid").read_text())
                os.kill(owner, 0)
                continue  # its run is still going
            except ProcessLookupError:
                pass
            except (OSError, ValueError):
                continue  # not one of ours, or not ours to judge
            if (directory / "data" / "postmaster.pid").exists():
                subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(directory / "data"), "-m",
                                "immediate", "stop"], capture_output=True, timeout=60)
            shutil.rmtree(directory, ignore_errors=True)
            log(f"standby: removed an abandoned standby in {directory}")

    # --- Using it --------------------------------------------------------------------------

    def conninfo(self, dbname: str = "postgres") -> dict:
        return {**self.primary, "host": "127.0.0.1", "port": str(self.port), "dbname": dbname}

    def url(self, dbname: str) -> str:
        info = self.conninfo(dbname)
        auth = info["user"] + (f":{info['password']}" if info.get("password") else "")
        return f"postgres://{auth}@127.0.0.1:{self.port}/{dbname}"

    def primary_conninfo(self, dbname: str = "postgres") -> dict:
        return {**self.primary, "dbname": dbname}

    def wait_until_streaming(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(make_conninfo(**self.conninfo()), connect_timeout=3) as conn:
                    in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
                    if not in_recovery:
                        raise StandbyUnavailable("the copy started as a primary, not a standby")
                    last = conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
                    if last and last[0] == "streaming":
                        return
            except psycopg.OperationalError as exc:
                last = str(exc).strip()
            time.sleep(0.3)
        raise StandbyUnavailable(f"the standby is not streaming after {timeout:.0f} s ({last}) {self.log_tail()}")

    def wait_for_replay(self, timeout: float = 60) -> float:
        """Wait until the standby has replayed everything the primary has written so far
        (``pg_last_wal_replay_lsn() >= pg_current_wal_lsn()``); returns the seconds it took."""
        with psycopg.connect(make_conninfo(**self.primary_conninfo()), autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        started = time.monotonic()
        with psycopg.connect(make_conninfo(**self.conninfo()), autocommit=True) as conn:
            while True:
                if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
                    return time.monotonic() - started
                if time.monotonic() - started > timeout:
                    raise AssertionError(f"the standby has not replayed up to {target} after {timeout} s "
                                         f"{self.log_tail()}")
                time.sleep(0.05)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

