"""The DRP list API's rows, read as plain values and written out directly.

A page of 50 DRPs through ``DisputeResolutionListSerializer`` built 50 DRPs, their stage,
team, users and children as model instances and ran DRF's field machinery 900 times: at 1M
DRPs that was most of the request, the page's SELECT itself taking about a millisecond. Here,
on PostgreSQL, the page's statement writes each row's JSON itself, children and themes
included, and the renderer joins them (``api.renderers.JSONRows``); elsewhere (SQLite) the
page selects only the columns a row shows, two more queries read the children and themes, and
each row is written as the serializer writes it. ``tests/drp/test_list_rows.py`` holds both
equal to the serializer's rows, field by field and in order, and the PostgreSQL answer equal
byte for byte to DRF's rendering of them: the serializer stays the contract and the schema."""

from __future__ import annotations

from collections import defaultdict

from django.db import connections
from django.db.models import CharField, QuerySet
from django.db.models.expressions import RawSQL

from api.renderers import JSONRows
from api.serializers import UTCDateTimeField
from people.models import User

from .models import DisputeResolution, Stage

#: The columns a list row shows, with the keys of its stage, closing stage and IRO.
COLUMNS = (
    "id", "version", "updated_at", "reference", "case_type", "status", "raised_on", "stage_started_on",
    "stage_due_date", "overall_due_date", "review_due_date", "closed_on", "referred_to_cafcass",
    "stage__key", "closed_at_stage__key", "iro__username",
)
DATES = ("raised_on", "stage_started_on", "stage_due_date", "overall_due_date", "review_due_date", "closed_on")
_moment = UTCDateTimeField()
_resource = DisputeResolution._meta.model_name


def _array_sql(m2m, value: str, order: str) -> str:
    """``ARRAY(SELECT value ...)`` over one many-to-many field's targets for the outer query's
    DRP (``target`` is the related table), written once."""
    return (f'ARRAY(SELECT target."{value}" FROM "{m2m.m2m_db_table()}" link '
            f'INNER JOIN "{m2m.related_model._meta.db_table}" target ON (link."{m2m.m2m_reverse_name()}" = target."id") '
            f'WHERE link."{m2m.m2m_column_name()}" = ("{DisputeResolution._meta.db_table}"."id") ORDER BY {order})')


_TABLE = DisputeResolution._meta.db_table
#: Each row as the JSON text ``DisputeResolutionListSerializer`` writes for it, by PostgreSQL
#: (``row_to_json`` writes compact JSON, dates as ISO dates, arrays as arrays): Python only joins
#: the page's rows (``api.renderers.JSONRows``). Reading 19 columns into Python values, building
#: each row's dictionary and encoding it again was most of the list's Python. ``updated_at`` is
#: UTC with ``Z``, without a zero fraction, as ``datetime.isoformat`` writes it.
_ROW_JSON = RawSQL(
    f"""(SELECT row_to_json(r)::text FROM (SELECT "{_TABLE}"."id" AS "id",
    "{_TABLE}"."reference" AS "reference", "{_TABLE}"."case_type" AS "case_type",
    {_array_sql(DisputeResolution.children.field, "id", 'target."name" ASC, target."id" ASC')} AS "children",
    {_array_sql(DisputeResolution.themes.field, "slug", 'target."name" ASC')} AS "themes",
    (SELECT s."key" FROM "{Stage._meta.db_table}" s WHERE s."id" = "{_TABLE}"."stage_id") AS "stage",
    "{_TABLE}"."status" AS "status",
    (SELECT u."username" FROM "{User._meta.db_table}" u WHERE u."id" = "{_TABLE}"."iro_id") AS "iro",
    {", ".join(f'"{_TABLE}"."{name}" AS "{name}"' for name in DATES)},
    (SELECT s."key" FROM "{Stage._meta.db_table}" s WHERE s."id" = "{_TABLE}"."closed_at_stage_id") AS "closed_at_stage",
    "{_TABLE}"."referred_to_cafcass" AS "referred_to_cafcass",
    replace(to_char("{_TABLE}"."updated_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || 'Z', '.000000Z', 'Z')
        AS "updated_at",
    '{_resource}-' || "{_TABLE}"."id" || '-' || "{_TABLE}"."version" AS "etag") r)""",
    (), output_field=CharField())


def list_values(qs: QuerySet[DisputeResolution]) -> QuerySet:
    """The visible, filtered DRPs as the dictionaries a list row needs. On PostgreSQL: the
    keyset's columns and the row's JSON text, the page one statement; elsewhere (SQLite) the
    columns a row shows (joining only the stages and the IRO), and ``list_rows`` reads the
    children and themes in two more. The API's paginator calls this after counting
    (``keyset_rows``), so the count joins nothing."""
    if connections[qs.db].vendor != "postgresql":
        return qs.values(*COLUMNS)
    return qs.annotate(row_json=_ROW_JSON).values("raised_on", "id", "row_json")


def list_rows(page: list[dict]) -> list[dict] | JSONRows:
    """The page's rows as ``DisputeResolutionListSerializer`` gives them: as the JSON text
    PostgreSQL wrote, or from two more queries whatever the page size."""
    if page and "row_json" in page[0]:
        return JSONRows([row["row_json"] for row in page])
    ids = [row["id"] for row in page]
    children, themes = defaultdict(list), defaultdict(list)
    if ids:
        links = DisputeResolution.children.through.objects.filter(disputeresolution_id__in=ids)
        for drp_id, child_id in links.order_by("child__name", "child_id").values_list(
                "disputeresolution_id", "child_id"):
            children[drp_id].append(child_id)
        theme_links = DisputeResolution.themes.through.objects.filter(disputeresolution_id__in=ids)
        for drp_id, slug in theme_links.order_by("theme__name").values_list("disputeresolution_id", "theme__slug"):
            themes[drp_id].append(slug)
    return [_row(row, children[row["id"]], themes[row["id"]]) for row in page]


def _day(value):
    return value.isoformat() if value is not None else None


def _row(row: dict, children: list[int], themes: list[str]) -> dict:
    return {
        "id": row["id"],
        "reference": row["reference"],
        "case_type": row["case_type"],
        "children": children,
        "themes": themes,
        "stage": row["stage__key"],
        "status": row["status"],
        "iro": row["iro__username"],
        **{name: _day(row[name]) for name in DATES},
        "closed_at_stage": row["closed_at_stage__key"],
        "referred_to_cafcass": row["referred_to_cafcass"],
        "updated_at": _moment.to_representation(row["updated_at"]),
        "etag": f"{_resource}-{row['id']}-{row['version']}",
    }
