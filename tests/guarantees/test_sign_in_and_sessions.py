"""Signing in safely: the lockout after wrong passwords, sessions (cookies, idle timeout, writes, none
for API tokens, production settings) and password strength."""

import os
import secrets
import subprocess
import sys
from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.support.auth import login, token_client
from tests.support.signing_in import BASE_DIR, PASSWORD, sign_in, signed_in

pytestmark = pytest.mark.django_db


# --- lockout ----------------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_out_with_a_clear_message(org, client):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = sign_in(client, "iro", "wrong-password-1")
        assert response.status_code == 200
        assert "Enter a correct username and password" in response.content.decode()
    response = sign_in(client, "iro", "wrong-password-1")
    assert response.status_code == 429
    page = response.content.decode()
    assert "You cannot sign in at the moment" in page
    assert "5 times" in page and "Wait 15 minutes" in page
    assert "govuk-heading-l" in page  # the GOV.UK page, not axes' plain text

    # The right password is refused while locked out, and nobody is signed in.
    response = sign_in(client, "iro", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)

    # Locked by username and address together: the same person elsewhere, or someone else
    # here, can still sign in.
    assert sign_in(Client(), "iro", PASSWORD, REMOTE_ADDR="10.1.2.3").status_code == 302
    assert sign_in(Client(), "chair", PASSWORD).status_code == 302

    # After the cool-off the right password works again, and the count starts afresh.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "iro", PASSWORD).status_code == 302
    assert signed_in(client)
    assert not AccessAttempt.objects.filter(username="iro").exists()


def test_the_limit_comes_from_settings(org, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert sign_in(client, "iro", "nope-nope-nope").status_code == 200
    assert sign_in(client, "iro", "nope-nope-nope").status_code == 429


def test_the_token_endpoint_counts_towards_the_lockout(org):
    api = APIClient()
    for _ in range(4):
        response = api.post("/api/v1/auth/token/", {"username": "iro", "password": "wrong"})
        assert response.status_code == 400
    response = api.post("/api/v1/auth/token/", {"username": "iro", "password": "wrong"})
    assert response.status_code == 429
    response = api.post("/api/v1/auth/token/", {"username": "iro", "password": PASSWORD})
    assert response.status_code == 429 and "token" not in response.json()


# --- sessions ---------------------------------------------------------------------------------

def test_session_cookies_are_http_only_lax_and_end_with_the_browser(org, client):
    response = sign_in(client, "iro")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert "people.middleware.IdleTimeoutMiddleware" in settings.MIDDLEWARE
    assert settings.CSRF_COOKIE_HTTPONLY


def test_an_idle_session_is_signed_out_and_activity_keeps_it_alive(org, client):
    start = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=start):
        assert sign_in(client, "iro").status_code == 302
        assert client.get("/drps/").status_code == 200
    # 20 minutes later: still signed in, and the half hour starts again.
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(minutes=20)):
        assert client.get("/drps/").status_code == 200
    # 45 minutes after signing in, 25 after the last page: still signed in.
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(minutes=45)):
        assert client.get("/drps/").status_code == 200
    # 31 idle minutes: signed out, and sent to sign in.
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(minutes=76)):
        response = client.get("/drps/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/drps/")


def test_a_session_in_use_is_written_at_most_once_a_minute(org, client):
    """Pages read the session; they write it again only when its last refresh is a minute old."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=start):
        sign_in(client, "iro")
    def session_writes(at):
        with mock.patch("django.utils.timezone.now", return_value=at), \
                CaptureQueriesContext(connection) as queries:
            assert client.get("/drps/").status_code == 200
        return sum("django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
                   for q in queries)

    assert session_writes(start + timedelta(seconds=10)) == 0
    assert session_writes(start + timedelta(seconds=50)) == 0
    assert session_writes(start + timedelta(seconds=70)) == 1
    expiry = Session.objects.get().expire_date
    assert expiry == start + timedelta(seconds=70) + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_an_api_call_with_a_token_makes_no_session(org):
    from django.contrib.sessions.models import Session

    api = token_client(APIClient(), org.iro)
    assert api.get("/api/v1/drps/").status_code == 200
    assert not Session.objects.exists()


def test_a_session_reads_the_person_and_their_roles_in_one_statement(org, client):
    """people/backends.py: the roles ride on the user's row, not a statement of their own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, org.iro)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/drps/").status_code == 200
    # (Reads of people as people_user itself: the list's rows name their IRO through an alias, "u".)
    user_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "people_user" WHERE' in q["sql"]]
    role_reads = [q["sql"] for q in ctx.captured_queries if '"people_user_roles"' in q["sql"]]
    assert len(user_reads) == 1 and role_reads == user_reads


def test_a_role_taken_away_stops_working_at_the_next_request(org, client):
    from people import roles
    from people.models import Role

    login(client, org.iro)
    assert client.get("/api/v1/drp/agency-contacts/").status_code == 200
    org.iro.roles.remove(Role.objects.get(slug=roles.IRO))
    assert client.get("/api/v1/drp/agency-contacts/").status_code == 403
    org.iro.roles.add(Role.objects.get(slug=roles.IRO))
    assert client.get("/api/v1/drp/agency-contacts/").status_code == 200


def test_a_session_user_comes_with_every_role_they_hold_and_only_those(org):
    from people import roles
    from people.models import Role, User
    from people.selectors import user_with_roles

    nobody = User.objects.create(username="nobody")
    assert user_with_roles(nobody.pk).role_slugs == frozenset()
    org.iro_manager.roles.add(Role.objects.get(slug=roles.AUDITOR))
    assert user_with_roles(org.iro_manager.pk).role_slugs == {roles.IRO_MANAGER, roles.AUDITOR}
    assert user_with_roles(10**9) is None


def test_production_settings_read_the_environment_and_secure_the_cookies():
    """Settings imported in a fresh process, as a server would."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
           "FOOTPRINT_SESSION_IDLE_MINUTES": "10", "FOOTPRINT_LOGIN_FAILURE_LIMIT": "3",
           "FOOTPRINT_LOGIN_COOLOFF_MINUTES": "60"}
    script = ("import django; django.setup(); from django.conf import settings as s; "
              "print(s.SESSION_COOKIE_AGE, s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()),"
              " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY)")
    result = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-6:] == ["600", "3", "3600", "True", "True", "True"]


# --- passwords --------------------------------------------------------------------------------

@pytest.mark.parametrize("password, message", [
    ("Short-pass1", "at least 12 characters"),
    ("password1234", "too common"),
    ("738294610573", "entirely numeric"),
    ("iro.example.user", "too similar"),
])
def test_weak_passwords_are_refused(org, password, message):
    org.iro.email = "iro.example.user@example.org"
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=org.iro)
    assert message in " ".join(refused.value.messages)


def test_changing_to_a_short_password_is_refused_on_the_page(org, client):
    login(client, org.iro)
    response = client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "Tr1cky-pass", "new_password2": "Tr1cky-pass"})
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    org.iro.refresh_from_db()
    assert org.iro.check_password(PASSWORD)
