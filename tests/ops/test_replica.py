"""Reports read from a real streaming replica; writes, sign-in and every other read stay on the
primary; a replica that is down costs nothing but a warning.

The replica is a second PostgreSQL cluster made for this run (``tests/support/streaming_replica.py``:
``pg_basebackup -R`` of the local server, started as a hot standby on a free port). It holds the
test database pytest-django created on the primary under the same name, and follows it by
streaming, so the tests write on the primary, commit (``transaction=True``), wait until the
standby has replayed the primary's WAL position, and then read. Only in the PostgreSQL run of
the suite; skipped with the reason (failed under FOOTPRINT_REQUIRE_SERVICES=1) when the server
or PostgreSQL's programs cannot make a standby.
"""

from __future__ import annotations

import csv
import io
import logging
import runpy
from datetime import date
from pathlib import Path

import psycopg
import pytest
from django.core import mail
from django.db import DatabaseError, connections, router, transaction
from django.test.utils import CaptureQueriesContext

from drp.models import DisputeResolution, Theme
from lado.models import Enquiry
from reports import selectors, services
from reports.periods import reporting_year
from tests.conftest import skip_or_fail
from tests.support.auth import login
from tests.support.lado_fixtures import client_for
from tests.support.reports_helpers import drp, enquiry, practice
from tests.support.streaming_replica import LocalStandby, StandbyUnavailable
from workflows import replica as replica_routing
from workflows.audit import record_read
from workflows.models import CaseRead, ReminderLog
from workflows.replica import REPLICA, reading_from_primary, reading_from_replica

ROOT = Path(__file__).resolve().parents[2]
YEAR = 2024  # reporting year 1 April 2024 to 31 March 2025
MONTH = date(2024, 10, 1)
ON_REPLICA = pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", REPLICA])


# --- The standby, and the "replica" alias pointing at it ----------------------------------


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup):
    """A hot standby of the suite's PostgreSQL server for the whole run."""
    primary = connections["default"].settings_dict
    if connections["default"].vendor != "postgresql":
        pytest.skip("a streaming replica needs PostgreSQL: these tests run in the suite's PostgreSQL run")
    url = psycopg.conninfo.make_conninfo(
        host=primary["HOST"] or "127.0.0.1", port=str(primary["PORT"] or 5432),
        user=primary["USER"] or "postgres", password=primary["PASSWORD"] or None, dbname="postgres")
    try:
        standby = LocalStandby.start(url)
    except StandbyUnavailable as exc:
        skip_or_fail(f"no streaming replica could be made: {exc}")
    yield standby
    standby.destroy()


@pytest.fixture(scope="class")
def replica_alias(streaming_replica):
    """The ``replica`` alias, as DATABASE_REPLICA_URL makes it, pointing at the standby's copy of
    the test database, for the tests of one class (every other test runs without a replica). A
    mirror of ``default`` for Django's test machinery, so nothing flushes a read-only server; a
    real second connection for everything else. Class-scoped because Django checks a test's
    ``databases`` against the aliases that exist before any per-test fixture runs."""
    default = connections["default"].settings_dict
    connections.settings[REPLICA] = {**default, "HOST": "127.0.0.1", "PORT": str(streaming_replica.port),
                                     "TEST": {**default["TEST"], "MIRROR": "default"}}
    yield streaming_replica
    connections[REPLICA].close()
    try:
        del connections[REPLICA]
    except AttributeError:
        pass  # never opened in this thread
    del connections.settings[REPLICA]


@pytest.fixture
def replica(replica_alias):
    replica_routing.reset_replica_state()
    yield replica_alias
    replica_routing.reset_replica_state()


def year_data(org):
    """DRPs, positive practice and DO cases in reporting year 2024 and the year before."""
    drp(org, date(2024, 5, 3), "CLA", "stage-2", themes=("placement", "health"), closed_on=date(2024, 5, 20))
    drp(org, date(2024, 10, 7), "CP", themes=("child-protection-plan",))
    drp(org, date(2024, 10, 8), "CLA", themes=("placement",))
    drp(org, date(2023, 6, 1), "CP", themes=("health",))
    practice(org, date(2024, 10, 9), "CP")
    enquiry(org, date(2024, 6, 1), Enquiry.Status.CONCLUDED, threshold_met=True, outcome="substantiated",
            closed_on=date(2024, 6, 20))
    enquiry(org, date(2024, 10, 2), threshold_met=False)


def queries_on(alias, action):
    """(what ``action`` returned, the SQL it ran on ``alias``)."""
    with CaptureQueriesContext(connections[alias]) as captured:
        result = action()
    return result, [q["sql"] for q in captured.captured_queries]


def in_recovery(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return cursor.fetchone()[0]


# --- Without DATABASE_REPLICA_URL (any database) --------------------------------------------


def test_replica_setting_adds_the_alias_the_router_and_a_test_mirror(monkeypatch):
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    without = runpy.run_module("config.settings.base")
    assert set(without["DATABASES"]) == {"default"}
    assert without["DATABASE_ROUTERS"] == ["workflows.replica.ReplicaRouter"]

    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://reports:secret@db-replica.internal:5433/footprint")
    configured = runpy.run_module("config.settings.base")["DATABASES"]["replica"]
    assert (configured["HOST"], configured["PORT"], configured["NAME"]) == ("db-replica.internal", 5433, "footprint")
    assert configured["OPTIONS"]["connect_timeout"] == 3
    assert configured["TEST"] == {"MIRROR": "default"}  # no test database is ever made on it
    assert router.allow_migrate(REPLICA, "drp") is False
    assert router.allow_migrate("default", "drp") is True


@pytest.mark.django_db
def test_without_replica_setting_everything_reads_default(org):
    drp(org, date(2024, 5, 3), "CLA")
    assert REPLICA not in connections.settings
    with reading_from_replica():
        assert router.db_for_read(DisputeResolution) == "default"
        assert replica_routing.reads_from() == "default"
        report, sql = queries_on("default", lambda: selectors.annual_report(YEAR))
    assert sql, "the report read the default database"
    assert report["drp"]["raised"]["CLA"]["this_year"] == 1
    assert router.db_for_write(DisputeResolution) == "default"


# --- Against the streaming replica (PostgreSQL) ---------------------------------------------


@ON_REPLICA
class TestOnStreamingReplica:
    """Written on the primary, committed, replayed on the standby, then read."""

    def test_annual_report_on_replica_equals_primary(self, org, replica):
        year_data(org)
        replica.wait_for_replay()
        assert in_recovery(REPLICA) and not in_recovery("default")  # two servers, the second a standby

        with CaptureQueriesContext(connections["default"]) as on_default:
            on_replica, replica_sql = queries_on(REPLICA, lambda: selectors.annual_report(YEAR))
        assert replica_sql and not on_default.captured_queries, "every report query ran on the replica"
        with reading_from_primary():
            on_primary, primary_sql = queries_on("default", lambda: selectors.annual_report(YEAR))
        assert primary_sql
        assert on_replica == on_primary
        assert on_replica["drp"]["raised"]["CLA"] == {"this_year": 2, "last_year": 0, "variance": 2, "direction": "up"}
        assert on_replica["designated_officer"]["enquiries"]["this_year"] == 2

        # More casework on the primary: once replayed, the replica's report has it too.
        drp(org, date(2024, 11, 1), "CLA", themes=("health",))
        replica.wait_for_replay()
        again = selectors.annual_report(YEAR)
        assert again["drp"]["raised"]["CLA"]["this_year"] == 3
        with reading_from_primary():
            assert again == selectors.annual_report(YEAR)

    def test_monthly_report_and_learning_on_replica_equal_primary(self, org, replica):
        year_data(org)
        replica.wait_for_replay()
        period = reporting_year(YEAR)
        reads = {
            "monthly": lambda: selectors.monthly_report(MONTH),
            "learning": lambda: (selectors.team_learning(period), selectors.iro_footprint(period)),
        }
        for name, read in reads.items():
            with CaptureQueriesContext(connections["default"]) as on_default:
                on_replica, replica_sql = queries_on(REPLICA, read)
            assert replica_sql and not on_default.captured_queries, name
            with reading_from_primary():
                assert on_replica == read(), name
        monthly = selectors.monthly_report(MONTH)
        assert monthly["raised"]["total"] == 2 and monthly["positive_practice"]["total"] == 1
        # The IRO/CC footprint's hand-written SQL (children per IRO) went to the replica as well.
        footprint, replica_sql = queries_on(REPLICA, lambda: selectors.iro_footprint(period))
        assert any("UNION" in sql for sql in replica_sql)
        assert footprint[0]["children"] == 1

    def test_monthly_report_email_reads_the_replica_and_logs_on_the_primary(self, org, replica, settings):
        settings.FOOTPRINT_MONTHLY_REPORT_TO = "qa@example.org"
        year_data(org)
        replica.wait_for_replay()
        mail.outbox.clear()
        sent_on = services.first_working_day(date(2024, 11, 1))
        sent, replica_sql = queries_on(REPLICA, lambda: services.send_monthly_report_email(sent_on))
        assert sent is True and replica_sql
        assert "DRPs raised: 2 (CP 1, CLA 1)" in mail.outbox[0].body
        # The exactly-once log is a write: on the primary.
        with reading_from_primary():
            assert ReminderLog.objects.filter(kind=services.LOG_KIND, object_id=202410).count() == 1
        assert services.send_monthly_report_email(sent_on) is False  # and it is checked there

    def test_report_pages_downloads_and_api_read_the_replica(self, org, replica, client):
        year_data(org)
        login(client, org.iro_manager)
        api = client_for(org.iro_manager)  # the token is created here, on the primary
        replica.wait_for_replay()
        for get in (lambda: client.get(f"/reports/annual/?year={YEAR}"),
                    lambda: client.get(f"/reports/annual/?year={YEAR}&format=csv"),
                    lambda: client.get(f"/reports/monthly/?month={MONTH:%Y-%m}&format=xlsx"),
                    lambda: client.get(f"/reports/learning/?year={YEAR}"),
                    lambda: api.get(f"/api/v1/reports/annual/?year={YEAR}"),
                    lambda: api.get(f"/api/v1/reports/monthly/?month={MONTH:%Y-%m}")):
            with CaptureQueriesContext(connections["default"]) as on_default:
                response, replica_sql = queries_on(REPLICA, get)
            assert response.status_code == 200, response.content[:300]
            assert replica_sql, response.request["PATH_INFO"]
            # Who is signed in, and what they may see, is decided on the primary only.
            assert not [sql for sql in replica_sql if "django_session" in sql or "people_apitoken" in sql
                        or "people_user_roles" in sql]
            assert any("django_session" in q["sql"] or "people_apitoken" in q["sql"] for q in on_default.captured_queries)
        rows = list(csv.reader(io.StringIO(client.get(f"/reports/annual/?year={YEAR}&format=csv").content.decode())))
        assert any(row[:3] == ["Looked after (CLA)", "2", "0"] for row in rows), rows
        body = api.get(f"/api/v1/reports/annual/?year={YEAR}").json()
        with reading_from_primary():
            assert body["drp"] == selectors.annual_report(YEAR)["drp"]

    def test_writes_inside_replica_context_go_to_primary(self, org, replica):
        replica.wait_for_replay()
        case = enquiry(org, date(2024, 6, 1))
        with reading_from_replica():
            assert router.db_for_read(DisputeResolution) == REPLICA
            assert router.db_for_write(DisputeResolution) == "default"
            # A report's own audit write (a read log), a create and a locking read: all on the primary.
            record_read(org.do_manager, case, "report")
            theme, created = Theme.objects.get_or_create(slug="written-in-context", defaults={"name": "Written"})
            assert created
            with transaction.atomic():
                locked = list(Theme.objects.select_for_update().filter(slug="written-in-context"))
            assert locked == [theme]
            # Sign-in data is never read from the replica.
            from django.contrib.sessions.models import Session
            assert router.db_for_read(Session) == "default"
        assert router.db_for_read(DisputeResolution) == "default"  # the context ends with the block
        with reading_from_primary():
            assert CaseRead.objects.filter(case_id=case.pk, view="report").count() == 1
            assert Theme.objects.filter(slug="written-in-context").exists()
        # The standby really is read-only: had the router sent the write there, it would have failed.
        with pytest.raises(DatabaseError, match="read-only"):
            Theme.objects.using(REPLICA).create(slug="never", name="Never")
        replica.wait_for_replay()
        with reading_from_replica():
            assert Theme.objects.filter(slug="written-in-context").exists()  # streamed across

    def test_a_write_then_read_sees_its_write_while_the_replica_lags(self, org, replica):
        """Outside the report context nothing reads the replica, so its lag never hides a write."""
        replica.wait_for_replay()
        with psycopg.connect(**replica.conninfo(), autocommit=True) as standby:
            standby.execute("SELECT pg_wal_replay_pause()")
            try:
                made = drp(org, date(2024, 5, 3), "CLA")
                assert DisputeResolution.objects.filter(pk=made.pk).exists()  # the default path
                with reading_from_replica():
                    assert not DisputeResolution.objects.filter(pk=made.pk).exists()  # the replica lags
                    assert selectors.annual_report(YEAR)["drp"]["raised"]["CLA"]["this_year"] == 0
            finally:
                standby.execute("SELECT pg_wal_replay_resume()")
        replica.wait_for_replay()
        assert selectors.annual_report(YEAR)["drp"]["raised"]["CLA"]["this_year"] == 1

    def test_replica_down_falls_back_to_primary(self, org, replica, client, caplog):
        year_data(org)
        api = client_for(org.iro_manager)
        replica.wait_for_replay()
        with reading_from_primary():
            expected = selectors.annual_report(YEAR)
        assert selectors.annual_report(YEAR) == expected  # read on the replica: its connection is open
        assert connections[REPLICA].connection is not None
        try:
            # The replica's machine dies under an open connection: the report's first query fails
            # there, and the whole report is read again from the primary.
            replica.stop_server("immediate")
            caplog.set_level(logging.WARNING, logger="workflows.replica")
            with CaptureQueriesContext(connections["default"]) as on_default:
                assert selectors.annual_report(YEAR) == expected
            assert on_default.captured_queries
            assert [r.getMessage() for r in caplog.records if "Read replica unavailable" in r.getMessage()]
            # Later reports go straight to the primary for a while, without trying the replica again.
            caplog.clear()
            assert selectors.monthly_report(MONTH)["raised"]["total"] == 2
            assert connections[REPLICA].connection is None and not caplog.records
            response = api.get(f"/api/v1/reports/annual/?year={YEAR}")
            assert response.status_code == 200 and response.json()["drp"] == expected["drp"]

            # After the retry interval, a new connection to the dead replica is refused: the same.
            replica_routing.reset_replica_state()
            caplog.clear()
            login(client, org.iro_manager)
            assert client.get(f"/reports/annual/?year={YEAR}&format=csv").status_code == 200
            assert [r for r in caplog.records if "Read replica unavailable" in r.getMessage()]
        finally:
            replica.start_server()
            replica.wait_until_streaming()
        # Back up: reports read from it again once the retry interval has passed.
        replica_routing.reset_replica_state()
        drp(org, date(2024, 12, 2), "CP")
        replica.wait_for_replay()
        report, replica_sql = queries_on(REPLICA, lambda: selectors.annual_report(YEAR))
        assert replica_sql and report["drp"]["raised"]["CP"]["this_year"] == 2
