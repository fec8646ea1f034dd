"""What every response carries and what the deployment checks: a strict Content-Security-Policy and
security headers, no template needing unsafe-inline, CSRF on every form, and a clean
``manage.py check --deploy``."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client

from tests.support.auth import login
from tests.support.signing_in import BASE_DIR, PASSWORD, csp

pytestmark = pytest.mark.django_db


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
    response = client.get("/api/v1/docs/")
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
