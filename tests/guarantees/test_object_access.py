"""Object-level rules the access matrix cannot see from the URL alone: social-care lists hold only
their teams' DRPs, who may create is decided before the input is read, a child's page shows only
the DRPs the person may see, the annual report gives the DO section as figures only, the access log
keeps enquiries for the DO Manager, and every admin model is requested with a real object."""

from __future__ import annotations

import pytest

from people import roles
from tests.support import access_rules as rules
from tests.support.access_matrix import api_client_for, new_client
from tests.support.auth import login
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- Object-level rules ---------------------------------------------------------------------------

def _api_ids(world, actor, url) -> set[int]:
    response = api_client_for(world.users[actor]).get(url)
    assert response.status_code == 200, (actor, url, response.status_code)
    data = response.json()
    return {row["id"] for row in (data["results"] if isinstance(data, dict) else data)}


def _page(world, actor, url) -> str:
    client = login(new_client(), world.users[actor])
    response = client.get(url)
    assert response.status_code == 200, (actor, url, response.status_code)
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def test_social_care_lists_hold_only_their_teams_drps(world):
    """A social worker and their team manager see North Team 1's DRP, never South Team 1's; the
    Director, over both, and the reviewing team see both; roles that see no DRP get an empty list."""
    ours, theirs = world.drp, world.other_drp
    for actor in (roles.SOCIAL_WORKER, roles.TEAM_MANAGER, roles.SERVICE_MANAGER):
        assert _api_ids(world, actor, "/api/v1/drps/") == {ours}, actor
        page = _page(world, actor, "/drps/")
        assert world.drp_reference in page and world.other_drp_reference not in page, actor
        assert _api_ids(world, actor, "/api/v1/positive-practice/") == {world.pp}, actor
        csv = _page(world, actor, "/positive-practice/?format=csv")
        assert world.pp_reference in csv and world.other_pp_reference not in csv, actor
        assert _api_ids(world, actor, "/api/v1/children/") == {world.child, world.org.sibling.pk}, actor
    for actor in (roles.DIRECTOR, roles.IRO_MANAGER, roles.AUDITOR, roles.BUSINESS_SUPPORT):
        assert _api_ids(world, actor, "/api/v1/drps/") == {ours, theirs}, actor
    for actor in (roles.COMPLAINTS, roles.DESIGNATED_OFFICER, roles.DO_MANAGER, rules.SUPERUSER):
        assert _api_ids(world, actor, "/api/v1/drps/") == set(), actor
    for actor in (roles.COMPLAINTS, rules.SUPERUSER):
        assert _api_ids(world, actor, "/api/v1/children/") == set(), actor
    for actor in (roles.DESIGNATED_OFFICER, roles.DO_MANAGER, rules.SUPERUSER):
        assert _api_ids(world, actor, "/api/v1/positive-practice/") == set(), actor


def test_who_may_create_is_decided_before_the_input_is_read(org):
    """A person who may not create gets 403 whatever they send, never a 400 about the input."""
    superuser = UserFactory(username="superuser-no-role", is_staff=True, is_superuser=True)
    for user in (org.complaints, org.auditor, superuser):
        client = api_client_for(user)
        for url in ("/api/v1/drps/", "/api/v1/positive-practice/", "/api/v1/children/"):
            assert client.post(url, {}, format="json").status_code == 403, (user.username, url)


def test_a_child_page_shows_only_the_drps_the_person_may_see(world):
    """The DO team may open a child's record (to link an enquiry) but sees none of their DRPs."""
    page = _page(world, roles.DESIGNATED_OFFICER, f"/children/{world.child}/")
    assert "Amy Example" in page and world.drp_reference not in page
    assert world.drp_reference in _page(world, roles.SOCIAL_WORKER, f"/children/{world.child}/")


def test_the_annual_report_gives_the_do_section_as_figures_only(world):
    """IRO Managers, DO Managers and auditors read the annual report, whose DO section counts
    cases and names none; a Designated Officer and everyone else are refused."""
    def leaves(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        else:
            yield value

    for actor in sorted(rules.REPORT_READERS):
        report = api_client_for(world.users[actor]).get("/api/v1/reports/annual/").json()
        section = report["designated_officer"]
        if actor == roles.DO_MANAGER:  # exact and live for the DO team
            assert section["enquiries"]["this_year"] == 1, actor
            assert all(value is None or isinstance(value, (int, float, str)) for value in leaves(section))
            assert all(len(str(value)) < 20 for value in leaves(section)), "figures and labels only"
        else:  # this year has not ended: no DO figures for anyone else (reports.disclosure)
            assert section is None and report["designated_officer_disclosure"]["level"] == "withheld", actor
        text = str(report) + _page(world, actor, "/reports/annual/")
        assert not [secret for secret in world.secrets() if secret in text], actor


def test_the_access_log_keeps_do_cases_for_the_do_manager(world):
    """IRO Managers see reads of DRPs and never of a DO case; the DO Manager sees DO cases."""
    iro_log = _page(world, roles.IRO_MANAGER, "/audit/")
    assert world.drp_reference in iro_log and world.enquiry_reference not in iro_log
    do_log = _page(world, roles.DO_MANAGER, "/audit/")
    assert world.enquiry_reference in do_log and world.drp_reference not in do_log


def test_every_admin_model_is_requested_with_a_real_object(world):
    """The admin rows of the matrix name a real object for every registered model (the World
    builds one where the test data has none), and its pages answer the superuser."""
    missing = [label for label, pk in world.admin_objects.items() if pk is None]
    assert not missing, f"build one of each in World._admin_objects: {missing}"
    assert {"otp_totp.totpdevice", "lado.retentionrule", "lado.enquiry", "authtoken.tokenproxy",
            "knox.authtoken", "people.apitoken"}.isdisjoint(world.admin_objects)
    client = login(new_client(), world.superuser)
    for label, pk in world.admin_objects.items():
        app_label, model_name = label.split(".")
        response = client.get(f"/admin/{app_label}/{model_name}/{pk}/change/")
        assert response.status_code == 200, (label, response.status_code)
