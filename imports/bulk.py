"""Writing an import's records in bulk, with their django-simple-history rows.

On PostgreSQL a chunk's new rows go in with ``COPY`` (psycopg 3's ``cursor.copy``), their
primary keys drawn beforehand from the table's sequence in one query (so that links, stage
records and timeline events can name them); changed rows are written with one ``UPDATE ...
FROM unnest(...)`` of their columns as arrays. Each record's history row is copied beside it, as
``bulk_create_with_history`` and ``bulk_history_create`` would write it (same columns, the
importer as ``history_user``, "Imported from ..." as the reason, ``+`` or ``~``).

Elsewhere (SQLite, for development and the tests) the same calls use Django's ``bulk_create``
(with history) and one prepared ``UPDATE`` run for every record (``executemany``).

The objects passed are ordinary unsaved (or loaded) model instances, filled by each app's
importer with its own rules; only how they reach the database differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from workflows import database
from workflows.clocks import now as clock_now
from workflows.concurrency import Versioned

#: Columns simple-history adds to a historical table, and how an import fills them.
HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")


def fast() -> bool:
    """Whether the ``COPY`` path is used (PostgreSQL)."""
    return connection.vendor == "postgresql"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


#: Fields whose Python value psycopg writes as it is (``get_db_prep_save`` returns it unchanged
#: on PostgreSQL): asking Django for each costs more than the rest of the row's work.
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.DateField,
          models.AutoField, models.BigAutoField, models.ForeignKey)


def _plain(field) -> bool:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return False
    if isinstance(field, models.ForeignKey):
        return _plain(field.target_field)
    if isinstance(field, (models.AutoField, models.BigAutoField, models.SmallAutoField)):
        return True  # an integer
    # DateTimeField is a DateField: an aware datetime is written as it is.
    return type(field).get_db_prep_save is models.Field.get_db_prep_save and isinstance(field, _PLAIN) \
        and type(field).get_db_prep_value in (models.Field.get_db_prep_value, models.DateField.get_db_prep_value,
                                              models.DateTimeField.get_db_prep_value,
                                              models.IntegerField.get_db_prep_value)


def _values(fields, *, add: bool):
    """A function giving a record's column values as Django would send them (``pre_save``,
    ``get_db_prep_save``), with the connection and each field's way resolved once for all the
    rows: ``django.db.connection`` is a proxy whose look-up, per row, cost more than the row."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        return lambda obj: [field.get_db_prep_save(field.pre_save(obj, add), conn) for field in fields]
    plan = _plain_fields(fields)
    return lambda obj: [obj.__dict__[field.attname] if plain else field.get_db_prep_save(field.pre_save(obj, add), conn)
                        for field, plain in plan]


_plain_cache: dict[tuple, list] = {}


def _plain_fields(fields) -> list[tuple]:
    key = tuple(id(field) for field in fields)
    if key not in _plain_cache:
        _plain_cache[key] = [(field, _plain(field)) for field in fields]
    return _plain_cache[key]


def _copy(cursor, table: str, columns: Iterable[str], rows: Iterable[Iterable]) -> None:
    sql = f"COPY {_quote(table)} ({', '.join(_quote(c) for c in columns)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _take_keys(cursor, model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys from the table's own sequence, in one query."""
    pk = model._meta.pk
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                   [model._meta.db_table, pk.column, count])
    return [row[0] for row in cursor.fetchall()]


def _history_rows(model, rows: list[list], *, user, reason: str, kind: str) -> tuple[list[str], list[list]]:
    """The history table's columns and rows for records whose column values are ``rows``
    (in ``model._meta.concrete_fields`` order)."""
    history = model.history.model
    tracked = [field.column for field in model._meta.concrete_fields]
    known = {field.column for field in history._meta.concrete_fields} - {history._meta.pk.column}
    extra = known - set(tracked) - set(HISTORY_COLUMNS)
    if extra:  # a history model this module does not know how to fill
        raise ValueError(f"{history.__name__} has columns the import cannot fill: {sorted(extra)}")
    now = timezone.now()
    tail = [now, reason, kind, user.pk if user else None]
    return [*tracked, *HISTORY_COLUMNS], [[*row, *tail] for row in rows]


def insert(model: type[models.Model], objs: list, *, user=None, reason: str = "", history: bool = True) -> None:
    """Insert new records (their ``pk`` is set, as ``bulk_create`` sets it), with a history
    row each when ``history``."""
    if not objs:
        return
    if not fast():
        if history:
            bulk_create_with_history(objs, model, default_user=user, default_change_reason=reason)
        else:
            model.objects.bulk_create(objs)
        return
    fields = model._meta.concrete_fields
    pk = model._meta.pk
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        missing = [obj for obj in objs if obj.pk is None]
        for obj, key in zip(missing, _take_keys(cursor, model, len(missing)) if missing else ()):
            setattr(obj, pk.attname, key)
        values = _values(fields, add=True)
        rows = [values(obj) for obj in objs]
        _copy(cursor, model._meta.db_table, [field.column for field in fields], rows)
        if history:
            columns, history_rows = _history_rows(model, rows, user=user, reason=reason, kind="+")
            _copy(cursor, model.history.model._meta.db_table, columns, history_rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


class _Any(models.Lookup):
    """``column = ANY(%s)`` with the values as one array parameter: psycopg converts a query
    with 500 placeholders (``IN (%s, %s, ...)``) in Python, slowly, every time."""

    lookup_name = "import_any"

    def as_sql(self, compiler, conn):
        lhs, lhs_params = self.process_lhs(compiler, conn)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]

    def get_prep_lookup(self):
        return list(self.rhs)


models.CharField.register_lookup(_Any)
models.ForeignKey.register_lookup(_Any)


def among(name: str, values) -> dict:
    """A filter: ``name`` is one of ``values`` (``= ANY`` on PostgreSQL, ``IN`` elsewhere)."""
    return {f"{name}__{'import_any' if fast() else 'in'}": list(values)}


def count_again(model: type[models.Model]) -> None:
    """``ANALYZE`` the model's table and its many-to-many tables (PostgreSQL), each time an
    import has doubled what it wrote. The import is one transaction, so autovacuum never sees
    its rows: without this the planner goes on taking a table it is filling for the few rows
    it had, and the report counts' triggers (reports 0003, 0005) scan whole tables for each
    chunk, the import slowing as the table grows. ``ANALYZE`` in the transaction samples its
    own new rows; its lock is held to the commit, so a table another import (or a VACUUM)
    holds is skipped (``SKIP_LOCKED``) rather than waited for."""
    if not fast():
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE (SKIP_LOCKED) " + ", ".join(_quote(table) for table in tables(model)))


def tables(model: type[models.Model]) -> list[str]:
    """The model's table and its many-to-many tables: what an import of it writes."""
    return [model._meta.db_table, *(field.remote_field.through._meta.db_table
                                    for field in model._meta.local_many_to_many)]


def counts_deferred(model: type[models.Model], *, rows: int):
    """For an import of ``rows`` rows of ``model``: past ``FOOTPRINT_IMPORT_RECOUNT_ROWS``, the
    report counts kept over its tables are counted once at the end rather than moved by every
    chunk (``workflows.database.counts_deferred``, which says why); a smaller import moves them
    as any change does (a recount reads every row, seconds at a national scale)."""
    if rows < settings.FOOTPRINT_IMPORT_RECOUNT_ROWS:
        return nullcontext()
    return database.counts_deferred(tables(model))


def delete_rows(model: type[models.Model], column: str, values: list) -> None:
    """Delete the rows whose ``column`` is one of ``values`` in one statement (a many-to-many
    table's links: nothing cascades from them, so Django's deletion collector has no work)."""
    if not values:
        return
    table, name = _quote(model._meta.db_table), _quote(model._meta.get_field(column).column)
    with connection.cursor() as cursor:
        if fast():
            cursor.execute(f"DELETE FROM {table} WHERE {name} = ANY(%s)", [list(values)])
        else:
            cursor.execute(f"DELETE FROM {table} WHERE {name} IN ({', '.join(['%s'] * len(values))})", list(values))


def insert_rows(model: type[models.Model], columns: list[str], rows: list[tuple]) -> None:
    """Rows of plain values (a many-to-many table's links, say) without making model instances
    on PostgreSQL; the primary key is the table's own default."""
    if not rows:
        return
    if not fast():
        model.objects.bulk_create([model(**dict(zip(columns, row))) for row in rows])
        return
    names = [model._meta.get_field(name).column for name in columns]
    with connection.cursor() as wrapper:
        _copy(wrapper.cursor, model._meta.db_table, names, rows)


def update(model: type[models.Model], objs: list, names: Iterable[str], *, user=None, reason: str = "") -> None:
    """Save these fields of loaded records, and add their history rows (``~``): the full row
    as it now stands, as simple-history records it."""
    if not objs:
        return
    names = tuple(name for name in names if name not in ("version", "updated_at"))
    bump = ""
    if issubclass(model, Versioned):
        # An imported change is a change: the version moves on in the statement (an ETag read
        # before the import no longer matches), updated_at is the import's time.
        stamp = clock_now()
        for obj in objs:
            obj.version, obj.updated_at = obj.version + 1, stamp
        names = (*names, "updated_at")
        bump = ", {version} = {table}.{version} + 1".format(version=_quote("version"), table="{table}")
    fields = [model._meta.get_field(name) for name in names]
    pk = model._meta.pk
    table = _quote(model._meta.db_table)
    if not fast():
        sql = (f"UPDATE {table} SET " + ", ".join(f"{_quote(f.column)} = %s" for f in fields)
               + bump.format(table=table) + f" WHERE {_quote(pk.column)} = %s")
        values = _values(fields, add=False)
        params = [values(obj) + [pk.get_db_prep_value(obj.pk, connection)] for obj in objs]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
        model.history.bulk_history_create(objs, update=True, default_user=user, default_change_reason=reason)
        return
    # The changed columns go as one array each (``UPDATE ... FROM unnest(...)``), not through a
    # staging table: emptying one (TRUNCATE, DROP) makes PostgreSQL scan every foreign-key check
    # the import has deferred to its commit, millions by the end of a big import (N² in chunks).
    columns = [pk, *fields]
    names = ", ".join(_quote(f.column) for f in columns)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    values = _values(fields, add=False)
    rows = [[obj.pk, *values(obj)] for obj in objs]
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(f"UPDATE {table} AS t SET "
                       + ", ".join(f"{_quote(f.column)} = s.{_quote(f.column)}" for f in fields)
                       + bump.format(table="t") + f" FROM unnest({arrays}) AS s({names}) "
                       f"WHERE t.{_quote(pk.column)} = s.{_quote(pk.column)}", [list(column) for column in zip(*rows)])
        every = model._meta.concrete_fields
        values = _values(every, add=False)
        columns, history_rows = _history_rows(model, [values(obj) for obj in objs],
                                              user=user, reason=reason, kind="~")
        _copy(cursor, model.history.model._meta.db_table, columns, history_rows)
