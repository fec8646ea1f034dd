"""The DRP list API writes its rows from plain values (``drp.list_rows``), for speed at 1M
DRPs; ``DisputeResolutionListSerializer`` stays the contract, so the two must give the same
rows, field by field, in the same order, for open and closed DRPs, sibling groups and DRPs
referred to Cafcass."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework import renderers
from rest_framework.test import APIClient

from api.renderers import JSONRenderer, JSONRows
from drp import services
from drp.list_rows import list_rows, list_values
from drp.models import DisputeResolution, Stage, Theme
from drp.selectors import drps_visible_to, with_list_data
from drp.serializers import DisputeResolutionListSerializer
from tests.support.auth import api_token
from tests.support.factories import cp_child

pytestmark = pytest.mark.django_db


def _varied_drps(org):
    """Open, withdrawn and moved-on DRPs; children whose names sort apart from their ids."""
    zoe, adam = cp_child(org, name="Zoe Zephyr"), cp_child(org, name="Adam Ashby")
    themes = list(Theme.objects.order_by("-name")[:3])
    open_drp = services.drp_raise(actor=org.iro, children=[zoe, adam], case_type="CP", themes=themes,
                                  concern="Plan drifting")
    withdrawn = services.drp_raise(actor=org.iro, children=[org.child, org.sibling], case_type="CLA",
                                   themes=themes[:1], concern="Placement")
    services.drp_withdraw(drp=withdrawn, actor=org.iro, reason="Settled at the review.")
    referred = services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA", themes=themes[1:],
                                  concern="Contact")
    # A moment on a whole second, in summer time: written as UTC with no fraction, as the serializer does.
    DisputeResolution.objects.filter(pk=referred.pk).update(
        closed_at_stage=Stage.objects.get(key="stage-2"), referred_to_cafcass=True,
        updated_at=datetime(2026, 6, 1, 10, 30, tzinfo=ZoneInfo("Europe/London")))
    return open_drp, withdrawn, referred


def test_list_rows_are_the_list_serializers_rows(org):
    _varied_drps(org)
    qs = drps_visible_to(org.iro).order_by("-raised_on", "-id")
    expected = DisputeResolutionListSerializer(with_list_data(qs), many=True).data
    rows = list_rows(list(list_values(qs)))
    assert len(rows) == 3
    assert [list(row) for row in rows] == [list(row) for row in expected]  # same fields, same order
    assert rows == [dict(row) for row in expected]
    zoe_first = next(row for row in rows if len(row["children"]) == 2 and row["case_type"] == "CP")
    assert zoe_first["children"] == sorted(zoe_first["children"], reverse=True)  # by name: Adam, then Zoe
    assert {row["closed_at_stage"] for row in rows} >= {None, "stage-2"}
    assert {row["referred_to_cafcass"] for row in rows} == {True, False}
    assert next(row for row in rows if row["referred_to_cafcass"])["updated_at"] == "2026-06-01T09:30:00Z"


def test_the_list_api_answers_those_rows_with_its_cursor(org):
    _varied_drps(org)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(org.iro)}")
    qs = drps_visible_to(org.iro).order_by("-raised_on", "-id")
    expected = json.loads(json.dumps(DisputeResolutionListSerializer(with_list_data(qs), many=True).data))
    first = client.get("/api/v1/drps/?limit=2").json()
    second = client.get(first["next"]).json()
    assert first["results"] + second["results"] == expected
    assert second["next"] is None and first["count"] == 3 and first["count_is_exact"]


def test_the_list_answers_the_bytes_drfs_renderer_writes_for_the_serializers_rows(org):
    """On PostgreSQL the rows are JSON text the database wrote (``api.renderers.JSONRows``):
    byte for byte what DRF's renderer writes for the serializer's rows, quotes, backslashes,
    non-ASCII and U+2028 included."""
    open_drp, _, _ = _varied_drps(org)
    DisputeResolution.objects.filter(pk=open_drp.pk).update(reference='DRP "7"\\ é\u2028\u2029\t')
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(org.iro)}")
    response = client.get("/api/v1/drps/?limit=2")
    qs = drps_visible_to(org.iro).order_by("-raised_on", "-id")
    rows = DisputeResolutionListSerializer(with_list_data(qs)[:2], many=True).data
    expected = {"count": 3, "count_is_exact": True, "next": response.json()["next"], "previous": None,
                "results": rows}
    assert response.content == renderers.JSONRenderer().render(expected)
    assert response.data["results"] == [dict(row) for row in rows]  # read back when asked
    pretty = client.get("/api/v1/drps/?limit=2", HTTP_ACCEPT="application/json; indent=2")
    assert pretty.content == renderers.JSONRenderer().render(expected, "application/json; indent=2")


def test_rows_kept_as_json_text_are_written_as_drfs_renderer_writes_their_values():
    values = [{"id": 1, "name": 'a "b" \\ é \u2028 \u2029 \x01', "on": None, "tags": ["x"], "ok": True}, {}]
    texts = [json.dumps(value, ensure_ascii=False, separators=(",", ":")) for value in values]
    data = {"count": 2, "next": "http://testserver/api/v1/drps/?cursor=a\u2028", "results": JSONRows(texts)}
    plain = {**data, "results": values}
    ours, drfs = JSONRenderer(), renderers.JSONRenderer()
    assert ours.render(data) == drfs.render(plain)
    for accepted in ("application/json; indent=4", "application/json; indent=0"):
        assert ours.render(data, accepted) == drfs.render(plain, accepted)
    assert ours.render({"a": [1]}) == drfs.render({"a": [1]})
    assert list(JSONRows(texts)) == values and len(JSONRows(texts)) == 2
