"""Find and choose (issue 13): children chosen by name with date of birth and reference, the
DRP list searched and filtered (page and API alike), the exact list downloaded, and a warning
when a child already has an open DRP."""

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from drp import services
from drp.models import DisputeResolution, Theme
from people import roles
from tests.support.auth import login
from tests.support.factories import ChildFactory, UserFactory
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db


def raise_drp(org, children=None, actor=None, on=None, **kw):
    args = dict(actor=actor or org.iro, children=children or [org.child], case_type="CLA",
                themes=[Theme.objects.get(slug="placement")], concern="Placement at risk")
    args.update(kw)
    if on is None:
        return services.drp_raise(**args)
    with as_of(on):
        return services.drp_raise(**args)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def references(response):
    return {row["reference"] for row in response.json()["results"]}


def test_search_finds_drps_by_childs_name_or_reference(org):
    amy = raise_drp(org)
    ben = raise_drp(org, children=[org.sibling])
    iro = api(org.iro)
    assert references(iro.get("/api/v1/drps/?q=amy")) == {amy.reference}
    assert references(iro.get("/api/v1/drps/?q=EXAMPLE")) == {amy.reference, ben.reference}
    assert references(iro.get("/api/v1/drps/?q=C000002")) == {ben.reference}
    assert references(iro.get(f"/api/v1/drps/?q={amy.reference.lower()}")) == {amy.reference}
    assert iro.get("/api/v1/drps/?q=nobody").json()["count"] == 0


def test_overdue_means_any_running_clock_past_its_date(org):
    on_time = raise_drp(org)
    late_response = raise_drp(org, on=date(2026, 1, 5))  # the stage response is long overdue
    awaiting_review = raise_drp(org, children=[org.sibling], on=date(2026, 1, 5))
    with as_of(date(2026, 1, 6)):
        services.drp_respond(drp=awaiting_review, actor=org.social_worker, response="Placement review booked")
    resolved = raise_drp(org, on=date(2026, 1, 5))
    services.drp_withdraw(drp=resolved, actor=org.iro, reason="Raised in error")
    iro = api(org.iro)
    overdue = references(iro.get("/api/v1/drps/?overdue=true"))
    assert overdue == {late_response.reference, awaiting_review.reference}
    assert on_time.reference in references(iro.get("/api/v1/drps/?overdue=false"))
    assert resolved.reference not in overdue


def test_filters_by_iro_team_and_date_raised(org):
    other_iro = UserFactory(username="other-iro", roles=[roles.IRO])
    mine = raise_drp(org, on=date(2025, 3, 4))
    theirs = raise_drp(org, actor=other_iro, children=[org.other_child])
    iro = api(org.iro)
    assert references(iro.get("/api/v1/drps/?iro=other-iro")) == {theirs.reference}
    assert references(iro.get("/api/v1/drps/?team=north-1")) == {mine.reference}
    assert references(iro.get("/api/v1/drps/?team=south-1")) == {theirs.reference}
    assert references(iro.get("/api/v1/drps/?raised_from=2025-03-01&raised_to=2025-03-31")) == {mine.reference}
    assert references(iro.get("/api/v1/drps/?raised_to=2025-03-03")) == set()
    assert iro.get("/api/v1/drps/?team=no-such-team").status_code == 400
    assert iro.get("/api/v1/drps/?raised_from=2025-13-01").status_code == 400
    assert iro.get("/api/v1/drps/").json()["results"][0]["iro"] in ("iro", "other-iro")


def test_list_page_searches_filters_shows_the_iro_and_downloads_exactly_that_list(client, org):
    amy = raise_drp(org)
    ben = raise_drp(org, children=[org.sibling])
    login(client, org.iro_manager)  # an IRO Manager sees everyone's DRPs by default
    page = client.get("/drps/?q=amy").content.decode()
    assert amy.reference in page and ben.reference not in page
    assert '<th scope="col" class="govuk-table__header" aria-sort="none">IRO</th>' in page
    assert "format=csv" in page and "q=amy" in page
    response = client.get("/drps/?q=amy&format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[0] for row in rows] == ["reference", amy.reference]
    assert rows[1][1] == "Amy Example" and rows[1][6]
    response = client.get("/drps/?q=example&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == sorted(
        [amy.reference, ben.reference])


def test_an_iro_sees_their_own_drps_by_default_and_anyones_by_choosing(client, org):
    other_iro = UserFactory(username="other-iro", roles=[roles.IRO])
    mine = raise_drp(org)
    theirs = raise_drp(org, actor=other_iro)
    login(client, org.iro)
    page = client.get("/drps/").content.decode()
    assert mine.reference in page and theirs.reference not in page
    assert theirs.reference in client.get("/drps/?iro=other-iro").content.decode()
    assert theirs.reference in client.get("/drps/?all=1").content.decode()


def test_children_list_shows_date_of_birth_to_tell_two_children_apart(client, org):
    ChildFactory(reference="C000050", name="Amy Example", date_of_birth=date(2012, 2, 29), team=org.team)
    login(client, org.iro)
    page = client.get("/children/?q=amy").content.decode()
    assert "1 Jun 2015" in page and "29 Feb 2012" in page


def test_children_search_behind_the_autocomplete_labels_each_child(client, org):
    ChildFactory(reference="C000050", name="Amy Example", date_of_birth=date(2012, 2, 29), team=org.team)
    login(client, org.iro)
    results = client.get("/children/search/?q=amy").json()["results"]
    assert [r["label"] for r in results] == ["Amy Example, born 29 February 2012, C000050",
                                             "Amy Example, born 1 June 2015, C000001"]
    assert results[1]["case_type"] == "CLA"
    assert client.get("/children/search/?q=").json()["results"] == []
    client.logout()
    login(client, org.social_worker)
    assert client.get("/children/search/?q=amy").status_code == 403


def test_without_javascript_siblings_are_found_by_name_then_chosen(client, org):
    login(client, org.iro)
    raise_page = client.get("/drps/raise/").content.decode()
    assert 'href="/drps/raise/choose-child/?chosen="' in raise_page
    page = client.get("/drps/raise/choose-child/?q=amy").content.decode()
    assert "1 Jun 2015" in page and "C000001" in page
    assert 'href="/drps/raise/?children=C000001"' in page
    page = client.get("/drps/raise/choose-child/?chosen=C000001&q=ben").content.decode()
    assert "Add a sibling" in page
    assert 'href="/drps/raise/?children=C000001%2C+C000002"' in page
    raise_page = client.get("/drps/raise/?children=C000001%2C+C000002").content.decode()
    assert 'value="C000001, C000002"' in raise_page
    # The child's case type is chosen for the IRO.
    assert re.search(r'value="CLA"\s+checked="checked"', raise_page)


def test_raising_for_a_child_with_an_open_drp_warns_but_raises(client, org):
    first = raise_drp(org)
    login(client, org.iro)
    page = client.get("/drps/raise/choose-child/?q=amy").content.decode()
    assert f"Open DRP: {first.reference}" in page
    response = client.post("/drps/raise/", {"children": "C000001, C000002", "case_type": "CLA",
                                            "themes": ["placement"], "concern": "A second concern",
                                            "stage": "informal"}, follow=True)
    second = DisputeResolution.objects.exclude(pk=first.pk).get()
    assert f"Amy Example already has an open DRP: {first.reference}" in response.content.decode()
    body = api(org.iro).post("/api/v1/drps/", {"children": [org.child.pk], "case_type": "CLA",
                                            "themes": ["placement"], "concern": "Third"}, format="json").json()
    assert body["warnings"] == [f"Amy Example already has an open DRP: {first.reference}, "
                                f"{second.reference}"]
