"""Footprint's main read and write paths, as the people who use them would.

Run by ``bench/load_test.py``, which builds the database, starts gunicorn and writes the
JSON this file reads (``FOOTPRINT_LOAD_CONFIG``): session keys, API tokens, and the ids of
DRPs and children each person may see. By hand::

    FOOTPRINT_LOAD_CONFIG=<results>/config.json .venv/bin/locust \
        -f bench/load/locustfile.py --headless -u 20 -r 20 -t 60s --host http://127.0.0.1:PORT

(``bench/load_test.py`` deletes config.json when it stops its gunicorn: the sessions and
tokens in it are keys, even to a throwaway database.)

Who is simulated (non-DO roles only: DO roles must pass two-step verification):

* ``IroBrowser``: an IRO in the browser. Opens My DRPs, opens one of their DRPs, now and
  then records positive practice through the HTML form (CSRF and all).
* ``SocialWorkerBrowser``: a social worker's "Challenges awaiting my response" page, then
  one of those DRPs.
* ``ApiReader``: a case-management system reading the API with the IRO's token: the DRP
  list, a filtered list and a DRP.
* ``DrpJourney``: a whole DRP through the API, each step by the person who would take it:
  the IRO raises it, the social worker responds, the IRO escalates it to Stage 1, the team
  manager responds, the IRO resolves it. Each journey has its own DRP, so no step should
  ever meet a 409.
* ``ReportReader`` (only when ``FOOTPRINT_LOAD_REPORT_WEIGHT`` is above 0: ``bench/load_test.py
  --reports`` or a replica): an IRO Manager reading the annual, monthly and service learning
  reports, a CSV download and the reports API; with a replica, these are the reads it takes.

With several gunicorn servers (``FOOTPRINT_LOAD_HOSTS``, comma-separated base URLs), each
simulated person is given one of them in turn, as a load balancer without sticky sessions would.

How it talks to production settings over plain http on loopback: every request carries
``X-Forwarded-Proto: https``, as the TLS-terminating proxy in front of gunicorn would
(``SECURE_PROXY_SSL_HEADER``), so Django treats it as HTTPS: no SSL redirect, HSTS sent,
and CSRF checks the ``Origin`` header of a POST against ``https://<host>``, which the
browser users send. The session and CSRF cookies are ``Secure``, which a cookie jar only
returns over https; the browser users' jar has a policy (``BehindTlsProxy``) that returns
them over this loopback http too, so they keep and send cookies exactly as a browser on the
https site would (session, CSRF, messages). Redirects are not followed and every status is checked exactly, so
a redirect to the login page counts as a failure rather than a 200.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from http.cookiejar import Cookie, DefaultCookiePolicy
from urllib.parse import urlsplit

from locust import FastHttpUser, between, task

WAIT = tuple(float(x) for x in os.environ.get("FOOTPRINT_LOAD_WAIT", "0.2,1.0").split(","))
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _load_config() -> dict:
    path = os.environ.get("FOOTPRINT_LOAD_CONFIG")
    if not path:
        raise SystemExit("FOOTPRINT_LOAD_CONFIG is not set: run bench/load_test.py, or point it at "
                         "the config.json that bench/load_test.py wrote")
    with open(path) as handle:
        return json.load(handle)


CONFIG = _load_config()
_hosts = itertools.cycle([h for h in os.environ.get("FOOTPRINT_LOAD_HOSTS", "").split(",") if h] or [None])
_session_pools = {role: itertools.cycle(keys) for role, keys in CONFIG["sessions"].items()}
_pool_lock = threading.Lock()


def next_session_key(role: str) -> str:
    """Each simulated person gets their own signed-in session (sessions are not shared)."""
    with _pool_lock:
        return next(_session_pools[role])


class BehindTlsProxy(DefaultCookiePolicy):
    """Return Secure cookies over loopback http: the TLS ends at the (simulated) proxy."""

    def return_ok_secure(self, cookie, request):
        return True


def session_cookie(name: str, value: str) -> Cookie:
    return Cookie(version=0, name=name, value=value, port=None, port_specified=False,
                  domain=CONFIG["cookie_domain"], domain_specified=False, domain_initial_dot=False,
                  path="/", path_specified=True, secure=True, expires=None, discard=True,
                  comment=None, comment_url=None, rest={"HttpOnly": None}, rfc2109=False)


class FootprintUser(FastHttpUser):
    abstract = True
    wait_time = between(*WAIT)
    default_headers = {"X-Forwarded-Proto": "https"}

    def __init__(self, environment):
        with _pool_lock:
            host = next(_hosts)
        if host:
            self.host = host  # this person's web server
        super().__init__(environment)

    def check(self, method: str, url: str, expect: int, name: str, **kwargs):
        """One request that must answer exactly ``expect``; returns the response (or None)."""
        with self.client.request(method, url, name=name, catch_response=True, allow_redirects=False,
                                 **kwargs) as response:
            if response.status_code != expect:
                where = response.headers.get("Location", "") if response.headers else ""
                response.failure(f"HTTP {response.status_code} (expected {expect}) {where} "
                                 f"{(response.text or '')[:200]!r}")
                return None
            response.success()
            return response


class BrowserUser(FootprintUser):
    """Signed in through a session cookie created by the load script (logging in runs PBKDF2,
    which is deliberately slow and is not what these pages cost)."""

    abstract = True
    role = ""

    def on_start(self):
        self.client.cookiejar.set_policy(BehindTlsProxy())
        self.client.cookiejar.set_cookie(session_cookie(CONFIG["session_cookie_name"],
                                                        next_session_key(self.role)))
        parts = urlsplit(self.host)
        self.origin = f"https://{parts.netloc}"


class IroBrowser(BrowserUser):
    weight = 4
    role = "iro"

    @task(4)
    def my_drps(self):
        self.check("GET", "/drps/", 200, "GET /drps/ (My DRPs, IRO)")

    @task(6)
    def open_a_drp(self):
        pk = random.choice(CONFIG["drps"]["iro"])
        self.check("GET", f"/drps/{pk}/", 200, "GET /drps/{id}/ (IRO)")

    @task(1)
    def record_positive_practice(self):
        form = self.check("GET", "/positive-practice/record/", 200, "GET /positive-practice/record/")
        if form is None:
            return
        match = CSRF_INPUT.search(form.text)
        if not match:
            form.failure("no CSRF token on the form")
            return
        child = random.choice(CONFIG["children"])
        self.check("POST", "/positive-practice/record/", 302, "POST /positive-practice/record/",
                   data={"csrfmiddlewaretoken": match.group(1), "children": child["reference"],
                         "case_type": child["case_type"],
                         "what_happened": "Visited the child weekly and kept the family informed.",
                         "impact": "The child felt listened to and the plan moved on."},
                   headers={"Origin": self.origin, "Referer": f"{self.origin}/positive-practice/record/",
                            "Content-Type": "application/x-www-form-urlencoded"})


class SocialWorkerBrowser(BrowserUser):
    weight = 2
    role = "social-worker"

    @task(1)
    def awaiting_my_response(self):
        self.check("GET", "/drps/awaiting-my-response/", 200, "GET /drps/awaiting-my-response/")

    @task(1)
    def open_a_drp(self):
        pk = random.choice(CONFIG["drps"]["social-worker"])
        self.check("GET", f"/drps/{pk}/", 200, "GET /drps/{id}/ (social worker)")


class ApiUser(FootprintUser):
    abstract = True

    def api(self, method: str, url: str, expect: int, name: str, as_role: str = "iro", **kwargs):
        headers = {"Authorization": f"Token {CONFIG['tokens'][as_role]}", "Accept": "application/json"}
        return self.check(method, url, expect, name, headers=headers, **kwargs)


class ApiReader(ApiUser):
    weight = 3

    @task(3)
    def list_drps(self):
        self.api("GET", "/api/v1/drps/", 200, "GET /api/v1/drps/")

    @task(1)
    def list_open_cla(self):
        self.api("GET", "/api/v1/drps/?status=awaiting_response&case_type=CLA", 200,
                 "GET /api/v1/drps/?status=awaiting_response&case_type=CLA")

    @task(4)
    def drp_detail(self):
        pk = random.choice(CONFIG["drps"]["iro"])
        self.api("GET", f"/api/v1/drps/{pk}/", 200, "GET /api/v1/drps/{id}/")


class DrpJourney(ApiUser):
    weight = 1

    @task
    def raise_respond_escalate_resolve(self):
        child = random.choice(CONFIG["journey_children"])
        raised = self.api("POST", "/api/v1/drps/", 201, "POST /api/v1/drps/ (raise)", json={
            "children": [child["id"]], "case_type": child["case_type"],
            "themes": random.sample(CONFIG["themes"], k=min(2, len(CONFIG["themes"]))),
            "concern": "The care plan has not been updated since the last review.",
        })
        if raised is None:
            return
        pk = raised.json()["id"]
        steps = [
            ("social-worker", "respond", {"response": "Care plan to be updated this week."}, "informal"),
            ("iro", "escalate", {"reason": "The plan was not updated in time."}, ""),
            ("team-manager", "respond", {"response": "Updated and shared with the IRO."}, "stage 1"),
            ("iro", "resolve", {"outcome": "Plan updated.", "impact": "The child's plan is on track.",
                                "impact_codes": ["plan-changed"], "child_informed": True,
                                "advocacy_offered": True}, ""),
        ]
        for as_role, action, body, stage in steps:
            label = f"POST /api/v1/drps/{{id}}/{action}/ ({as_role}{', ' + stage if stage else ''})"
            if self.api("POST", f"/api/v1/drps/{pk}/{action}/", 200, label, as_role=as_role, json=body) is None:
                return


class ReportReader(BrowserUser):
    """An IRO Manager reading reports: the pages, a download and the API."""

    weight = int(os.environ.get("FOOTPRINT_LOAD_REPORT_WEIGHT", "0"))
    role = "iro-manager"

    @task(3)
    def annual(self):
        self.check("GET", f"/reports/annual/?year={CONFIG['report_year']}", 200, "GET /reports/annual/")

    @task(2)
    def monthly(self):
        self.check("GET", f"/reports/monthly/?month={CONFIG['report_month']}", 200, "GET /reports/monthly/")

    @task(1)
    def learning(self):
        self.check("GET", f"/reports/learning/?year={CONFIG['report_year']}", 200, "GET /reports/learning/")

    @task(1)
    def annual_csv(self):
        self.check("GET", f"/reports/annual/?year={CONFIG['report_year']}&format=csv", 200,
                   "GET /reports/annual/?format=csv")

    @task(2)
    def annual_api(self):
        headers = {"Authorization": f"Token {CONFIG['tokens'][self.role]}", "Accept": "application/json"}
        self.check("GET", f"/api/v1/reports/annual/?year={CONFIG['report_year']}", 200, "GET /api/v1/reports/annual/",
                   headers=headers)
