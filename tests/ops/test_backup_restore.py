"""A PostgreSQL backup can be restored and used: scripts/backup-db and scripts/restore-db.

An authority's information governance team asks "have you restored a backup?": this test
does, end to end. It fills a throwaway database with the demo organisation (every app's
tables, history and timelines), backs it up, drops it (the disaster), restores the backup
into another database and checks every table's row count and content checksum, every
sequence, and that Django can migrate, check and sign people in against the restored copy.

Independent of the suite's database: on SQLite runs it uses the local PostgreSQL server.
Run with ``-s`` to see the figures (backup size, backup and restore times).
"""

import os
import stat
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql

from tests.support.throwaway_db import (
    ROOT,
    drop_database,
    manage,
    production_env,
    require_postgres,
    throwaway_database,
)

BACKUP = str(ROOT / "scripts" / "backup-db")
RESTORE = str(ROOT / "scripts" / "restore-db")


def fingerprint(url: str) -> tuple[dict[str, tuple[int, str]], dict[str, int]]:
    """Every table's (row count, md5 of all its rows) and every sequence's last value."""
    tables = {}
    with psycopg.connect(url) as conn:
        names = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        for name in names:
            tables[name] = conn.execute(sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                " FROM {} AS t").format(sql.Identifier(name))).fetchone()
        sequences = dict(conn.execute(
            "SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences"
            " WHERE schemaname = 'public'").fetchall())
    return tables, sequences


def run(*command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def test_backup_then_restore_into_a_new_database_gives_the_same_data(tmp_path: Path):
    require_postgres("pg_dump", "pg_restore", "psql")
    backups = tmp_path / "backups"
    backups.mkdir()

    with throwaway_database("footprint_backup_test_src") as source, \
            throwaway_database("footprint_backup_test_restored") as target:
        source_name = source.rsplit("/", 1)[1]
        env = production_env(source)
        manage("migrate", "--noinput", env=env)
        manage("load_demo", env={**env, "FOOTPRINT_DEMO": "1"})

        # Older backups of this database (two) and of another one (left alone by retention).
        for stamp in ("20200101T010000Z", "20200102T010000Z"):
            (backups / f"footprint-{source_name}-{stamp}.dump").write_bytes(b"old")
        other = backups / "footprint-some_other_db-20200101T010000Z.dump"
        other.write_bytes(b"other")

        started = time.perf_counter()
        backup = run(BACKUP, "--dir", str(backups), "--keep", "2", env={"DATABASE_URL": source})
        backup_seconds = time.perf_counter() - started
        assert backup.returncode == 0, backup.stderr
        dump = Path(backup.stdout.strip())
        assert dump.parent == backups and dump.is_file()
        assert stat.S_IMODE(dump.stat().st_mode) == 0o600, "backups must be private to their owner"
        assert sorted(p.name for p in backups.iterdir()) == sorted(
            [dump.name, f"footprint-{source_name}-20200102T010000Z.dump", other.name]), \
            "--keep 2 keeps the new backup and the newest old one of this database only"

        before_tables, before_sequences = fingerprint(source)
        drop_database(source_name)  # the disaster: the live database is gone

        started = time.perf_counter()
        restore = run(RESTORE, str(dump), target)
        restore_seconds = time.perf_counter() - started
        assert restore.returncode == 0, restore.stderr

        after_tables, after_sequences = fingerprint(target)
        assert after_tables.keys() == before_tables.keys()
        differing = [name for name in before_tables if before_tables[name] != after_tables[name]]
        assert differing == [], f"tables whose rows differ after restore: {differing}"
        assert after_sequences == before_sequences
        filled = {name: count for name, (count, _) in after_tables.items() if count}
        # Not a vacuous comparison: the demo fills the case tables, their history and timelines.
        for table in ("people_user", "children_child", "drp_disputeresolution",
                      "drp_historicaldisputeresolution", "lado_enquiry",
                      "positive_practice_positivepractice", "django_migrations"):
            assert filled.get(table), f"{table} should hold rows, has {after_tables.get(table)}"
        assert len(filled) >= 20

        # The restored copy is a working Footprint: migrations all applied, checks pass,
        # passwords (hashes) intact so people can sign in.
        restored_env = production_env(target)
        manage("migrate", "--check", env=restored_env)
        manage("check", env=restored_env)
        signed_in = manage("shell", "-c", (
            "from people.models import User; "
            "print(User.objects.get(username='iro').check_password('footprint-demo'))"),
            env=restored_env)
        assert signed_in.stdout.strip().splitlines()[-1] == "True"

        # A second restore into the now non-empty database is refused without --force ...
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("UPDATE people_user SET first_name = 'Changed after restore'")
        refused = run(RESTORE, str(dump), target)
        assert refused.returncode == 3
        assert "not empty" in refused.stderr and "--force" in refused.stderr
        assert fingerprint(target)[0]["people_user"] != before_tables["people_user"]

        # ... and with --force it puts the backup's rows back (drop and recreate).
        forced = run(RESTORE, "--force", str(dump), target)
        assert forced.returncode == 0, forced.stderr
        assert fingerprint(target) == (before_tables, before_sequences)

    rows = sum(count for count, _ in before_tables.values())
    print(f"\nbackup: {dump.stat().st_size / 1024:.0f} KiB in {backup_seconds:.2f} s; "
          f"restore: {restore_seconds:.2f} s; verified {len(before_tables)} tables "
          f"({len(filled)} non-empty), {rows} rows, {len(before_sequences)} sequences")


def test_backup_refuses_what_it_cannot_back_up(tmp_path: Path):
    """No database, or not PostgreSQL: a clear message and a usage exit code, no file."""
    no_url = run(BACKUP, "--dir", str(tmp_path), env={"DATABASE_URL": ""})
    assert no_url.returncode == 64 and "no database" in no_url.stderr
    sqlite = run(BACKUP, "--dir", str(tmp_path), "sqlite:///db.sqlite3")
    assert sqlite.returncode == 64 and "only PostgreSQL" in sqlite.stderr
    bad_keep = run(BACKUP, "--keep", "0", "postgres://h/db")
    assert bad_keep.returncode == 64
    assert list(tmp_path.iterdir()) == []


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path):
    require_postgres("pg_restore", "psql")
    bogus = tmp_path / "not-a-backup.dump"
    bogus.write_text("hello")
    with throwaway_database("footprint_backup_test_bogus") as target:
        result = run(RESTORE, str(bogus), target)
    assert result.returncode == 65 and "not a pg_dump archive" in result.stderr
