"""The DO Manager's pages (issue 10): granting and removing DO roles on the DO team page (refusal
order, only the DO Manager, a verified session, not the last DO Manager), the access review, a
constant number of queries, role changes append-only, and appointing the first DO Manager from the
server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone

from lado import services
from lado.models import AccessReview, RoleChange
from lado.views import do_team
from people import roles
from tests.support.admin_gate import slugs
from tests.support.auth import login, totp_device
from tests.support.factories import UserFactory
from workflows.exceptions import TransitionRefused

pytestmark = pytest.mark.django_db


# --- The DO Manager's pages: DO roles and the access review --------------------------------------

def test_do_manager_grants_and_removes_a_do_role_on_the_do_team_page(client, org):
    login(client, org.do_manager)
    page = client.get("/lado/team/").content.decode()
    assert "Anita" in page or org.designated_officer.username in page
    response = client.post("/lado/team/", {"person": "iro", "role": roles.DESIGNATED_OFFICER,
                                           "reason": "Joins the DO team on 1 April"})
    assert response.status_code == 302 and response["Location"] == "/lado/team/"
    assert roles.DESIGNATED_OFFICER in slugs(org.iro)
    granted = RoleChange.objects.get()
    assert (granted.actor, granted.person, granted.role_id, granted.change) == (
        org.do_manager, org.iro, roles.DESIGNATED_OFFICER, RoleChange.Change.GRANTED)

    url = f"/lado/team/{org.iro.pk}/{roles.DESIGNATED_OFFICER}/remove/"
    assert "Remove the Designated Officer role" in client.get(url).content.decode()
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Moved to the IRO team"}).status_code == 302
    assert slugs(org.iro) == {roles.IRO}
    removed = RoleChange.objects.first()
    assert (removed.change, removed.reason) == (RoleChange.Change.REMOVED, "Moved to the IRO team")
    trail = client.get("/lado/team/").content.decode()
    assert "Joins the DO team on 1 April" in trail and "Moved to the IRO team" in trail


def test_do_role_grants_are_refused_by_state_role_and_input(client, org):
    login(client, org.do_manager)
    cases = [
        ({"person": "designated-officer", "role": roles.DESIGNATED_OFFICER, "reason": "x"}, 409, "already"),
        ({"person": "nobody-here", "role": roles.DESIGNATED_OFFICER, "reason": "x"}, 400, "No one has the username"),
        ({"person": "iro", "role": roles.IRO_MANAGER, "reason": "x"}, 400, "Select a valid option"),
        ({"person": "iro", "role": roles.DESIGNATED_OFFICER, "reason": " "}, 400, "Enter the reason"),
    ]
    for data, status, message in cases:
        response = client.post("/lado/team/", data)
        assert response.status_code == status, data
        assert message in response.content.decode(), data
    assert not RoleChange.objects.exists() and slugs(org.iro) == {roles.IRO}
    with pytest.raises(ValidationError):
        services.do_role_grant(actor=org.do_manager, person=org.iro, role=roles.IRO_MANAGER, reason="x")


def test_only_the_do_manager_may_grant_or_remove_do_roles(client, org, superuser):
    for user in (org.designated_officer, superuser):
        login(client, user)
        assert client.post("/lado/team/", {"person": "iro", "role": roles.DO_MANAGER, "reason": "x"}).status_code == 403
        url = f"/lado/team/{org.do_manager.pk}/{roles.DO_MANAGER}/remove/"
        assert client.post(url, {"reason": "x"}).status_code == 403
        with pytest.raises(PermissionDenied):
            services.do_role_grant(actor=user, person=user, role=roles.DO_MANAGER, reason="x")
    assert slugs(superuser) == {roles.IRO_MANAGER} and not RoleChange.objects.exists()


def test_do_team_pages_need_a_verified_session(client, org):
    """The two-step middleware sends an unverified DO Manager to enter a code; the page itself
    refuses one too, whatever the middleware does."""
    client.force_login(org.do_manager)
    totp_device(org.do_manager)
    for url in ("/lado/team/", "/lado/team/access-review/", "/lado/retention/rules/"):
        response = client.post(url, {"person": "iro", "role": roles.DO_MANAGER, "reason": "x"})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/two-step/"), url
    request = RequestFactory().post("/lado/team/", {"person": "iro", "role": roles.DO_MANAGER, "reason": "x"})
    request.user = org.do_manager
    request.user.is_verified = lambda: False
    with pytest.raises(PermissionDenied, match="authenticator"):
        do_team(request)
    assert not RoleChange.objects.exists()


def test_the_last_do_manager_cannot_remove_their_own_role(client, org):
    login(client, org.do_manager)
    url = f"/lado/team/{org.do_manager.pk}/{roles.DO_MANAGER}/remove/"
    page = client.get(url).content.decode()
    assert "the only DO Manager" in page and "Give someone else the DO Manager role first" in page
    assert 'name="reason"' not in page
    assert client.post(url, {"reason": "Leaving"}).status_code == 409
    assert roles.DO_MANAGER in slugs(org.do_manager)

    # With a second DO Manager, either may step down.
    services.do_role_grant(actor=org.do_manager, person=org.designated_officer, role=roles.DO_MANAGER,
                           reason="Deputy")
    assert client.post(url, {"reason": "Leaving"}).status_code == 302
    assert roles.DO_MANAGER not in slugs(org.do_manager)
    with pytest.raises(TransitionRefused, match="only DO Manager"):
        services.do_role_remove(actor=org.designated_officer, person=org.designated_officer,
                                role=roles.DO_MANAGER, reason="x")


def test_access_review_shows_holders_last_sign_in_and_records_the_review(client, org):
    org.designated_officer.last_login = timezone.now() - timedelta(days=200)
    org.designated_officer.save()
    login(client, org.do_manager)
    page = client.get("/lado/team/access-review/").content.decode()
    assert "No access review has been recorded yet" in page
    assert "Over 90 days ago" in page and org.designated_officer.username in page
    assert f"/lado/team/{org.designated_officer.pk}/designated-officer/remove/?from=review" in page
    response = client.post("/lado/team/access-review/", {"note": "Checked against the staff list"})
    assert response.status_code == 302
    review = AccessReview.objects.get()
    assert review.reviewed_by == org.do_manager
    assert {"username": "designated-officer", "roles": ["designated-officer"]} in review.holders
    page = client.get("/lado/team/access-review/").content.decode()
    assert "No access review has been recorded yet" not in page and "Next review due" in page
    # One click (and a reason) from the review removes a role, and comes back to it.
    response = client.post(f"/lado/team/{org.designated_officer.pk}/designated-officer/remove/?from=review",
                           {"reason": "Not signed in since the spring"})
    assert response["Location"] == "/lado/team/access-review/"
    assert not org.designated_officer.roles.exists()


def test_the_do_team_page_uses_a_constant_number_of_queries(client, org, django_assert_max_num_queries):
    login(client, org.do_manager)
    client.get("/lado/team/")
    for n in range(6):
        services.do_role_grant(actor=org.do_manager, person=UserFactory(username=f"officer-{n}"),
                               role=roles.DESIGNATED_OFFICER, reason="Joined")
    with django_assert_max_num_queries(20):
        assert client.get("/lado/team/").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get("/lado/team/access-review/").status_code == 200


def test_do_role_changes_are_append_only(org):
    """Refused here on every database; on PostgreSQL the database refuses too
    (tests/guarantees/test_tamper_evident.py)."""
    change = services.do_role_grant(actor=org.do_manager, person=org.iro, role=roles.DESIGNATED_OFFICER,
                                    reason="Joined")
    with pytest.raises(TypeError):
        change.save()
    with pytest.raises(TypeError):
        change.delete()
    with pytest.raises(TypeError):
        RoleChange.objects.all().delete()


# --- Appointing the first DO Manager from the server ---------------------------------------------

def test_the_first_do_manager_is_appointed_from_the_server_only_when_there_is_none(org):
    with pytest.raises(CommandError, match="already an active DO Manager"):
        call_command("appoint_do_manager", "iro", "--reason", "x")
    org.do_manager.is_active = False
    org.do_manager.save()
    call_command("appoint_do_manager", "designated-officer", "--reason", "Appointed by the DCS")
    change = RoleChange.objects.get()
    assert (change.actor, change.person, change.role_id) == (None, org.designated_officer, roles.DO_MANAGER)
    assert roles.DO_MANAGER in slugs(org.designated_officer)
