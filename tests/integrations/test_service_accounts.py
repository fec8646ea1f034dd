"""System accounts: named, scoped, read-only, expiring tokens issued to their owner; made on a
page for IRO Managers (never the admin); DO reading only when the DO Manager allows it, in the
DO access review."""

import pytest
from django.contrib import admin
from django.utils import timezone
from rest_framework.test import APIClient

from drp import services as drp_services
from drp.models import Theme
from lado import services as do_services
from people import roles
from people.models import ApiToken, ServiceAccount
from tests.support.auth import login
from workflows.models import CaseRead

pytestmark = pytest.mark.django_db

NEW_ACCOUNT = {"name": "Mosaic", "purpose": "Writes each DRP onto the child's record", "owner": "iro-manager",
               "scopes": [roles.SYSTEM_READ_DRPS]}


def make_account(org, client, **overrides):
    login(client, org.iro_manager)
    response = client.post("/accounts/system-accounts/", {**NEW_ACCOUNT, **overrides})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ServiceAccount.objects.get(name=overrides.get("name", "Mosaic"))


def issue_token(client, account, days=30) -> str:
    login(client, account.owner)
    response = client.post(f"/accounts/system-accounts/{account.pk}/token/", {"days": days})
    assert response.status_code == 200
    return response.context["key"]


def system(key):
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def test_an_iro_manager_makes_a_system_account_and_its_owner_is_issued_an_expiring_token(org, client):
    account = make_account(org, client)
    assert account.scopes == [roles.SYSTEM_READ_DRPS]
    assert not account.user.has_usable_password()
    key = issue_token(client, account, days=30)
    token = ApiToken.objects.get(user=account.user)
    assert (token.expiry - timezone.now()).days in (29, 30)
    page = client.get("/accounts/system-accounts/").content.decode()
    assert "Mosaic" in page and key not in page  # shown once, on the page that issued it


def test_only_iro_managers_make_system_accounts_and_never_with_do_reading(org, client):
    for user in (org.iro, org.do_manager, org.auditor):
        login(client, user)
        assert client.post("/accounts/system-accounts/", NEW_ACCOUNT).status_code == 403, user
    login(client, org.iro_manager)
    response = client.post("/accounts/system-accounts/", {**NEW_ACCOUNT, "scopes": [roles.SYSTEM_READ_DO]})
    assert response.status_code == 400
    assert not ServiceAccount.objects.exists()


def test_only_the_owner_is_issued_tokens(org, client):
    account = make_account(org, client, owner="iro")
    login(client, org.iro_manager)
    assert client.post(f"/accounts/system-accounts/{account.pk}/token/", {"days": 30}).status_code == 403
    login(client, org.iro)
    assert client.post(f"/accounts/system-accounts/{account.pk}/token/", {"days": 365}).status_code == 400
    assert not ApiToken.objects.filter(user=account.user).exists()


def test_system_accounts_are_not_in_the_admin():
    assert not admin.site.is_registered(ServiceAccount)


def test_a_drp_reader_reads_every_drp_and_nothing_else_and_never_writes(org, client):
    drp = drp_services.drp_raise(actor=org.iro, children=[org.other_child], case_type="CLA",
                                 themes=list(Theme.objects.all()[:1]), concern="Drift")
    do_services.enquiry_log(actor=org.designated_officer, summary="Concern about a coach")
    api = system(issue_token(client, make_account(org, client)))
    assert [d["id"] for d in api.get("/api/v1/drps/").json()["results"]] == [drp.pk]
    assert api.get(f"/api/v1/children/{org.other_child.pk}/").status_code == 200
    assert [e["type"] for e in api.get("/api/v1/events/").json()["results"]] == ["drp.raised"]
    assert api.get("/api/v1/lado/enquiries/").status_code == 403
    assert api.get("/api/v1/positive-practice/").json()["results"] == []
    assert api.get("/api/v1/reports/annual/").status_code == 403
    assert api.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x"}, format="json").status_code == 403
    assert api.post("/api/v1/auth/token/revoke/").status_code == 403


def test_reports_and_positive_practice_only_with_their_scopes(org, client):
    account = make_account(org, client, scopes=[roles.SYSTEM_READ_REPORTS, roles.SYSTEM_READ_POSITIVE_PRACTICE])
    api = system(issue_token(client, account))
    assert api.get("/api/v1/reports/annual/").status_code == 200
    assert api.get("/api/v1/positive-practice/").status_code == 200
    assert api.get("/api/v1/drps/").json()["results"] == []


def test_the_do_manager_allows_do_reading_in_the_access_review_and_reads_are_logged(org, client):
    account = make_account(org, client)
    case = do_services.enquiry_log(actor=org.designated_officer, summary="Concern about a coach")
    login(client, org.do_manager)
    review = client.get("/lado/team/access-review/").content.decode()
    assert "Mosaic" in review and "Allow DO reading" in review
    login(client, org.designated_officer)
    assert client.post(f"/lado/team/system-accounts/{account.pk}/", {"allow": "1"}).status_code == 403
    login(client, org.do_manager)
    assert client.post(f"/lado/team/system-accounts/{account.pk}/", {"allow": "1"}).status_code == 302
    account.refresh_from_db()
    assert account.do_granted_by == org.do_manager and roles.SYSTEM_READ_DO in account.scopes
    api = system(issue_token(client, account))
    assert [c["id"] for c in api.get("/api/v1/lado/enquiries/").json()["results"]] == [case.pk]
    assert CaseRead.objects.filter(user=account.user, case_kind="lado.enquiry", case_id=case.pk).exists()
    assert api.post(f"/api/v1/lado/enquiries/{case.pk}/cancel/", {"reason": "x"}, format="json").status_code == 403
    login(client, org.do_manager)
    client.post(f"/lado/team/system-accounts/{account.pk}/", {"allow": "0"})
    assert api.get("/api/v1/lado/enquiries/").status_code == 401  # its scopes changed: the token ended


def test_a_switched_off_account_reads_nothing(org, client):
    account = make_account(org, client)
    api = system(issue_token(client, account))
    login(client, org.iro_manager)
    assert client.post(f"/accounts/system-accounts/{account.pk}/switch-off/").status_code == 302
    assert api.get("/api/v1/drps/").status_code == 401


def test_the_menu_offers_system_accounts_to_iro_managers_only(org):
    from django.test import RequestFactory

    from config.navigation import navigation

    def items(user):
        request = RequestFactory().get("/")
        request.user = user
        return [item["text"] for item in navigation(request)["nav_items"]]

    assert "System accounts" in items(org.iro_manager)
    assert "System accounts" not in items(org.iro) and "System accounts" not in items(org.do_manager)
