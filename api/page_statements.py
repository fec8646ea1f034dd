"""A keyset page's SELECT compiled once for each shape of list, then run with new values.

Building a page's queryset (order, columns, the cursor's condition, the slice) and compiling
it was about a millisecond of Python in every list request, more than PostgreSQL spent
answering it. A list's shape shows in the statement that selects its rows' keys (the one the
bounded count runs, compiled each request anyway): the same text there, the same order, page
size and cursor-or-not, and the page's statement is the same text too. So the first request
of each shape compiles the page through the ORM as before and keeps its text if, and only if,
its parameters are exactly the list's own followed by the cursor's values, and its columns
need no converter; later requests run the kept text through a cursor with their own values.
Anything else (another database's types, a converter, parameters in another order) is simply
not kept and always goes through the ORM. Nothing read is kept, only statements' text."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections
from django.db.models.query import ValuesIterable

#: Shapes kept at most (per process); past it the kept statements are forgotten and compiled again.
KEEP = 256
_NOT_KEPT = object()
_kept: dict[tuple, object] = {}


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def _template(page, list_params: tuple, position: list | None):
    """(sql, column names, cursor value index for each parameter after the list's own), or
    ``_NOT_KEPT`` when the page's statement is not the list's parameters then the cursor's."""
    if page._iterable_class is not ValuesIterable or page.query.extra_select:
        return _NOT_KEPT
    compiler = page.query.get_compiler(page.db)
    sql, params = compiler.as_sql()
    columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
    if compiler.get_converters(columns) or compiler.has_composite_fields(columns):
        return _NOT_KEPT
    params = tuple(params)
    if len(params) < len(list_params) or not all(map(_same, params, list_params)):
        return _NOT_KEPT
    positions = []
    for value in params[len(list_params):]:
        found = [i for i, known in enumerate(position or ()) if _same(known, value)]
        if len(found) != 1:
            return _NOT_KEPT
        positions.append(found[0])
    names = [*page.query.values_select, *page.query.annotation_select]
    if len(names) != compiler.col_count:
        return _NOT_KEPT
    return sql, names, positions


def page_rows(list_statement: tuple[str, tuple] | None, shape: tuple, position: list | None,
              build: Callable) -> list[dict]:
    """The page's rows as ``.values()`` dictionaries. ``list_statement`` is the SQL and
    parameters that select the list's keys (None: none to run); ``shape`` what else makes the
    page's statement (database, order, size, whether a cursor is given, how rows are read);
    ``build()`` the page's queryset, built only when its statement is not kept."""
    if list_statement is None:
        return list(build())
    list_sql, list_params = list_statement
    key = (list_sql, *shape)
    kept = _kept.get(key)
    if kept is None:
        page = build()
        if len(_kept) >= KEEP:
            _kept.clear()
        _kept[key] = _template(page, tuple(list_params), position)
        return list(page)
    if kept is _NOT_KEPT:
        return list(build())
    sql, names, positions = kept
    connection = connections[shape[0]]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*list_params, *(position[i] for i in positions)])
        return [dict(zip(names, row)) for row in cursor.fetchall()]
