"""The complaints team's day in the browser (issue 13): they read positive practice about one
team. Signed in as the complaints team, they open Positive practice, choose the team in the Team
filter (it matches by the team's slug: North Team 1's records and no other team's), open a
record, and download exactly the filtered list as CSV. Every page is checked with axe-core
(WCAG 2.2 A and AA) at desktop width and on a phone (390 px), with no sideways scrolling.
"""

import csv

import pytest

from .test_drp_journey import go_to, sign_in
from .test_import_journey import check_both_widths

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails under FOOTPRINT_REQUIRE_SERVICES=1
    expect = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NORTH = ["Visited Amy every week through her exams and kept her school place.",
         "Arranged for Ben to keep seeing his grandmother after the move."]
SOUTH = "Chaired Zed's conference with Zed's own words first."


@pytest.fixture
def team_records(org):
    """Two records about children in North Team 1, one about a child in South Team 1 (made
    before the browser starts: see the ``browser`` fixture)."""
    from positive_practice import services

    north = [services.positive_practice_record(actor=org.iro, children=[child], case_type="CLA",
                                               what_happened=what, impact="Felt heard.")
             for child, what in zip((org.child, org.sibling), NORTH)]
    south = services.positive_practice_record(actor=org.chair, children=[org.other_child], case_type="CP",
                                              what_happened=SOUTH, impact="Zed felt heard.")
    return {"north": [pp.reference for pp in north], "south": south.reference,
            "team": org.team.name, "slug": org.team.slug}


def test_complaints_team_reads_one_teams_positive_practice(org, team_records, page, tmp_path):
    sign_in(page, "complaints")
    go_to(page, "Positive practice")
    expect(page.locator("caption")).to_have_text("3 records")
    check_both_widths(page, "the positive practice list, for the complaints team")

    page.get_by_label("Team").select_option(label=team_records["team"])
    page.get_by_role("button", name="Apply filters").click()
    assert f"team={team_records['slug']}" in page.url
    expect(page.locator("caption")).to_have_text("2 records")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    for reference in team_records["north"]:
        expect(page.locator("tbody")).to_contain_text(reference)
    expect(page.locator("tbody")).not_to_contain_text(team_records["south"])
    expect(page.get_by_label("Team")).to_have_value(team_records["slug"])
    check_both_widths(page, "the positive practice list filtered by team")

    # Exactly the filtered list as CSV.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV (these results)").click()
    saved = tmp_path / "positive-practice.csv"
    download_info.value.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as f:
        header, *lines = csv.reader(f)
    found = [dict(zip(header, line)) for line in lines]
    assert sorted(row["reference"] for row in found) == sorted(team_records["north"])
    assert {row["team"] for row in found} == {team_records["team"]}

    # A record from the filtered list.
    page.locator("tbody").get_by_role("link", name=team_records["north"][0]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(team_records["north"][0])
    expect(page.locator("main")).to_contain_text(NORTH[0])
    check_both_widths(page, "a positive practice record, for the complaints team")
