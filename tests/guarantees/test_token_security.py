"""API tokens and sign-in hardening (issue 10): each test performs the attack and shows it fails.

Tokens come from the real endpoint (``POST /api/v1/auth/token/``) wherever the attack starts from
one, so the password check, the two-step code and django-axes all take part."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from people import roles, tokens
from people.models import ApiToken, Role, User
from tests.support.auth import api_token, login, totp_device
from tests.support.factories import UserFactory
from tests.support.lado_fixtures import log
from tests.support.problems import field_errors
from tests.support.signing_in import PASSWORD, code_for, code_from_secret, sign_in, signed_in
from tests.support.token_security import DO_CASES, signed_with

pytestmark = pytest.mark.django_db


def token_from_endpoint(username, code=None) -> dict:
    body = {"username": username, "password": PASSWORD}
    if code:
        body["otp_token"] = code
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def grant_role_without_signals(user, slug):
    """A role given the way an import or a SQL script would: no m2m_changed signal, so
    nothing gets the chance to revoke the person's tokens."""
    User.roles.through.objects.bulk_create([User.roles.through(user=user, role_id=slug)])


# --- the second factor -------------------------------------------------------------------------

def test_token_minted_before_do_role_cannot_read_do_cases(org):
    log(org, subject_name="Secret Subjectname")
    key = token_from_endpoint("iro")["token"]  # no authenticator: issued on the password alone
    api = signed_with(key)
    assert api.get("/api/v1/drps/").status_code == 200
    assert ApiToken.objects.get(user=org.iro).verified is False

    grant_role_without_signals(org.iro, roles.DESIGNATED_OFFICER)
    response = api.get(DO_CASES)
    assert response.status_code == 401
    assert "two-step" in response.json()["detail"] and "Secret" not in response.content.decode()
    assert api.get(f"{DO_CASES}?open=1").status_code == 401
    # Refused for what it is, not revoked by some side effect: the flag alone stops it.
    assert ApiToken.objects.filter(user=org.iro).exists()

    # With their own authenticator and its code, the new Designated Officer gets a token that works.
    device = totp_device(org.iro)
    verified = token_from_endpoint("iro", code_for(device))
    assert signed_with(verified["token"]).get(DO_CASES).status_code == 200


def test_token_issued_without_code_stops_working_when_made_an_administrator(org):
    key = token_from_endpoint("auditor")["token"]
    User.objects.filter(pk=org.auditor.pk).update(is_staff=True, is_superuser=True)
    response = signed_with(key).get("/api/v1/drps/")
    assert response.status_code == 401 and "two-step" in response.json()["detail"]


def test_token_revoked_when_two_step_turned_off(org):
    officer = org.designated_officer
    device = totp_device(officer)
    key = token_from_endpoint("designated-officer", code_for(device))["token"]
    api = signed_with(key)
    assert api.get(DO_CASES).status_code == 200

    browser = login(Client(), officer)
    response = browser.post("/accounts/two-step/turn-off/", {"password": PASSWORD})
    assert response.status_code == 302
    assert api.get(DO_CASES).status_code == 401
    assert not ApiToken.objects.filter(user=officer).exists()


def test_token_revoked_when_authenticator_removed_from_the_server(org):
    """A lost phone: the authenticator deleted from the server (manage.py remove_authenticator
    deletes the person's devices this way), not through the person's own page."""
    device = totp_device(org.do_manager)
    api = signed_with(token_from_endpoint("do-manager", code_for(device))["token"])
    assert api.get(DO_CASES).status_code == 200
    TOTPDevice.objects.filter(user=org.do_manager).delete()
    assert api.get(DO_CASES).status_code == 401
    assert not ApiToken.objects.filter(user=org.do_manager).exists()


def test_token_revoked_when_two_step_turned_on(org, client):
    """A token issued on the password alone ends when the person sets up an authenticator."""
    api = signed_with(token_from_endpoint("iro")["token"])
    login(client, org.iro)
    html = client.get("/accounts/two-step/set-up/").content.decode()
    secret = html.split('id="secret-key">')[1].split("</code>")[0]
    assert client.post("/accounts/two-step/set-up/", {"code": code_from_secret(secret)}).status_code == 302
    assert api.get("/api/v1/drps/").status_code == 401


def test_token_revoked_when_password_changed(org):
    auditor = org.auditor
    first = signed_with(token_from_endpoint("auditor")["token"])
    browser = login(Client(), auditor)
    assert first.get("/api/v1/drps/").status_code == 200

    # As manage.py changepassword does it (set_password, save): tokens revoked, sessions ended.
    auditor.set_password("A-new-long-passphrase-2026")
    auditor.save()
    assert first.get("/api/v1/drps/").status_code == 401
    assert not ApiToken.objects.filter(user=auditor).exists()
    assert browser.get("/drps/").url.startswith("/accounts/login/")

    # Changed behind the application's back (an import, SQL): the fingerprint still ends it.
    second = signed_with(tokens.issue(auditor, verified=False)[1])
    assert second.get("/api/v1/drps/").status_code == 200
    User.objects.filter(pk=auditor.pk).update(password=make_password("Yet-another-passphrase-9"))
    response = second.get("/api/v1/drps/")
    assert response.status_code == 401 and "password" in response.json()["detail"]
    assert not ApiToken.objects.filter(user=auditor).exists()


def test_token_revoked_when_password_changed_on_the_page(org, client):
    api = signed_with(token_from_endpoint("iro")["token"])
    login(client, org.iro)
    response = client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "A-new-long-passphrase-2026",
        "new_password2": "A-new-long-passphrase-2026"})
    assert response.status_code == 302
    assert api.get("/api/v1/drps/").status_code == 401


def test_token_revoked_when_roles_change(org):
    iro_manager = Role.objects.get(slug=roles.IRO_MANAGER)
    cases = [
        (org.iro, lambda: org.iro.roles.add(iro_manager)),
        (org.chair, lambda: org.chair.roles.remove(roles.CHAIR)),
        (org.auditor, lambda: iro_manager.users.add(org.auditor)),
        (org.business_support, lambda: org.business_support.roles.clear()),
        (org.iro_manager, lambda: iro_manager.users.clear()),
        (org.complaints, lambda: org.complaints.roles.set([roles.AUDITOR])),
    ]
    for user, change in cases:
        api = signed_with(api_token(user))
        assert api.get("/api/v1/notifications/").status_code == 200, user
        change()
        assert api.get("/api/v1/notifications/").status_code == 401, user
    # Someone else's change leaves a token alone; adding a role already held changes nothing.
    api = signed_with(api_token(org.team_manager))
    org.social_worker.roles.add(iro_manager)
    org.team_manager.roles.add(roles.TEAM_MANAGER)
    assert api.get("/api/v1/notifications/").status_code == 200


def test_token_expires_after_setting_hours(org, settings):
    assert settings.FOOTPRINT_API_TOKEN_HOURS == 12  # the default (no environment variable)
    issued = timezone.now()
    answer = token_from_endpoint("iro")
    expires = parse_datetime(answer["expires"])
    assert abs(expires - (issued + timedelta(hours=12))) < timedelta(minutes=1)
    api = signed_with(answer["token"])

    settings.FOOTPRINT_API_TOKEN_HOURS = 2
    short = token_from_endpoint("iro")
    assert abs(parse_datetime(short["expires"]) - (issued + timedelta(hours=2))) < timedelta(minutes=1)
    short_api = signed_with(short["token"])

    later = issued + timedelta(hours=2, minutes=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert short_api.get("/api/v1/drps/").status_code == 401
        assert api.get("/api/v1/drps/").status_code == 200  # used now and then, it still ends on time
    with mock.patch("django.utils.timezone.now", return_value=issued + timedelta(hours=12, minutes=1)):
        assert api.get("/api/v1/drps/").status_code == 401
    assert not ApiToken.objects.filter(user=org.iro).exists()


def test_token_revoke_ends_only_that_token(org):
    one, other = api_token(org.iro), api_token(org.iro)
    response = signed_with(one).post("/api/v1/auth/token/revoke/")
    assert response.status_code == 204
    assert signed_with(one).get("/api/v1/drps/").status_code == 401
    assert signed_with(other).get("/api/v1/drps/").status_code == 200
    assert APIClient().post("/api/v1/auth/token/revoke/").status_code == 401


@pytest.mark.parametrize("header", ["Token caf\xe9", "Token a b", "Token", "Token " + "f" * 5000])
def test_a_malformed_token_is_refused_cleanly(org, header):
    response = APIClient(HTTP_AUTHORIZATION=header).get("/api/v1/drps/")
    assert response.status_code == 401 and response.json()["detail"]


def test_token_keys_are_stored_only_as_hashes(org):
    key = token_from_endpoint("iro")["token"]
    stored = ApiToken.objects.get(user=org.iro)
    assert key not in (stored.digest, stored.token_key) and len(stored.token_key) < len(key)
    tables = connection.introspection.table_names()
    assert "authtoken_token" not in tables  # the old plain-text keys are gone
    assert "knox_authtoken" not in tables  # knox's own model is swapped for people.ApiToken
    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS


def test_token_for_someone_else_cannot_be_had(org):
    """No way to issue a token without the person's own password (and code)."""
    for body in ({"username": "do-manager", "password": "guess-guess-guess"},
                 {"username": "do-manager", "password": PASSWORD},  # no code
                 {"username": "do-manager", "password": PASSWORD, "otp_token": "123456"}):
        response = APIClient().post("/api/v1/auth/token/", body, format="json")
        assert response.status_code == 400 and "token" not in response.json()
    assert not ApiToken.objects.exists()


# --- the admin ---------------------------------------------------------------------------------

def test_no_admin_page_creates_or_shows_tokens(org):
    superuser = UserFactory(username="admin", is_staff=True, is_superuser=True)
    device = totp_device(org.do_manager)
    token_from_endpoint("do-manager", code_for(device))
    browser = login(Client(), superuser)
    index = browser.get("/admin/").content.decode()
    assert browser.get("/admin/").status_code == 200
    for word in ("authtoken", "apitoken", "/knox/", "otp_totp", "API token", "TOTP"):
        assert word not in index, word
    for url in ("/admin/authtoken/tokenproxy/add/", "/admin/authtoken/tokenproxy/",
                "/admin/knox/authtoken/add/", "/admin/people/apitoken/add/",
                "/admin/people/apitoken/", "/admin/otp_totp/totpdevice/add/",
                "/admin/otp_totp/totpdevice/"):
        assert browser.get(url).status_code == 404, url
        assert browser.post(url, {"user": org.do_manager.pk}).status_code == 404, url
    registered = {model._meta.label for model in admin.site._registry}
    assert not registered & {"authtoken.TokenProxy", "knox.AuthToken", "people.ApiToken",
                             "otp_totp.TOTPDevice"}
    assert ApiToken.objects.filter(user=org.do_manager).count() == 1


def test_superuser_must_use_two_step_for_admin(org):
    superuser = UserFactory(username="admin", is_staff=True, is_superuser=True)
    browser = Client()
    assert sign_in(browser, "admin").status_code == 302 and signed_in(browser)
    response = browser.get("/admin/")
    assert response.status_code == 302
    assert response.url == "/accounts/two-step/set-up/?next=%2Fadmin%2F"
    assert 'href="/admin/"' not in browser.get(response.url).content.decode()  # no way round
    assert browser.get("/admin/people/user/").url.startswith("/accounts/two-step/set-up/")
    # Django admin's own sign-in page is no way round it.
    other = Client()
    other.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert other.get("/admin/").url.startswith("/accounts/two-step/set-up/")
    # Nor is the API.
    response = APIClient().post("/api/v1/auth/token/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 400 and "otp_token" in field_errors(response)
    # With an authenticator and its code, the admin opens.
    device = totp_device(superuser)
    sign_in(browser, "admin")
    assert browser.get("/admin/").url.startswith("/accounts/two-step/verify/")
    browser.post("/accounts/two-step/verify/", {"code": code_for(device)})
    assert browser.get("/admin/").status_code == 200


def test_staff_without_superuser_must_use_two_step_too(org):
    UserFactory(username="staff", is_staff=True)
    browser = Client()
    sign_in(browser, "staff")
    assert browser.get("/admin/").url.startswith("/accounts/two-step/set-up/")


# --- the set-up secret ---------------------------------------------------------------------------

def _secret(client) -> str:
    html = client.get("/accounts/two-step/set-up/").content.decode()
    return html.split('id="secret-key">')[1].split("</code>")[0]


def test_set_up_secret_differs_per_session(org):
    attacker, officer = Client(), Client()
    sign_in(attacker, "designated-officer")  # knows the password, say, and looks first
    sign_in(officer, "designated-officer")
    seen = _secret(attacker)
    mine = _secret(officer)
    assert seen != mine
    assert _secret(officer) == mine and _secret(attacker) == seen  # each steady in its session

    # The officer confirms theirs: every other secret being set up is discarded.
    response = officer.post("/accounts/two-step/set-up/", {"code": code_from_secret(mine)})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=org.designated_officer).count() == 1

    # The secret seen in the other session is no use for the code step, there or anywhere.
    later = Client()
    sign_in(later, "designated-officer")
    response = later.post("/accounts/two-step/verify/", {"code": code_from_secret(seen)})
    assert response.status_code == 200 and "not right" in response.content.decode()
    assert later.get("/lado/").url.startswith("/accounts/two-step/verify/")
    assert attacker.post("/accounts/two-step/set-up/", {"code": code_from_secret(seen)}).url == \
        "/accounts/two-step/"  # already set up: the set-up page sends them to the overview
    assert attacker.get("/lado/").url.startswith("/accounts/two-step/verify/")
