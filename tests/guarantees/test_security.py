"""Security: sign-in lockout, idle sessions, passwords, two-step verification, headers, CSP.

Every sign-in here goes through the real login view (``client.post('/accounts/login/')``),
so django-axes, the session and the two-step middleware all see it as a browser would.
"""

import base64
import os
import re
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from people import two_step

from tests.support.auth import login, token_client, totp_device

pytestmark = pytest.mark.django_db

PASSWORD = "footprint-test"
BASE_DIR = Path(settings.BASE_DIR)


# --- helpers ----------------------------------------------------------------------------------

def sign_in(client, username, password=PASSWORD, next_url=None, **extra):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def code_for(device: TOTPDevice) -> str:
    """The code the person's authenticator app shows now (the next one, if this one was used:
    each code works once and the device accepts one step of clock difference)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if totp.t() <= device.last_t:
        totp.time = time.time() + device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = code_for(device)
    return "000000" if right != "000000" else "111111"


def code_from_secret(secret_text: str) -> str:
    """What an authenticator app shows after the setup key was typed into it."""
    key = secret_text.replace(" ", "")
    key += "=" * (-len(key) % 8)
    return f"{TOTP(base64.b32decode(key)).token():06d}"


def csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


# --- lockout ----------------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_out_with_a_clear_message(org, client):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = sign_in(client, "iro", "wrong-password-1")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
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
        response = api.post("/api/auth/token/", {"username": "iro", "password": "wrong"})
        assert response.status_code == 400
    response = api.post("/api/auth/token/", {"username": "iro", "password": "wrong"})
    assert response.status_code == 429
    response = api.post("/api/auth/token/", {"username": "iro", "password": PASSWORD})
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
    assert api.get("/api/drps/").status_code == 200
    assert not Session.objects.exists()


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


# --- two-step verification: the DO team ------------------------------------------------------

def test_a_do_without_an_authenticator_is_sent_to_set_one_up_then_reaches_the_tray(org, client):
    response = sign_in(client, "designated-officer", next_url="/lado/")
    assert response.status_code == 302 and response.url == "/lado/"
    response = client.get("/lado/")
    assert response.status_code == 302
    assert response.url == "/accounts/two-step/set-up/?next=%2Flado%2F"
    # Every other page too, the API included; signing out still works.
    assert client.get("/children/").url.startswith("/accounts/two-step/set-up/")
    api = client.get("/api/lado/enquiries/")
    assert api.status_code == 403 and "Two-step verification" in api.json()["detail"]

    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Set up two-step verification" in html and "Designated Officer work needs" in html
    assert '<svg class="app-qr-code" role="img"' in html
    secret = re.search(r'<code class="app-secret-key__value" id="secret-key">([A-Z2-7 ]+)</code>',
                       html).group(1)
    device = TOTPDevice.objects.get(user=org.designated_officer)
    assert not device.confirmed and secret == two_step.secret_key(device)
    assert client.get(response.url).content.decode().count(secret) == 1  # same key on reload

    response = client.post("/accounts/two-step/set-up/", {"code": code_from_secret(secret),
                                                          "next": "/lado/"})
    assert response.status_code == 302 and response.url == "/lado/"
    device.refresh_from_db()
    assert device.confirmed
    tray = client.get("/lado/")
    assert tray.status_code == 200 and "Work tray" in tray.content.decode()
    assert client.get("/api/lado/enquiries/").status_code == 200


def test_a_do_with_an_authenticator_enters_a_code_after_the_password(org, client):
    device = totp_device(org.do_manager)
    sign_in(client, "do-manager", next_url="/lado/")
    response = client.get("/lado/")
    assert response.url == "/accounts/two-step/verify/?next=%2Flado%2F"
    # Setting up a second authenticator is not a way round the code.
    assert client.get("/accounts/two-step/set-up/").url == "/accounts/two-step/"
    assert client.get("/accounts/two-step/").url.startswith("/accounts/two-step/verify/")
    assert TOTPDevice.objects.filter(user=org.do_manager).count() == 1

    page = client.get(response.url).content.decode()
    assert "Enter your security code" in page
    assert 'href="/lado/"' not in page  # no service navigation until the code is in

    refused = client.post("/accounts/two-step/verify/", {"code": wrong_code(device), "next": "/lado/"})
    assert refused.status_code == 200
    assert "The code is not right or has expired" in refused.content.decode()
    assert client.get("/lado/").status_code == 302
    # Straight after a wrong code even the right one must wait (django-otp's throttling).
    throttled = client.post("/accounts/two-step/verify/", {"code": code_for(device), "next": "/lado/"})
    assert "too many wrong codes" in throttled.content.decode()

    time.sleep(1.1)
    response = client.post("/accounts/two-step/verify/", {"code": code_for(device), "next": "/lado/"})
    assert response.status_code == 302 and response.url == "/lado/"
    tray = client.get("/lado/")
    assert tray.status_code == 200 and "Work tray" in tray.content.decode()


@pytest.mark.parametrize("code, error", [("", "Enter the 6-digit code"), ("12345", "6 numbers"),
                                         ("abcdef", "6 numbers")])
def test_a_malformed_code_is_named(org, client, code, error):
    totp_device(org.designated_officer)
    sign_in(client, "designated-officer")
    response = client.post("/accounts/two-step/verify/", {"code": code})
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html and 'href="#id_code"' in html and "Error: Enter your security code" in html


def test_the_code_page_only_returns_to_this_site(org, client):
    device = totp_device(org.designated_officer)
    sign_in(client, "designated-officer")
    response = client.post("/accounts/two-step/verify/", {
        "code": code_for(device), "next": "https://evil.example/lado/"})
    assert response.status_code == 302 and response.url == "/"


def test_a_do_changing_authenticator_sets_up_a_new_one_straight_away(org, client):
    login(client, org.designated_officer)
    refused = client.post("/accounts/two-step/turn-off/", {"password": "not-my-password"})
    assert "The password is not right" in refused.content.decode()
    response = client.post("/accounts/two-step/turn-off/", {"password": PASSWORD})
    assert response.url == "/accounts/two-step/set-up/"
    assert not TOTPDevice.objects.filter(user=org.designated_officer).exists()
    assert client.get("/lado/").url.startswith("/accounts/two-step/set-up/")


# --- two-step verification: optional for everyone else --------------------------------------

def test_anyone_can_turn_on_two_step_and_is_then_asked_for_a_code(org, client):
    login(client, org.iro)
    assert "Off" in client.get("/accounts/two-step/").content.decode()
    assert client.get("/drps/").status_code == 200  # optional: no code needed yet
    page = client.get("/accounts/two-step/set-up/").content.decode()
    assert "style=" not in page.split('<svg class="app-qr-code"')[1].split("</svg>")[0]
    device = TOTPDevice.objects.get(user=org.iro, confirmed=False)
    response = client.post("/accounts/two-step/set-up/", {"code": code_for(device)})
    assert response.url == "/accounts/two-step/"
    assert "On" in client.get("/accounts/two-step/").content.decode()
    assert client.get("/drps/").status_code == 200  # this session entered the code

    other = Client()
    sign_in(other, "iro")
    assert other.get("/drps/").url == "/accounts/two-step/verify/?next=%2Fdrps%2F"
    response = other.post("/accounts/two-step/verify/", {"code": code_for(device), "next": "/drps/"})
    assert response.url == "/drps/"
    assert other.get("/drps/").status_code == 200

    # Turned off with the password: signing in needs no code again.
    assert client.post("/accounts/two-step/turn-off/", {"password": PASSWORD}).url == "/accounts/two-step/"
    third = Client()
    sign_in(third, "iro")
    assert third.get("/drps/").status_code == 200


def test_an_authenticator_removed_since_sign_in_asks_for_no_code(org, client):
    """Say an administrator removed it: the person is not sent round in circles."""
    device = totp_device(org.iro)
    sign_in(client, "iro")
    assert client.get("/drps/").url.startswith("/accounts/two-step/verify/")
    device.delete()
    response = client.get("/accounts/two-step/verify/?next=/drps/")
    assert response.url == "/drps/"
    assert client.get("/drps/").status_code == 200


# --- the API token ----------------------------------------------------------------------------

def test_the_token_endpoint_asks_for_the_code_when_two_step_is_on(org):
    api = APIClient()
    assert "token" in api.post("/api/auth/token/", {"username": "iro", "password": PASSWORD}).json()

    device = totp_device(org.iro)
    response = api.post("/api/auth/token/", {"username": "iro", "password": PASSWORD})
    assert response.status_code == 400 and "otp_token" in response.json()
    response = api.post("/api/auth/token/", {"username": "iro", "password": PASSWORD,
                                              "otp_token": wrong_code(device)})
    assert response.status_code == 400
    assert response.json()["otp_token"] == ["The code is not right or has expired."]
    time.sleep(1.1)  # past the throttle after a wrong code
    response = api.post("/api/auth/token/", {"username": "iro", "password": PASSWORD,
                                              "otp_token": code_for(device)})
    assert response.status_code == 200 and response.json()["token"]


def test_the_do_team_needs_an_authenticator_for_a_token_and_then_the_token_works(org):
    api = APIClient()
    response = api.post("/api/auth/token/", {"username": "designated-officer", "password": PASSWORD})
    assert response.status_code == 400
    assert ("Designated Officer roles and administrators must use two-step verification"
            in response.json()["otp_token"][0])

    device = totp_device(org.designated_officer)
    response = api.post("/api/auth/token/", {"username": "designated-officer", "password": PASSWORD,
                                              "otp_token": code_for(device)}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/lado/enquiries/").status_code == 200


# --- headers and the Content-Security-Policy -------------------------------------------------

def test_pages_send_a_strict_content_security_policy_and_security_headers(org, client):
    responses = [client.get("/accounts/login/")]
    login(client, org.designated_officer)
    responses += [client.get("/lado/"), client.get("/accounts/two-step/")]
    for response in responses:
        assert response.status_code == 200
        policy = csp(response)
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["img-src"] == ["'self'", "data:"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]


def test_the_api_docs_load_their_script_from_a_url(org, client):
    login(client, org.iro)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(" src=" in tag for tag in scripts), scripts
    assert "<style" not in html and "unsafe-inline" not in response.headers["Content-Security-Policy"]
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def template_dirs() -> list[Path]:
    """templates/ and every one of Footprint's own apps' template directories."""
    dirs = [BASE_DIR / "templates"]
    for app in apps.get_app_configs():
        path = Path(app.path) / "templates"
        if path.is_dir() and BASE_DIR in path.parents and ".venv" not in path.parts:
            dirs.append(path)
    return dirs


INLINE = {
    "an inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "an inline event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
}


#: Templates never served as pages (so never under the CSP), and what they may therefore use.
NOT_SERVED = {
    # Subject access exports: standalone files a requester opens from their own disk, with
    # their styles inside (no link back to the server).
    "subject_access/export/": {"a <style> element"},
}


def test_no_template_needs_unsafe_inline():
    """Anything here would be blocked by the Content-Security-Policy (no 'unsafe-inline')."""
    files = [(d, f) for d in template_dirs() for f in d.rglob("*") if f.is_file()]
    assert len(files) > 50
    found = []
    for directory, path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        name = path.relative_to(directory).as_posix()
        allowed = set().union(*(what for prefix, what in NOT_SERVED.items()
                                if name.startswith(prefix)))
        for what, pattern in INLINE.items():
            if what in allowed:
                continue
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(BASE_DIR)}:{line}: {what}: {match.group(0)!r}")
    assert not found, "\n".join(found)


def test_the_scan_finds_what_it_looks_for():
    samples = ['<script>alert(1)</script>', '<a href="#" onclick="go()">', '<p style="color:red">',
               '<style>p{}</style>']
    for sample, pattern in zip(samples, INLINE.values()):
        assert pattern.search(sample), sample
    assert not INLINE["an inline <script>"].search('<script type="module" src="/static/js/app.js">')


# --- CSRF -------------------------------------------------------------------------------------

def test_forms_refuse_a_post_without_a_csrf_token(org):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/accounts/login/", {"username": "iro", "password": PASSWORD}).status_code == 403
    login(browser, org.iro)
    response = browser.post("/drps/raise/", {"concern": "No token"})
    assert response.status_code == 403
    # ... and accept one with it.
    browser.get("/accounts/two-step/set-up/")
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value
    response = browser.post("/accounts/two-step/set-up/", {"code": "000000"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


# --- python manage.py check --deploy ---------------------------------------------------------

def test_the_deploy_check_is_clean_under_production_settings():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
           "DATABASE_URL": "postgres://footprint:secret@db.internal:5432/footprint",
           "DJANGO_ALLOWED_HOSTS": "footprint.example.gov.uk"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output

