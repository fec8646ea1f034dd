"""API pagination (``DEFAULT_PAGINATION_CLASS``), in a module of its own: DRF imports it while
its own generic views are still loading, so it must not import anything that needs them."""

from __future__ import annotations

import base64
import binascii
import json
from collections import OrderedDict

from django.core.exceptions import EmptyResultSet
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .page_statements import page_rows

#: Lists count exactly up to here; past it they say "more than 10,000" and give the planner's
#: estimate, because an exact count of a million rows costs more than the page itself.
COUNT_BOUND = 10_000


def _whole_number(request, name: str, *, minimum: int) -> int | None:
    """The query parameter ``name`` as a whole number of at least ``minimum``; None when not
    sent; 400 naming it when it is anything else (``limit=ten``, ``offset=-1``, ``limit=2.5``)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) < minimum:
        raise ValidationError({name: [f"Give {name} as a whole number, {minimum} or more."]})
    return int(raw) if len(raw) <= 30 else 10**30  # (int() refuses 4,300+ digits; capped below anyway)


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` pages. A limit that is not a whole number of at least 1, or an
    offset that is not one of at least 0, is a 400 naming it. Both are capped: a client asking
    for 10^40 rows gets 500 of them (and an offset past the end an empty page), not a database
    error from a LIMIT or OFFSET no database can hold."""

    max_limit = 500
    max_offset = 2**62

    def get_limit(self, request):
        limit = _whole_number(request, self.limit_query_param, minimum=1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        offset = _whole_number(request, self.offset_query_param, minimum=0)
        return 0 if offset is None else min(offset, self.max_offset)


def planner_estimate(queryset) -> int:
    """The rows PostgreSQL's planner expects the query to return (``EXPLAIN``, nothing run);
    elsewhere (SQLite in development) an exact count, which is cheap at that size."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.order_by().count()
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # .none(): nobody may see anything here, no query to plan
        return 0
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def keys_statement(queryset) -> tuple[str, tuple] | None:
    """The SQL and parameters selecting the queryset's keys (what the bounded count counts),
    or None when it selects nothing (``.none()``)."""
    try:
        return queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None


def bounded_count(queryset, bound: int = COUNT_BOUND, keys=False) -> tuple[int, bool]:
    """``(count, exact)``: the exact count when there are at most ``bound`` rows, else the
    planner's estimate (never below ``bound + 1``). ``keys``: ``keys_statement(queryset)``
    when the caller has it already.

    Counting stops at ``bound + 1`` rows (``COUNT(*)`` over a ``LIMIT``), so its cost is
    bounded too. On PostgreSQL the count and the estimate are one statement whatever the data
    size (``footprint_bounded_count``, workflows 0008: the estimate is planned only past the
    bound); elsewhere two, the estimate asked for every time, so a list makes the same number
    of queries whatever the data size."""
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        statement = keys_statement(queryset) if keys is False else keys
        if statement is None:  # .none(): nothing to count
            return 0, True
        sql, params = statement
        with connection.cursor() as cursor:
            cursor.execute("SELECT counted, estimate FROM footprint_bounded_count(%s, %s)",
                           [connection.ops.compose_sql(sql, params), bound])
            counted, estimate = cursor.fetchone()
    else:
        estimate = planner_estimate(queryset)
        counted = queryset.order_by().values("pk")[: bound + 1].count()
    if counted <= bound:
        return counted, True
    return max(estimate, bound + 1), False


class BoundedPaginator(Paginator):
    """Page-numbered HTML lists whose total is exact up to ``COUNT_BOUND`` rows and the
    planner's estimate beyond (shown as "more than 10,000"); pages reach as far as the
    bound, past which the person narrows the filters."""

    bound = COUNT_BOUND

    @cached_property
    def _bounded(self) -> tuple[int, bool]:
        return bounded_count(self.object_list, self.bound)

    @cached_property
    def count(self) -> int:
        count, exact = self._bounded
        return count if exact else self.bound

    @property
    def count_is_exact(self) -> bool:
        return self._bounded[1]

    @property
    def estimated_count(self) -> int:
        return self._bounded[0]


class KeysetPagination(BasePagination):
    """``?cursor=&limit=`` pages for lists that grow to a million rows: each page starts
    after the last row of the one before (``WHERE (raised_on, id) < (…)``), so page 2,000
    costs what page 1 costs, where ``OFFSET`` reads and throws away every row before it.

    The view names its order with ``keyset_ordering``, every field one direction, the last
    one unique (``("-raised_on", "-id")``). The answer has ``next`` and ``previous`` links
    (opaque cursors), ``count`` (exact up to ``COUNT_BOUND``, else the planner's estimate)
    and ``count_is_exact``. A view that writes its rows from plain values gives
    ``keyset_rows(queryset)``, the page's rows as ``.values()`` dictionaries; it is applied
    after counting, so the count stays on the bare queryset (``.values()`` over related
    columns would join their tables into the count)."""

    page_size = 50
    max_page_size = 500
    cursor_query_param = "cursor"
    limit_query_param = "limit"
    count_bound = COUNT_BOUND

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.ordering = self._ordering(view)
        self.limit = self._limit(request)
        self.model = queryset.model
        self.position, self.backwards = self._decode(request.query_params.get(self.cursor_query_param))
        keys = keys_statement(queryset)
        self.count, self.count_is_exact = bounded_count(queryset, self.count_bound, keys)

        fields = [name for name, _ in self.ordering]
        descending = self.ordering[0][1]
        forwards_desc = descending != self.backwards  # walking the index downwards?
        order = [("-" if forwards_desc else "") + name for name in fields]
        rows_of = getattr(view, "keyset_rows", None)

        def build():
            qs = queryset.order_by(*order)
            if rows_of is not None:
                qs = rows_of(qs)
            if self.position is not None:
                qs = qs.filter(self._after(fields, self.position, forwards_desc))
            return qs[: self.limit + 1]

        # Plain values only: model rows (no keyset_rows) always come through the ORM.
        shape = (queryset.db, tuple(order), self.limit, self.position is not None, rows_of)
        rows = page_rows(keys if rows_of is not None else None, shape, self.position, build)
        more = len(rows) > self.limit
        rows = rows[: self.limit]
        if self.backwards:
            rows.reverse()
            self.has_next, self.has_previous = self.position is not None, more
        else:
            self.has_next, self.has_previous = more, self.position is not None
        self.rows = rows
        return rows

    def get_paginated_response(self, data):
        return Response(OrderedDict([
            ("count", self.count),
            ("count_is_exact", self.count_is_exact),
            ("next", self.get_next_link()),
            ("previous", self.get_previous_link()),
            ("results", data),
        ]))

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_is_exact", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": (
                    f"Rows in the whole list: exact up to {self.count_bound:,}, else the database "
                    "planner's estimate (see count_is_exact).")},
                "count_is_exact": {"type": "boolean"},
                "next": {"type": "string", "nullable": True, "format": "uri",
                         "description": "The next page, or null on the last."},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": "Where the page starts: the cursor in a next or previous link.",
             "schema": {"type": "string"}},
            {"name": self.limit_query_param, "required": False, "in": "query",
             "description": f"Rows per page (default {self.page_size}, at most {self.max_page_size}).",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]

    # -- links ---------------------------------------------------------------------------

    def get_next_link(self):
        if not self.has_next or not self.rows:
            return None
        return self._link(self.rows[-1], backwards=False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.rows:
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self._link(self.rows[0], backwards=True)

    def _link(self, row, backwards: bool) -> str:
        values = [_plain(row[name] if isinstance(row, dict) else getattr(row, name)) for name, _ in self.ordering]
        token = base64.urlsafe_b64encode(json.dumps({"v": values, "b": backwards}).encode()).decode()
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, token)

    # -- reading the request -------------------------------------------------------------

    def _ordering(self, view):
        names = getattr(view, "keyset_ordering", None) or ("-id",)
        ordering = [(name.lstrip("-"), name.startswith("-")) for name in names]
        if len({desc for _, desc in ordering}) != 1:
            raise ValueError("keyset_ordering: every field must sort the same way")
        return ordering

    def _limit(self, request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            limit = int(raw)
        except ValueError:
            raise ValidationError({self.limit_query_param: ["Enter a whole number."]}) from None
        if limit < 1:
            raise ValidationError({self.limit_query_param: ["Enter a number of rows of at least 1."]})
        return min(limit, self.max_page_size)

    def _decode(self, token):
        if not token:
            return None, False
        try:
            payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            values, backwards = payload["v"], payload["b"]
            if not isinstance(values, list) or len(values) != len(self.ordering) \
                    or not isinstance(backwards, bool):
                raise ValueError
            position = [self.model._meta.get_field(name).to_python(value)
                        for (name, _), value in zip(self.ordering, values)]
            if any(value is None for value in position):
                raise ValueError
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeError, binascii.Error,
                DjangoValidationError):
            raise ValidationError({self.cursor_query_param: [
                "This cursor is not one this list gave: follow the next or previous link."]}) from None
        return position, backwards

    def _after(self, fields, position, downwards: bool) -> Q:
        """Rows past ``position`` in the walking direction, as
        ``f1 <= v1 AND (f1 < v1 OR (f1 = v1 AND f2 < v2) ...)``: the leading bound is what an
        index range scan starts from; the rest only settles ties."""
        op = "lt" if downwards else "gt"
        edge = "lte" if downwards else "gte"
        condition = Q()
        for i in range(len(fields) - 1, -1, -1):
            step = Q(**{f"{fields[i]}__{op}": position[i]})
            if condition:
                step |= Q(**{fields[i]: position[i]}) & condition
            condition = step
        return Q(**{f"{fields[0]}__{edge}": position[0]}) & condition


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
