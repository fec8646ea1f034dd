"""Signing in and the API under attack (issue 10): password sprays and rotating forwarded addresses
still lock out, gunicorn listens only on this machine, no password reset, access logs without query
strings, DO API answers no-store and is rate limited, and DO role changes revoke tokens."""

import logging
import re
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from people import roles
from people.models import ApiToken
from tests.support.auth import api_token, login, token_client
from tests.support.factories import UserFactory
from tests.support.lado_fixtures import log
from tests.support.signing_in import PASSWORD, sign_in
from tests.support.token_security import DO_CASES, signed_with

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


# --- lockout -----------------------------------------------------------------------------------

def test_password_spray_across_accounts_locks_out(org, settings):
    """One password tried on many accounts from one address: after
    FOOTPRINT_LOGIN_ADDRESS_FAILURE_LIMIT (30) failures that address can sign in to none."""
    assert settings.FOOTPRINT_LOGIN_ADDRESS_FAILURE_LIMIT == 30
    victims = [UserFactory(username=f"staff-{n}").username for n in range(30)]
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    # An account of the attacker's own, signed in now and then, does not wipe the count.
    for n, username in enumerate(victims):
        response = sign_in(attacker, username, "Winter2026-password")
        assert response.status_code in (200, 429), response.status_code
        if n == 10:
            assert sign_in(Client(REMOTE_ADDR="203.0.113.9"), "iro").status_code == 302
    assert response.status_code == 429
    assert "for several accounts" in response.content.decode()
    assert sign_in(Client(REMOTE_ADDR="203.0.113.9"), "chair").status_code == 429
    # Elsewhere, everyone (the sprayed accounts too) signs in as usual.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), "chair").status_code == 302
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), victims[0]).status_code == 302


def test_rotating_forwarded_addresses_still_locks_the_account(org, settings):
    """Gunicorn reachable directly, forged X-Forwarded-For rotated per try: after
    FOOTPRINT_LOGIN_ACCOUNT_FAILURE_LIMIT (20) failures the account is locked from anywhere."""
    settings.FOOTPRINT_PROXY_COUNT = 1
    assert settings.FOOTPRINT_LOGIN_ACCOUNT_FAILURE_LIMIT == 20
    statuses = [sign_in(Client(), "do-manager", f"guess-{n}-guess-guess",
                        HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(20)]
    assert statuses[:19] == [200] * 19 and statuses[19] == 429
    locked = sign_in(Client(), "do-manager", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert locked.status_code == 429 and "from different places" in locked.content.decode()
    api = APIClient(HTTP_X_FORWARDED_FOR="192.0.2.201")
    assert api.post("/api/v1/auth/token/", {"username": "do-manager", "password": PASSWORD}).status_code == 429
    assert sign_in(Client(), "iro", HTTP_X_FORWARDED_FOR="192.0.2.202").status_code == 302


def test_gunicorn_listens_only_on_this_machine_by_default():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "x" * 50}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "config/gunicorn.conf.py",
         "--print-config", "config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.MULTILINE))
    assert config["bind"] == "['127.0.0.1:8000']"
    procfile = (ROOT / "Procfile").read_text()
    assert "GUNICORN_BIND=${GUNICORN_BIND:-0.0.0.0:${PORT:-8000}}" in procfile  # platform router


# --- password reset, logs, caching, throttling ---------------------------------------------------

def test_password_reset_not_exposed(org, client):
    for url in ("/accounts/password_reset/", "/accounts/password_reset/done/",
                "/accounts/reset/MQ/set-password/", "/accounts/reset/done/"):
        assert client.get(url).status_code in (302, 404), url  # signed out: sent to sign in
        assert login(Client(), org.iro).get(url).status_code == 404, url
    with pytest.raises(NoReverseMatch):
        reverse("password_reset")
    assert client.post("/accounts/password_reset/", {"email": "iro@example.org"}).status_code != 200
    # Signing in, out and changing one's own password remain.
    assert client.get("/accounts/login/").status_code == 200
    assert login(Client(), org.iro).get("/accounts/password_change/").status_code == 200


def test_access_log_leaves_out_query_strings():
    from gunicorn.config import Config

    JsonLogger = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))["JsonLogger"]
    config = Config()
    config.set("accesslog", "-")
    gunicorn_log = JsonLogger(config)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    gunicorn_log.access_log.addHandler(handler)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/children/?q=Daniel+Harper",
               "PATH_INFO": "/children/", "QUERY_STRING": "q=Daniel+Harper",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": "https://footprint.example/children/?q=Daniel+Harper"}
    response = SimpleNamespace(status="200 OK", sent=10, headers=[("X-Request-ID", "abc")])
    request = SimpleNamespace(headers=[("X-FORWARDED-FOR", "81.2.69.160")])
    gunicorn_log.access(response, request, environ, timedelta(milliseconds=12))
    assert len(records) == 1
    formatted = handler.format(records[0]) + str(vars(records[0]))
    assert "/children/" in formatted and "Harper" not in formatted and "Daniel" not in formatted


def test_do_api_answers_no_store(org):
    log(org, subject_name="Secret Subjectname")
    api = token_client(APIClient(), org.designated_officer)
    for url in (DO_CASES, "/api/v1/lado/vocabularies/", "/api/v1/drps/"):
        response = api.get(url)
        assert response.status_code in (200, 403)
        assert "no-store" in response["Cache-Control"], url
    issued = APIClient().post("/api/v1/auth/token/", {"username": "iro", "password": PASSWORD})
    assert "no-store" in issued["Cache-Control"]  # the key itself
    browser = login(Client(), org.designated_officer)
    for url in ("/lado/", "/children/", "/drps/", "/audit/", "/subject-access/"):
        response = browser.get(url)
        assert "no-store" in response.get("Cache-Control", ""), (url, response.status_code)
    static = browser.get("/static/govuk-frontend/govuk/assets/images/favicon.svg")
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")


def test_do_api_rate_limit_answers_429_with_retry_after(org, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"designated-officer": "5/minute"}}
    cache.clear()
    api = token_client(APIClient(), org.designated_officer)
    statuses = [api.get(DO_CASES).status_code for _ in range(5)]
    assert statuses == [200] * 5
    response = api.get(DO_CASES)
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 60
    assert api.get("/api/v1/lado/vocabularies/").status_code == 429  # one budget for the DO API
    assert api.get("/api/v1/notifications/").status_code == 200  # the rest of the API is not limited
    other = token_client(APIClient(), org.do_manager)
    assert other.get(DO_CASES).status_code == 200  # per person
    cache.clear()


def test_token_revoked_when_the_do_manager_grants_or_removes_a_do_role(org):
    """Roles given on the DO team page (lado.services.do_role_grant / do_role_remove) end the
    person's tokens like any other change of roles."""
    from lado import services as lado_services

    key = api_token(org.iro)
    assert signed_with(key).get("/api/v1/drps/").status_code == 200
    lado_services.do_role_grant(actor=org.do_manager, person=org.iro, role=roles.DESIGNATED_OFFICER,
                                reason="Covering the DO rota")
    assert not ApiToken.objects.filter(user=org.iro).exists()
    assert signed_with(key).get("/api/v1/drps/").status_code == 401
    officer_key = api_token(org.designated_officer)
    lado_services.do_role_remove(actor=org.do_manager, person=org.designated_officer,
                                 role=roles.DESIGNATED_OFFICER, reason="Left the team")
    assert signed_with(officer_key).get("/api/v1/lado/enquiries/").status_code == 401
