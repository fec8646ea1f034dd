"""The application's PostgreSQL role: what web, worker and beat connect as.

It owns no table (the owner, who runs the migrations, does), reads and writes the case tables,
and may only read and add to the audit tables: every table with an append-only trigger
(``workflows.models.append_only``). Without UPDATE, DELETE or TRUNCATE on them, and without
ownership, nothing it runs can rewrite or remove the audit record, nor switch the triggers off
(``SET pgtrigger.ignore``, ``ALTER TABLE … DISABLE TRIGGER``). The one destruction allowed, of
a DO enquiry past retention, goes through a function owned by the owner (lado/migrations/0006),
the only function it may run. See docs/deployment.md, "The database's two roles".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field

import pgtrigger
from django.db import connections, transaction

#: Functions the application's role may EXECUTE (they run with the owner's rights).
APP_FUNCTIONS = ("footprint_erase_destroyed_do_case(bigint)",
                 "footprint_forget_destroyed_do_case_requests(bigint,bigint[],text)")
#: Tables it may read and nothing else: the record of which migrations ran.
READ_ONLY_TABLES = ("django_migrations",)
CASE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
AUDIT_PRIVILEGES = "SELECT, INSERT"


class AppRoleRefused(Exception):
    """The role cannot safely be the application's role (or the connection is not the owner's)."""


@dataclass
class Granted:
    role: str
    owner: str
    case_tables: list[str] = field(default_factory=list)
    audit_tables: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def audit_tables() -> list[str]:
    """Every table with an append-only trigger: the application may only read and add to it."""
    return sorted({model._meta.db_table for model, trigger in pgtrigger.registered()
                   if trigger.name == "append_only"})


def grant_app_role(role: str, using: str = "default") -> Granted:
    """Give ``role`` exactly the application's privileges on this database's tables, in one
    transaction (everything it had on them is revoked first, so running it again after a
    migration puts new tables right). Run as the tables' owner; PostgreSQL only."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        owner, schema = cursor.fetchone()
        _refuse_unsafe(cursor, role, owner, schema)
        cursor.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname", [schema])
        tables = [row[0] for row in cursor.fetchall()]
        audit = [table for table in audit_tables() if table in tables]
        missing = sorted(set(audit_tables()) - set(tables))
        if missing:
            raise AppRoleRefused(f"Run the migrations first: there is no {', '.join(missing)}.")
        read_only = [table for table in READ_ONLY_TABLES if table in tables]
        granted = Granted(role=role, owner=owner, audit_tables=audit,
                          case_tables=[t for t in tables if t not in audit and t not in read_only])
        who, where = quote(role), quote(schema)

        def on(names):
            return ", ".join(f"{where}.{quote(name)}" for name in names)

        statements = [
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {who}",
            f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {where} FROM {who}",
            f"GRANT {CASE_PRIVILEGES} ON {on(granted.case_tables)} TO {who}",
            f"GRANT {AUDIT_PRIVILEGES} ON {on(audit)} TO {who}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
        ]
        if read_only:
            statements.append(f"GRANT SELECT ON {on(read_only)} TO {who}")
        cursor.execute("SELECT has_schema_privilege(%s, %s, 'USAGE'), has_schema_privilege(%s, %s, 'CREATE')",
                       [role, schema, role, schema])
        usage, create = cursor.fetchone()
        if not usage:
            statements.insert(0, f"GRANT USAGE ON SCHEMA {where} TO {who}")
        if create:
            granted.warnings.append(
                f"{role} may create objects in schema {schema} (PostgreSQL before 15 lets everyone): "
                f"as the schema's owner run REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC.")
        for function in APP_FUNCTIONS:
            cursor.execute("SELECT to_regprocedure(%s) IS NOT NULL", [f"{schema}.{function}"])
            if cursor.fetchone()[0]:
                statements.append(f"GRANT EXECUTE ON FUNCTION {where}.{function} TO {who}")
                granted.functions.append(function)
        for statement in statements:
            cursor.execute(statement)
    return granted


def _refuse_unsafe(cursor, role: str, owner: str, schema: str) -> None:
    if role == owner:
        raise AppRoleRefused(
            f"Connected as {role} itself. Run this as the tables' owner (FOOTPRINT_DATABASE_AS_OWNER=1 "
            "with DATABASE_OWNER_URL set), naming the application's role.")
    cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
    found = cursor.fetchone()
    if found is None:
        raise AppRoleRefused(f"There is no role {role}: create it first (CREATE ROLE {role} LOGIN PASSWORD '…').")
    if found[0] or found[1]:
        raise AppRoleRefused(f"{role} is a superuser (or bypasses row security): it could do anything.")
    cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
    if cursor.fetchone()[0]:
        raise AppRoleRefused(f"{role} is a member of {owner}, so it has the owner's rights.")
    cursor.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE n.nspname = %s AND pg_get_userbyid(c.relowner) = %s ORDER BY 1", [schema, role])
    owned = [row[0] for row in cursor.fetchall()]
    if owned:
        raise AppRoleRefused(f"{role} owns {', '.join(owned[:5])}{' …' if len(owned) > 5 else ''}: the owner "
                             "of a table can change it as it likes. Give them to the owner "
                             f"(REASSIGN OWNED BY {role} TO {owner}) and run this again.")


# --- What migrations that keep counts by trigger share -------------------------------------


def trigger_function(name: str, body: str) -> str:
    """``CREATE OR REPLACE FUNCTION`` of a statement-level trigger running ``body``."""
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\nRETURN NULL;\nEND $$;\n")


def on_postgresql(create_sql: str, drop_sql: str):
    """A migration operation running ``create_sql`` forwards and ``drop_sql`` backwards, on
    PostgreSQL only (SQLite has none of these triggers: the selectors count the rows there)."""
    from django.db import migrations

    def run(sql):
        def operation(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                with schema_editor.connection.cursor() as cursor:  # several statements: no parameters
                    cursor.execute(sql)
        return operation

    return migrations.RunPython(run(create_sql), run(drop_sql))


# --- Counts kept by triggers, deferred by a long bulk write --------------------------------

#: While this setting is "on" in a transaction (``SET LOCAL``), the kept counts' triggers do
#: nothing (their ``WHEN`` is false); whoever set it counts the tables again before it commits.
DEFER_SETTING = "footprint.defer_counts"
COUNTING = f"coalesce(current_setting('{DEFER_SETTING}', true), '') <> 'on'"


@dataclass(frozen=True)
class KeptCount:
    """A table of counts PostgreSQL keeps by statement-level triggers on ``sources``, and the
    ``fresh`` SELECT counting it from them (its key ``columns``, then ``n``)."""

    table: str
    columns: str
    sources: tuple[str, ...]
    fresh: str


#: Every kept count, by table: each app registers its own (``keep_count``) when it is ready.
KEPT_COUNTS: dict[str, KeptCount] = {}


def keep_count(count: KeptCount) -> KeptCount:
    KEPT_COUNTS[count.table] = count
    return count


def counted_unless_deferred(*triggers: tuple[str, str]):
    """A migration operation giving each (trigger, table) the condition ``COUNTING``, or taking
    it away backwards: the trigger as PostgreSQL states it (``pg_get_triggerdef``), re-created
    with a ``WHEN``, so that its function, its transition tables and its events stay as they are."""
    from django.db import migrations

    def operation(forwards: bool):
        def run(apps, schema_editor):
            if schema_editor.connection.vendor != "postgresql":
                return
            with schema_editor.connection.cursor() as cursor:
                for name, table in triggers:
                    cursor.execute("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = %s "
                                   "AND tgrelid = %s::regclass", [name, table])
                    definition = cursor.fetchone()[0]
                    definition = re.sub(r" WHEN \(.*\) EXECUTE FUNCTION ", " EXECUTE FUNCTION ", definition)
                    if forwards:
                        definition = definition.replace(" EXECUTE FUNCTION ", f" WHEN ({COUNTING}) EXECUTE FUNCTION ", 1)
                    cursor.execute(f"DROP TRIGGER {name} ON {table}")
                    cursor.execute(definition)
        return run

    return migrations.RunPython(operation(True), operation(False))


@contextmanager
def counts_deferred(tables: Iterable[str], using: str = "default"):
    """Inside (a transaction), the counts kept over ``tables`` are not moved statement by
    statement; leaving it, they are counted again from their sources.

    Why: a transaction of thousands of statements (an import of a million rows writes 2,000
    chunks) moves the same few hundred count rows once a statement, and PostgreSQL cannot prune
    the versions of a row that its own open transaction made: each update walks every earlier
    version, and the import slowed as it grew (N² in its chunks). Counted once at the end instead.

    Each table is locked (``EXCLUSIVE``: reads go on) while it is counted again: a writer that
    moved a count before waits to commit first, one that moves it after waits for this commit,
    so none of their changes is counted twice or lost. Nothing is counted when the transaction
    is already to be rolled back. On other databases (no triggers) it does nothing."""
    connection = connections[using]
    tables = set(tables)
    counts = sorted((count for count in KEPT_COUNTS.values() if tables & set(count.sources)),
                    key=lambda count: count.table)
    if connection.vendor != "postgresql" or not counts:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL {DEFER_SETTING} = 'on'")
    yield
    if transaction.get_rollback(using):
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL {DEFER_SETTING} = 'off'")
        for count in counts:
            table = quote(count.table)
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(f"INSERT INTO {table} ({count.columns}, n) {count.fresh}")
