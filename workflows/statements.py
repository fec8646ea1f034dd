"""Reads whose SQL is compiled once per process and database, then run with new values.

Building a queryset and compiling it to SQL is Python work the ORM repeats on every call: for
the reads every request makes (its session, the signed-in person with their roles) it cost
more than the database spent answering them. A :class:`CompiledRead` compiles its queryset once,
with stand-in values, checks that those values are exactly the statement's parameters (so the
SQL cannot depend on them), and afterwards runs the kept SQL with the real values through
``raw()``, which turns the rows into model instances with the database's converters as the
ORM does. Nothing read is kept, only the statement's text: every call reads afresh.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router
from django.db.models import Field, QuerySet
from django.db.models.query import RawQuerySet
from django.utils.functional import cached_property


class CompiledRead:
    """``build(*stand_ins)`` gives the queryset; ``run(*values)`` the rows of the same SQL with
    ``values`` as its parameters, in that order. Each parameter is named with the model field
    that prepares it for the database, as the ORM's lookup does (a date-time is text on
    SQLite). Only for querysets whose shape does not depend on the values: no ``__in`` over a
    list, no value that picks a branch; the stand-in check refuses one whose parameters are
    not exactly the stand-ins."""

    def __init__(self, build: Callable[..., QuerySet], *parameters: tuple[Field, object]):
        self.build = build
        self.fields = [field for field, _ in parameters]
        self.stand_ins = [value for _, value in parameters]
        self._sql: dict[tuple[str, str], str] = {}
        self._rows: dict[str, _RowPlan] = {}

    @cached_property
    def model(self):
        return self.build(*self.stand_ins).model

    def _prepared(self, values, connection) -> list:
        return [field.get_db_prep_value(value, connection) for field, value in zip(self.fields, values, strict=True)]

    def sql(self, alias: str) -> str:
        connection = connections[alias]
        key = (alias, connection.vendor)
        if key not in self._sql:
            sql, params = self.build(*self.stand_ins).using(alias).query.sql_with_params()
            if list(params) != self._prepared(self.stand_ins, connection):
                raise ValueError(f"{self.model.__name__}: the statement's parameters {params!r} are not "
                                 f"its stand-in values {self.stand_ins!r}: it cannot be compiled once")
            self._sql[key] = sql
        return self._sql[key]

    def run(self, *values) -> RawQuerySet:
        alias = router.db_for_read(self.model)
        return self.model._default_manager.using(alias).raw(self.sql(alias),
                                                            self._prepared(values, connections[alias]))

    def first(self, *values):
        """The first row as a model instance, or None: the instance ``raw()`` makes of it, but
        with what ``raw()`` works out from the statement's columns on every call (which
        fields, in what order, their converters) worked out once, from the first answer's
        columns. That was most of the Python in the two reads every signed-in request makes."""
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        params = tuple(connection.ops.adapt_unknown_value(value) for value in self._prepared(values, connection))
        with connection.cursor() as cursor:
            cursor.execute(self.sql(alias), params)
            row = cursor.fetchone()
            if row is None:
                return None
            plan = self._rows.get(alias)
            if plan is None:
                columns = [connection.introspection.identifier_converter(c[0]) for c in cursor.description]
                plan = self._rows[alias] = _RowPlan(self.run(*values), columns)
        return plan.instance(list(row), alias, connection)


class _RowPlan:
    """How ``RawModelIterable`` makes a row of this statement into a model instance: the
    model's fields among the columns and their positions, the other columns (annotations, set
    as attributes), and the database's converters by position."""

    def __init__(self, raw: RawQuerySet, columns: list[str]):
        raw.__dict__["columns"] = columns  # (what raw() would read from its own cursor)
        self.model = raw.model
        self.names, self.positions, self.annotations = raw.resolve_model_init_order()
        if self.model._meta.pk.attname not in self.names:
            raise FieldDoesNotExist("Raw query must include the primary key")
        connection = connections[raw.db]
        compiler = connection.ops.compiler("SQLCompiler")(raw.query, connection, raw.db)
        fields = [raw.model_fields.get(column) for column in columns]
        cols = [f.get_col(f.model._meta.db_table) if f else None for f in fields]
        if compiler.has_composite_fields(cols):
            raise ValueError(f"{self.model.__name__}: a composite field cannot be read by CompiledRead")
        self.converters = list(compiler.get_converters(cols).items())

    def instance(self, row: list, alias: str, connection):
        for pos, (converters, expression) in self.converters:
            value = row[pos]
            for converter in converters:
                value = converter(value, expression, connection)
            row[pos] = value
        instance = self.model.from_db(alias, self.names, [row[pos] for pos in self.positions])
        for column, pos in self.annotations:
            setattr(instance, column, row[pos])
        return instance
