"""api.page_statements: a list page's SELECT compiled once for each shape of list, then run
with each request's values; the answer is the ORM's, read afresh every time."""

import pytest
from django.db import connection

from api import page_statements
from drp.models import DisputeResolution
from tests.drp.test_lists_at_scale import client_for, make_drps, walk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    page_statements._kept.clear()
    yield
    page_statements._kept.clear()


def _ids(pages):
    return [row["id"] for page in pages for row in page["results"]]


def test_a_kept_page_statement_answers_what_the_orm_answers(org):
    expected = make_drps(org, 9)
    client = client_for(org.iro)
    first = walk(client, "/api/v1/drps/?limit=2")  # compiles each shape once
    kept = list(page_statements._kept.values())
    again = walk(client, "/api/v1/drps/?limit=2")
    assert _ids(first) == _ids(again) == expected
    assert first == again
    back = walk(client, again[-1]["previous"], key="previous")  # walking backwards: another shape
    assert [row["id"] for page in reversed(back) for row in page["results"]] == expected[:-1]
    if connection.vendor == "postgresql":  # the first page's and the cursor's pages' statements
        assert sum(kept is not page_statements._NOT_KEPT for kept in kept) == 2
    else:  # SQLite's dates are text parameters, not the cursor's values: never kept, the ORM's path
        assert all(kept is page_statements._NOT_KEPT for kept in kept)


def test_a_kept_statement_reads_afresh_and_keeps_filters_apart(org):
    make_drps(org, 5)
    client = client_for(org.iro)
    newest = client.get("/api/v1/drps/?limit=2").json()["results"][0]
    DisputeResolution.objects.filter(pk=newest["id"]).update(reference="Renamed")
    assert client.get("/api/v1/drps/?limit=2").json()["results"][0]["reference"] == "Renamed"
    closed = client.get("/api/v1/drps/?limit=2&status=withdrawn").json()
    assert closed["results"] == [] and closed["count"] == 0
    assert len(client.get("/api/v1/drps/?limit=2&status=awaiting_response").json()["results"]) in (0, 2)


def test_past_the_kept_shapes_limit_they_are_forgotten(org, monkeypatch):
    make_drps(org, 3)
    monkeypatch.setattr(page_statements, "KEEP", 2)
    client = client_for(org.iro)
    for limit in (1, 2, 3):
        assert client.get(f"/api/v1/drps/?limit={limit}").status_code == 200
    assert len(page_statements._kept) <= 2
