"""The application's database role cannot touch the audit record (issue 10, PostgreSQL): no delete or
rewrite of the append-only tables, pgtrigger.ignore no help, DO case destruction still works as
that role, grant_app_role refuses a role that could undo it, and the release step connects as the
owner."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import contextmanager
from datetime import date

import pytest
from django.conf import settings
from django.db import connection

from lado.models import Enquiry
from tests.guarantees.test_tamper_evident import cases  # noqa: F401  (a fixture: one of everything, audit rows included)

pytestmark = pytest.mark.django_db


# --- The application's database role cannot touch the audit record ---------------------------------

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="database roles and privileges are PostgreSQL's")


@pytest.fixture
def app_role(db):
    """A login role made and granted as docs/deployment.md says (``manage.py grant_app_role``),
    dropped again afterwards. Yields its name."""
    from django.core.management import call_command

    role = f"footprint_test_app_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
        cursor.execute(f"CREATE ROLE {role} LOGIN")
    out = io.StringIO()
    call_command("grant_app_role", role, stdout=out)
    assert "audit tables" in out.getvalue()
    yield role
    connection.close()  # in case a test left the connection as the role
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")  # its privileges in this database
        cursor.execute(f"DROP ROLE {role}")


@contextmanager
def connected_as(role: str):
    """Django's own connection logs in as ``role`` for the block (a new connection)."""
    saved = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = role
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"] = saved


def _as_role(role: str, *statements: str) -> Exception | None:
    """Run ``statements`` in one transaction on a fresh connection logged in as ``role``; return
    the database's refusal (None if it all ran, which is then rolled back)."""
    import psycopg

    params = connection.settings_dict
    with psycopg.connect(host=params["HOST"] or "127.0.0.1", port=params["PORT"] or 5432,
                         dbname=params["NAME"], user=role) as raw:
        try:
            with raw.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        except psycopg.Error as refused:
            return refused
        finally:
            raw.rollback()
    return None


def _counts(tables) -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def _append_only_triggers() -> dict[str, str]:
    """Each audit table's append-only trigger, by table."""
    import pgtrigger

    return {model._meta.db_table: trigger.get_pgid(model) for model, trigger in pgtrigger.registered()
            if trigger.name == "append_only"}


def _every_append_only_pgid() -> str:
    return "{" + ",".join(_append_only_triggers().values()) + "}"


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_app_role_cannot_delete_or_rewrite_audit_tables(cases, app_role):  # noqa: F811  (a fixture)
    """Logged in as the application's role, UPDATE, DELETE, TRUNCATE, disabling the triggers and
    dropping them are all refused on every audit table; reading and adding are allowed. The
    role owns no table."""
    from tests.guarantees.test_tamper_evident import PROTECTED
    from workflows.database import audit_tables

    tables = audit_tables()
    assert tables == sorted(model._meta.db_table for model in PROTECTED)  # every audit table, no other
    before = _counts(tables)
    assert all(before.values()), before  # something to destroy in each
    refusals = []
    for table in tables:
        quoted = connection.ops.quote_name(table)
        for attack in (f"UPDATE {quoted} SET id = id", f"DELETE FROM {quoted}", f"TRUNCATE {quoted}",
                       f"ALTER TABLE {quoted} DISABLE TRIGGER ALL",
                       f"DROP TRIGGER {_append_only_triggers()[table]} ON {quoted}"):
            refused = _as_role(app_role, attack)
            refusals.append((table, attack.split()[0], type(refused).__name__))
            assert refused is not None, f"{app_role} could run {attack}"
            assert refused.sqlstate == "42501", (attack, refused)  # insufficient_privilege / must be owner
        assert _as_role(app_role, f"SELECT * FROM {quoted} LIMIT 1") is None  # it may read
    assert _counts(tables) == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relowner = %s::regrole", [app_role])
        assert cursor.fetchone()[0] == 0
    print(f"\n{app_role}: {len(refusals)} attacks on {len(tables)} audit tables, all refused")


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pgtrigger_ignore_does_not_help_app_role(cases, app_role):  # noqa: F811  (a fixture)
    """The finding: a role that is not the owner ran ``SET LOCAL pgtrigger.ignore`` naming the
    triggers, and deleted read-log rows. Now the privilege is missing, so ignoring the trigger
    changes nothing; and the destruction function erases nothing of a case not destroyed."""
    from workflows.database import audit_tables

    before = _counts(audit_tables())
    ignore_all = f"SET LOCAL pgtrigger.ignore = '{_every_append_only_pgid()}'"
    for table in audit_tables():
        quoted = connection.ops.quote_name(table)
        for attack in (f"DELETE FROM {quoted}", f"UPDATE {quoted} SET id = id"):
            refused = _as_role(app_role, ignore_all, attack)
            assert refused is not None and refused.sqlstate == "42501", (table, attack, refused)
    live = cases["drp"]  # any id: no destroyed DO case has it
    enquiry = Enquiry.objects.get()
    refused = _as_role(app_role, ignore_all, f"SELECT footprint_erase_destroyed_do_case({int(enquiry.pk)})")
    assert refused is not None and "no destruction-log entry" in str(refused)
    assert _counts(audit_tables()) == before and live.timeline.count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_do_case_destruction_works_as_app_role(org, app_role):
    """The whole life of a DO case, read, concluded and destroyed, by the application logged in
    as its role: the case, its meetings, actions, timeline and history go, the destruction log
    and the read log stay."""
    from lado import services as lado_services
    from lado.models import Action, DestructionLog, Meeting
    from lado.models import TimelineEvent as DoTimelineEvent
    from subject_access import services as sar_services
    from subject_access.models import DisclosureDecision, SubjectAccessRequest
    from tests.support.lado_fixtures import at, concluded, in_progress
    from workflows.audit import record_read
    from workflows.clocks import as_of
    from workflows.models import CaseRead

    with connected_as(app_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        with as_of(date(2010, 1, 4)):
            enquiry = in_progress(org, received_at=at(date(2010, 1, 4)))
            lado_services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="suspension",
                                             owner_name="Head teacher", done_on=date(2010, 1, 4))
            enquiry = lado_services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="false")
        record_read(org.do_manager, enquiry, "lado:detail")
        pk, kept = enquiry.pk, concluded(org, "false", on=date(2010, 1, 4))
        assert DoTimelineEvent._base_manager.filter(enquiry_id=pk).exists()
        # A subject access request that covered the case loses its names with it (a function run
        # with the owner's rights: request and decision history are append-only).
        sar = sar_services.request_start(actor=org.do_manager, requester_name="Quentin Solicitor",
                                         received_on=date(2011, 3, 1), enquiry=enquiry)
        sar_services.decision_record(actor=org.do_manager, sar=sar, decision="release-in-full",
                                     reason="Quentin Solicitor asked")
        entry = lado_services.enquiry_destroy(enquiry=enquiry, actor=org.do_manager, reason="Retention ended")
    sar.refresh_from_db()
    assert sar.anonymised_at and sar.requester_name == ""
    assert not SubjectAccessRequest.history.filter(id=sar.pk, requester_name="Quentin Solicitor").exists()
    assert not DisclosureDecision.objects.filter(request=sar).exclude(reason="").exists()
    assert DestructionLog.objects.get(case_id=pk) == entry
    assert not Enquiry.objects.filter(pk=pk).exists()
    assert not DoTimelineEvent._base_manager.filter(enquiry_id=pk).exists()
    assert not Enquiry.history.filter(id=pk).exists()
    assert not Meeting.history.model.objects.filter(enquiry_id=pk).exists()
    assert not Action.history.model.objects.filter(enquiry_id=pk).exists()
    assert not Meeting.objects.filter(enquiry_id=pk).exists() and not Action.objects.filter(enquiry_id=pk).exists()
    assert CaseRead.objects.filter(case_kind="lado.enquiry", case_id=pk).exists()
    assert kept.timeline.count() >= 4 and Enquiry.history.filter(id=kept.pk).exists()


@on_postgresql
def test_grant_app_role_refuses_a_role_that_could_undo_it(db):
    """A superuser, a member of the owner, or a role owning a table could rewrite the record
    anyway: the command refuses each, and a role that does not exist."""
    from django.core.management import CommandError, call_command

    role = f"footprint_test_unsafe_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        cursor.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")
    try:
        for setup, expected in (("", "is a superuser"),
                                (f"ALTER ROLE {role} NOSUPERUSER; GRANT {owner} TO {role}", "is a member of"),
                                (f"REVOKE {owner} FROM {role}; ALTER TABLE workflows_closureday OWNER TO {role}",
                                 "owns workflows_closureday")):
            with connection.cursor() as cursor:
                for statement in filter(None, setup.split("; ")):
                    cursor.execute(statement)
            with pytest.raises(CommandError) as refused:
                call_command("grant_app_role", role, stdout=io.StringIO())
            assert expected in str(refused.value)
        with pytest.raises(CommandError, match="There is no role"):
            call_command("grant_app_role", "no_such_role_anywhere", stdout=io.StringIO())
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"REASSIGN OWNED BY {role} TO {owner}")
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def test_the_release_step_connects_as_the_owner_and_names_the_app_role():
    """FOOTPRINT_DATABASE_AS_OWNER (set by the release unit and the Procfile) switches the
    connection to DATABASE_OWNER_URL; the application's role is still DATABASE_URL's user."""
    env = {**os.environ, "DATABASE_URL": "postgres://footprint_app:a@db.internal:5432/footprint",
           "DATABASE_OWNER_URL": "postgres://footprint:b@db.internal:5432/footprint"}
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['USER'], settings.DATABASE_APP_ROLE)")
    for flag, expected in (("1", "footprint footprint_app"), ("0", "footprint_app footprint_app")):
        shown = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, capture_output=True,
                               text=True, timeout=120, env={**env, "FOOTPRINT_DATABASE_AS_OWNER": flag})
        assert shown.stdout.splitlines()[-1] == expected, shown.stderr
