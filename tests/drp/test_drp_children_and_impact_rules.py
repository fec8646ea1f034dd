"""Which children a DRP is about and what it did for them (docs/rules.md): CP or CLA, Cafcass, sibling
groups across teams, the impact for the child and telling people."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from drp import services
from drp.models import DisputeResolution, ImpactCode, Theme
from notifications.models import Notification
from reports import selectors as report_selectors
from tests.support.drp_rules import Status, raise_on, stage
from tests.support.factories import resolution
from tests.support.problems import field_errors
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db


# --- CP or CLA, Cafcass, and sibling groups across teams ------------------------------------------

def test_case_type_must_match_the_childrens_records(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        raise_on(org, date(2026, 11, 2), case_type="CP")
    assert "Amy Example (C000001) is not recorded as having a child protection plan" in \
        exc.value.message_dict["case_type"][0]
    assert not DisputeResolution.objects.exists()


def test_case_type_mismatch_is_400_naming_the_field_in_the_api(org):
    client = APIClient()
    client.force_authenticate(org.iro)
    response = client.post("/api/v1/drps/", {"children": [org.child.pk], "case_type": "CP",
                                          "themes": ["placement"], "concern": "x"}, format="json")
    assert response.status_code == 400 and "case_type" in field_errors(response)


def test_cafcass_only_while_the_child_is_looked_after(org):
    from workflows.exceptions import TransitionRefused

    drp = raise_on(org, date(2026, 11, 2))
    org.child.case_type = "CP"  # the child's plan changed after the DRP was raised
    org.child.save()
    with pytest.raises(TransitionRefused, match="no longer recorded as looked after"):
        services.drp_refer_to_cafcass(drp=drp, actor=org.iro, reason="Permanence drift")


def test_siblings_in_two_teams_need_a_lead_team(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        raise_on(org, date(2026, 11, 2), children=[org.child, org.other_child])
    assert "different teams" in exc.value.message_dict["team"][0]
    with as_of(date(2026, 11, 2)):
        with pytest.raises(ValidationError) as exc:
            services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                               themes=[Theme.objects.get(slug="placement")], concern="x",
                               team=org.other_team)
    assert "one of the children" in exc.value.message_dict["team"][0]


def test_sibling_group_across_teams_is_seen_by_both_teams_and_counted_for_each(org):
    from drp.selectors import drps_visible_to
    from tests.support.factories import UserFactory

    with as_of(date(2026, 11, 2)):
        drp = services.drp_raise(actor=org.iro, children=[org.child, org.other_child], case_type="CLA",
                                 themes=[Theme.objects.get(slug="placement")], concern="x",
                                 stage=stage("stage-1"), team=org.other_team)
    assert drp.team == org.other_team
    assert set(drp.teams.all()) == {org.team, org.other_team}
    other_manager = UserFactory(username="south-manager", roles=["team-manager"], team=org.other_team)
    for reader in (org.team_manager, other_manager):
        assert drps_visible_to(reader).filter(pk=drp.pk).exists(), reader
    monthly = report_selectors.monthly_report(date(2026, 11, 1))
    by_team = {row["name"]: row["count"] for row in monthly["raised"]["by_team"]}
    assert by_team == {"North Team 1": 1, "South Team 1": 1}
    learning = {row["name"]: row["drps"]["total"] for row in report_selectors.team_learning(
        report_selectors.month_period(date(2026, 11, 1)))}
    assert learning == {"North Team 1": 1, "South Team 1": 1}


def test_lead_team_chosen_on_the_raise_page(org, client):
    from tests.support.auth import login

    login(client, org.iro)
    response = client.post("/drps/raise/", {
        "children": "C000001, C000099", "case_type": "CLA", "themes": ["placement"], "concern": "x",
        "stage": "informal"})
    page = response.content.decode()
    assert response.status_code == 200 and "different teams" in page
    assert "<details class=\"govuk-details\" open>" in page  # the error's section is open
    response = client.post("/drps/raise/", {
        "children": "C000001, C000099", "case_type": "CLA", "themes": ["placement"], "concern": "x",
        "stage": "informal", "team": org.other_team.slug})
    assert response.status_code == 302
    assert DisputeResolution.objects.get().team == org.other_team


# --- Impact for the child, and telling people ----------------------------------------------------

def test_resolution_requires_the_impact_for_the_child_coded_and_in_words(org):
    from django.core.exceptions import ValidationError

    drp = raise_on(org, date(2026, 11, 2))
    with as_of(date(2026, 11, 3)):
        with pytest.raises(ValidationError) as exc:
            services.drp_resolve(drp=drp, actor=org.iro, outcome="Plan agreed", impact="",
                                 impact_codes=[], child_informed=None, advocacy_offered=None)
    assert set(exc.value.message_dict) == {"impact", "impact_codes", "child_informed", "advocacy_offered"}
    drp.refresh_from_db()
    assert drp.status == Status.AWAITING_RESPONSE
    with as_of(date(2026, 11, 3)):
        drp = services.drp_resolve(drp=drp, actor=org.iro, **resolution(
            impact_codes=list(ImpactCode.objects.filter(slug__in=["plan-changed", "placement-stabilised"])),
            child_informed=True, advocacy_offered=True))
    assert set(drp.impact_codes.values_list("slug", flat=True)) == {"plan-changed", "placement-stabilised"}
    assert (drp.child_informed, drp.advocacy_offered) == (True, True)
    note = drp.timeline.last().note
    assert "Placement stabilised" in note and "Child told of the outcome: yes" in note


def test_impact_codes_are_local_data(org):
    ImpactCode.objects.create(slug="family-time-restored", name="Family time restored", order=6)
    client = APIClient()
    client.force_authenticate(org.iro)
    slugs = [code["slug"] for code in client.get("/api/v1/drp/impact-codes/").json()]
    assert "family-time-restored" in slugs and "no-change" in slugs


def test_resolve_form_asks_for_impact_and_whether_the_child_was_told(org, client):
    from tests.support.auth import login

    drp = raise_on(org, date(2026, 11, 2))
    login(client, org.iro)
    response = client.post(f"/drps/{drp.pk}/resolve/", {"outcome": "Plan agreed"})
    page = response.content.decode()
    assert response.status_code == 400
    for message in ("Select at least one impact for the child",
                    "Describe the difference it has made for the child",
                    "Select yes if the child has been told the outcome",
                    "Select yes if the child has been offered an advocate"):
        assert message in page


def test_withdrawal_tells_the_addressee(org):
    drp = raise_on(org, date(2026, 11, 2), "stage-2")
    Notification.objects.all().delete()
    with as_of(date(2026, 11, 3)):
        services.drp_withdraw(drp=drp, actor=org.iro, reason="The child has moved authority")
    told = Notification.objects.get(kind="drp-withdrawn")
    assert told.recipient == org.service_manager
    assert "No response is needed" in told.body
