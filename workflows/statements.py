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
        """The first row as a model instance, or None."""
        return next(iter(self.run(*values)), None)
