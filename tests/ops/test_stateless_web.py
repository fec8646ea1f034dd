"""The web tier is stateless: two gunicorn processes on different ports, one shared PostgreSQL,
and a person signed in on one is signed in on the other.

That is what lets an authority run several web machines behind a load balancer with no
sticky sessions (docs/deployment.md): sessions live in the database, the CSRF secret in the
cookie, and nothing a request needs is kept in a process. Signing in on A, browsing on B,
posting a form to B with A's CSRF token and signing out on B (which ends the session on A)
prove it.

Production settings throughout (secure cookies, the proxy's X-Forwarded-Proto header, JSON
logs), except that static files come from the finders: `collectstatic` compresses ~8,000
front-end files, minutes of work that is not what this test is about.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import requests

from tests.conftest import skip_or_fail
from tests.support.ports import free_port
from tests.support.throwaway_db import (
    ROOT,
    manage,
    production_env,
    require_postgres,
    throwaway_database,
)

GUNICORN = Path(sys.executable).with_name("gunicorn")
USERNAME = "stateless-iro"
PASSWORD = "Stateless-web-check-2024"
# The proxy terminates TLS and says so; Django then treats the request as HTTPS.
PROXY = {"X-Forwarded-Proto": "https"}

SETTINGS = '''\
from config.settings.production import *  # noqa: F401,F403

STORAGES = {**STORAGES, "staticfiles": {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
'''



class Server:
    """One gunicorn (config/gunicorn.conf.py, one worker unless told) on its own port and log file."""

    def __init__(self, name: str, env: dict, log_dir: Path, workers: int = 1):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"gunicorn-{name}.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(GUNICORN), "config.wsgi", "-c", "config/gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_ready(self, timeout: float = 90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn {self.name} exited:\n{self.log_path.read_text()}")
            try:
                if requests.get(f"{self.base}/accounts/login/", headers=PROXY, timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise AssertionError(f"gunicorn {self.name} not ready:\n{self.log_path.read_text()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn's master stops its worker
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()

    def request(self, method: str, path: str, cookies: dict, data: dict | None = None,
                request_id: str | None = None) -> requests.Response:
        """Send the cookies ourselves: they are Secure, and this is loopback HTTP behind a
        pretend proxy, so a browser-like cookie jar would (rightly) keep them back."""
        headers = {**PROXY, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if data is not None:
            headers["Origin"] = f"https://127.0.0.1:{self.port}"  # as a browser sends it
        if request_id:
            headers["X-Request-ID"] = request_id
        return requests.request(method, f"{self.base}{path}", headers=headers, data=data,
                                allow_redirects=False, timeout=30)

    def access_log(self) -> list[dict]:
        lines = []
        for line in self.log_path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("logger") == "gunicorn.access":
                lines.append(entry)
        return lines


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def new_cookies(response: requests.Response, cookies: dict) -> dict:
    """The cookies after this response (the jar keeps what Set-Cookie said, flags included)."""
    for cookie in response.cookies:
        assert cookie.secure, f"{cookie.name} must be a Secure cookie under production settings"
    return {**cookies, **{cookie.name: cookie.value for cookie in response.cookies}}


def test_a_session_started_on_one_web_process_works_on_another(tmp_path: Path):
    require_postgres()
    if not GUNICORN.exists():
        skip_or_fail(f"gunicorn is not installed at {GUNICORN}")
    (tmp_path / "footprint_stateless_settings.py").write_text(SETTINGS)

    with throwaway_database("footprint_stateless_test") as url:
        env = production_env(url, DJANGO_SECURE_SSL_REDIRECT="0",
                             DJANGO_SETTINGS_MODULE="footprint_stateless_settings",
                             PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
                             GUNICORN_WORKERS="1", GUNICORN_LOG_LEVEL="warning")
        manage("migrate", "--noinput", env=env)
        manage("shell", "-c", (
            "from people.models import Role, User; "
            f"user = User.objects.create_user({USERNAME!r}, password={PASSWORD!r}, "
            "first_name='Priya', last_name='Stateless'); "
            "user.roles.set(Role.objects.filter(slug='iro'))"), env=env)

        a, b = Server("a", env, tmp_path), Server("b", env, tmp_path)
        try:
            a.wait_until_ready()
            b.wait_until_ready()
            assert a.port != b.port

            # Sign in on A.
            page = a.request("GET", "/accounts/login/", {})
            assert page.status_code == 200
            cookies = new_cookies(page, {})
            signed_in = a.request("POST", "/accounts/login/", cookies, data={
                "username": USERNAME, "password": PASSWORD,
                "csrfmiddlewaretoken": csrf_token(page.text)})
            assert signed_in.status_code == 302, signed_in.text[:2000]
            cookies = new_cookies(signed_in, cookies)
            assert "sessionid" in cookies

            # The same session cookie on B: signed in, as the same person.
            request_id = f"stateless-{uuid.uuid4().hex}"
            drps = b.request("GET", "/drps/", cookies, request_id=request_id)
            assert drps.status_code == 200, drps.headers.get("Location")
            assert "Priya Stateless" in drps.text
            assert 'name="password"' not in drps.text
            assert drps.headers["X-Request-ID"] == request_id
            cookies = new_cookies(drps, cookies)

            # A form from A, posted to B with A's CSRF token: accepted and saved.
            form = a.request("GET", "/notifications/preferences/", cookies)
            assert form.status_code == 200
            cookies = new_cookies(form, cookies)
            token = csrf_token(form.text)
            forged = b.request("POST", "/notifications/preferences/", cookies,
                               data={"email": "daily", "csrfmiddlewaretoken": "x" * 64})
            assert forged.status_code == 403, "a wrong CSRF token must be refused"
            saved = b.request("POST", "/notifications/preferences/", cookies,
                              data={"email": "daily", "csrfmiddlewaretoken": token})
            assert saved.status_code == 302, saved.text[:2000]
            with psycopg.connect(url) as conn:
                assert conn.execute(
                    "SELECT p.email FROM notifications_preference p JOIN people_user u"
                    " ON u.id = p.user_id WHERE u.username = %s", [USERNAME]).fetchone() == ("daily",)
            cookies = new_cookies(saved, cookies)

            # Signing out on B ends the session on A too.
            signed_out = b.request("POST", "/accounts/logout/", cookies,
                                   data={"csrfmiddlewaretoken": token})
            assert signed_out.status_code == 302
            after = a.request("GET", "/drps/", cookies)
            assert after.status_code == 302 and "/accounts/login/" in after.headers["Location"]
        finally:
            a.stop()
            b.stop()

        # Each process logged its own requests as JSON lines; B served the /drps/ page.
        b_lines = [line for line in b.access_log() if line.get("request_id") == request_id]
        assert [(line["method"], line["path"], line["status"]) for line in b_lines] == [
            ("GET", "/drps/", 200)]
        assert all(line.get("request_id") != request_id for line in a.access_log())
        assert {"timestamp", "level", "duration_ms", "bytes"} <= b_lines[0].keys()
