"""The DRP list API's rows, read as plain values and written out directly.

A page of 50 DRPs through ``DisputeResolutionListSerializer`` built 50 DRPs, their stage,
team, users and children as model instances and ran DRF's field machinery 900 times: at 1M
DRPs that was most of the request, the page's SELECT itself taking about a millisecond. Here
the page selects only the columns a row shows, with the children's ids and themes' slugs as
arrays on PostgreSQL (as id pairs in two more queries elsewhere), and each row is written as the serializer writes it (``tests/drp/test_list_rows.py`` holds them equal,
field by field and in order, so the serializer stays the contract and the schema)."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import CharField, IntegerField, QuerySet
from django.db.models.expressions import RawSQL

from api.serializers import UTCDateTimeField

from .models import DisputeResolution

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


#: The page's children (by name, then id) and themes (by name), as arrays beside each row.
#: Plain SQL, not ``ArraySubquery`` over the link tables: building and compiling those two
#: querysets on every request was more Python than the rest of the page's query.
_CHILD_IDS = RawSQL(_array_sql(DisputeResolution.children.field, "id", 'target."name" ASC, target."id" ASC'), (),
                    output_field=ArrayField(IntegerField()))
_THEME_SLUGS = RawSQL(_array_sql(DisputeResolution.themes.field, "slug", 'target."name" ASC'), (),
                      output_field=ArrayField(CharField()))
#: ``updated_at`` as UTC text with six fractional digits: Django reads a timestamptz through a
#: Python loader of its own (a quarter of a millisecond for a page's 50), to write it out as
#: text again at once. ``_utc`` drops a zero fraction as ``datetime.isoformat`` does.
_UPDATED_AT_UTC = RawSQL(f"""to_char("{DisputeResolution._meta.db_table}"."updated_at" AT TIME ZONE 'UTC', """
                         """'YYYY-MM-DD"T"HH24:MI:SS.US')""", (), output_field=CharField())
_PG_COLUMNS = tuple(name for name in COLUMNS if name != "updated_at")


def list_values(qs: QuerySet[DisputeResolution]) -> QuerySet:
    """The visible, filtered DRPs as the dictionaries a list row needs (joins only the stages
    and the IRO, not the team and three more users the model rows brought). On PostgreSQL
    each row also carries its children's ids and themes' slugs as arrays, so the page is one
    statement; elsewhere (SQLite) ``list_rows`` reads them in two more. The API's paginator
    calls this after counting (``keyset_rows``), so the count joins nothing."""
    if connections[qs.db].vendor != "postgresql":
        return qs.values(*COLUMNS)
    return qs.annotate(child_ids=_CHILD_IDS, theme_slugs=_THEME_SLUGS, updated_at_utc=_UPDATED_AT_UTC).values(
        *_PG_COLUMNS, "updated_at_utc", "child_ids", "theme_slugs")


def list_rows(page: list[dict]) -> list[dict]:
    """The page's rows as ``DisputeResolutionListSerializer`` gives them: children and themes
    from the page's own arrays, or from two more queries whatever the page size."""
    if page and "child_ids" in page[0]:
        return [_row(row, row["child_ids"], row["theme_slugs"]) for row in page]
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


def _utc(text: str | None) -> str | None:
    if text is None:
        return None
    return (text[:-7] if text.endswith(".000000") else text) + "Z"


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
        "updated_at": _utc(row["updated_at_utc"]) if "updated_at_utc" in row else _moment.to_representation(row["updated_at"]),
        "etag": f"{_resource}-{row['id']}-{row['version']}",
    }
