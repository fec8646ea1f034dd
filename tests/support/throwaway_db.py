"""Throwaway PostgreSQL databases and production-settings subprocesses for the deployment tests.

These tests are independent of the suite's own test database: on a SQLite run they still use
the local PostgreSQL server when it is reachable (the deployment is PostgreSQL only).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    """The suite's server when it runs on PostgreSQL, else TEST_DATABASE_URL, else the local one."""
    for candidate in (os.environ.get("DATABASE_URL", ""), os.environ.get("TEST_DATABASE_URL", ""),
                      DEFAULT_SERVER):
        if candidate.startswith(("postgres://", "postgresql://")):
            return candidate
    return DEFAULT_SERVER


def url_for(database: str) -> str:
    """The server's URL with another database name."""
    parts = urlsplit(server_url())
    return urlunsplit(parts._replace(path=f"/{database}"))


def require_postgres(*programs: str) -> None:
    """Skip (or fail in CI) unless the server answers and the client programs are installed."""
    missing = [program for program in programs if shutil.which(program) is None]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (PostgreSQL client programs)")
    try:
        psycopg.connect(server_url(), connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL is not reachable at {server_url()}: {exc}".strip())


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(statement)


def drop_database(name: str) -> None:
    _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def throwaway_database(prefix: str):
    """An empty database named ``<prefix>_<pid>`` (unique per test process), dropped afterwards.
    Yields its URL."""
    name = f"{prefix}_{os.getpid()}"
    drop_database(name)  # left over from a killed run
    _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url_for(name)
    finally:
        drop_database(name)


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment a production process gets: production settings, this database, no broker
    (tasks run in-process), no outgoing email."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "CELERY_", "FOOTPRINT_TEST", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], check: bool = True,
           timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``manage.py`` with this environment; on failure the assertion shows its output."""
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if check:
        assert result.returncode == 0, (
            f"manage.py {' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}")
    return result
