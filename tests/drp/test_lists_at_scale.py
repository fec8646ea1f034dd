"""Lists that stay fast at a million rows: the DRP API pages by cursor, counts are exact up to
a bound and the planner's estimate beyond, and the list page says "more than 10,000"."""

import random
from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from api import pagination
from api.pagination import BoundedPaginator, KeysetPagination
from drp.models import DisputeResolution, Stage
from tests.support.auth import api_token, login

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def make_drps(org, n, seed=7):
    """``n`` DRPs over a few days only, so many share a raised date (the cursor must break ties)."""
    rng = random.Random(seed)
    informal = Stage.objects.get(key="informal")
    made = []
    for i in range(n):
        raised = date(2026, 1, 5) + timedelta(days=rng.randrange(4))
        made.append(DisputeResolution(
            reference=f"PAGE-{i}", case_type="CLA", concern="x", team=org.team, raised_by=org.iro, iro=org.iro,
            raised_on=raised, stage=informal, stage_started_on=raised,
            stage_due_date=raised + timedelta(days=14), addressee=org.social_worker))
    DisputeResolution.objects.bulk_create(made)
    return list(DisputeResolution.objects.order_by("-raised_on", "-id").values_list("id", flat=True))


def walk(client, url, key="next"):
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        url = body[key]
    return pages


def test_following_next_links_lists_every_drp_once_newest_first(org):
    expected = make_drps(org, 23)
    pages = walk(client_for(org.iro), "/api/v1/drps/?limit=5")
    assert [len(p["results"]) for p in pages] == [5, 5, 5, 5, 3]
    assert [row["id"] for p in pages for row in p["results"]] == expected
    assert pages[0]["previous"] is None and pages[-1]["next"] is None
    assert all(p["count"] == 23 and p["count_is_exact"] for p in pages)


def test_previous_link_gives_back_the_page_before(org):
    expected = make_drps(org, 12)
    client = client_for(org.iro)
    first = client.get("/api/v1/drps/?limit=4").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(third["previous"]).json()
    assert [r["id"] for r in back["results"]] == expected[4:8]
    assert [r["id"] for r in client.get(back["previous"]).json()["results"]] == expected[:4]
    assert client.get(back["previous"]).json()["previous"] is None


def test_cursor_keeps_the_filters(org):
    make_drps(org, 6)
    DisputeResolution.objects.filter(reference__in=["PAGE-1", "PAGE-2", "PAGE-3"]).update(case_type="CP")
    pages = walk(client_for(org.iro), "/api/v1/drps/?case_type=CP&limit=2")
    assert sorted(r["reference"] for p in pages for r in p["results"]) == ["PAGE-1", "PAGE-2", "PAGE-3"]


@pytest.mark.parametrize("cursor", ["nonsense", "eyJ2IjogWzFdLCAiYiI6IGZhbHNlfQ==", "%00", "e30="])
def test_a_cursor_the_list_did_not_give_is_refused_naming_it(org, cursor):
    make_drps(org, 2)
    response = client_for(org.iro).get(f"/api/v1/drps/?cursor={cursor}")
    assert response.status_code == 400
    assert "cursor" in response.content.decode()


@pytest.mark.parametrize("limit", ["0", "-3", "ten"])
def test_a_bad_limit_is_refused_naming_it(org, limit):
    response = client_for(org.iro).get(f"/api/v1/drps/?limit={limit}")
    assert response.status_code == 400 and "limit" in response.content.decode()


def test_past_the_bound_the_count_is_the_planners_estimate(org, monkeypatch):
    make_drps(org, 9)
    monkeypatch.setattr(KeysetPagination, "count_bound", 5)
    body = client_for(org.iro).get("/api/v1/drps/?limit=2").json()
    assert body["count_is_exact"] is False and body["count"] >= 6
    monkeypatch.setattr(KeysetPagination, "count_bound", 9)
    body = client_for(org.iro).get("/api/v1/drps/?limit=2").json()
    assert body["count_is_exact"] is True and body["count"] == 9


def test_bounded_count_counts_no_further_than_the_bound(org):
    make_drps(org, 8)
    assert pagination.bounded_count(DisputeResolution.objects.none()) == (0, True)
    assert pagination.bounded_count(DisputeResolution.objects.all(), 8) == (8, True)
    count, exact = pagination.bounded_count(DisputeResolution.objects.all(), 7)
    assert not exact and count >= 8


def test_list_page_says_more_than_the_bound(client, org, monkeypatch):
    make_drps(org, 7)
    monkeypatch.setattr(BoundedPaginator, "bound", 5)
    page = login(client, org.iro_manager).get("/drps/").content.decode()
    assert "More than 5 DRPs" in page
    monkeypatch.setattr(BoundedPaginator, "bound", 10_000)
    page = login(client, org.iro_manager).get("/drps/").content.decode()
    assert "7 DRPs" in page and "More than" not in page


@pytest.mark.parametrize("n", [10, 300])
def test_every_page_costs_the_same_queries(org, n, django_assert_max_num_queries):
    make_drps(org, n)
    client = client_for(org.iro)
    with django_assert_max_num_queries(10):
        first = client.get("/api/v1/drps/?limit=3").json()
    with django_assert_max_num_queries(10):
        assert len(client.get(first["next"]).json()["results"]) == 3


@pytest.mark.parametrize("bound", [5, 100])
def test_the_list_makes_the_same_statements_past_the_bound_and_below_it(client, org, bound, monkeypatch):
    """The count and the estimate are one statement on PostgreSQL (two elsewhere) either way."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_drps(org, 12)
    monkeypatch.setattr(KeysetPagination, "count_bound", bound)
    login(client, org.iro)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/api/v1/drps/?limit=3").json()
    if bound == 5:
        assert body["count_is_exact"] is False and body["count"] >= 6
    else:
        assert body["count_is_exact"] is True and body["count"] == 12
    # The session, the user with their roles, the count with the estimate, the page with its
    # children and themes; elsewhere (SQLite) the estimate and count apart, and the links in two.
    assert len(ctx.captured_queries) == (4 if connection.vendor == "postgresql" else 7)


def test_a_list_asked_for_no_filter_builds_no_filter_form(org, monkeypatch):
    from drp.filters import DisputeResolutionFilter

    made = make_drps(org, 4)
    built = []
    monkeypatch.setattr(DisputeResolutionFilter, "__init__", _counting(DisputeResolutionFilter.__init__, built))
    client = client_for(org.iro)
    assert [r["id"] for r in client.get("/api/v1/drps/?limit=10").json()["results"]] == made
    assert built == []
    assert client.get("/api/v1/drps/?status=withdrawn").json()["results"] == []
    assert client.get("/api/v1/drps/?child=seven").status_code == 400  # still validated when named
    assert len(built) == 2


def _counting(init, calls):
    def counted(self, *args, **kwargs):
        calls.append(1)
        init(self, *args, **kwargs)
    return counted


def test_a_filtered_list_validates_and_applies_only_the_filters_it_names(org):
    """api.filters.FilterBackend: a request naming two filters gets a filterset of those two,
    with the same rows as the whole filterset and a 400 naming a bad value as before."""
    from django.http import QueryDict

    from drp.filters import DisputeResolutionFilter

    make_drps(org, 4)
    named = DisputeResolutionFilter.only(frozenset({"status", "case_type"}))
    assert list(named.base_filters) == ["status", "case_type"]
    assert named is DisputeResolutionFilter.only(frozenset({"case_type", "status"}))  # made once
    data = QueryDict("status=awaiting_response&case_type=CLA")
    everything = DisputeResolution.objects.all()
    assert named(data, everything).form.fields.keys() == {"status", "case_type"}
    assert list(named(data, everything).qs) == list(DisputeResolutionFilter(data, everything).qs)

    client = client_for(org.iro)
    whole = client.get("/api/v1/drps/?limit=10").json()["results"]
    assert client.get("/api/v1/drps/?case_type=CLA&status=awaiting_response&limit=10").json()["results"] == whole
    assert client.get("/api/v1/drps/?case_type=CP&limit=10").json()["results"] == []
    refused = client.get("/api/v1/drps/?case_type=CLA&status=bogus")
    assert refused.status_code == 400 and [e["field"] for e in refused.json()["errors"]] == ["status"]
