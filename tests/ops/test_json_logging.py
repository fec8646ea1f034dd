"""Production logs are one JSON object per line, with the request (or task) id on each.

The production LOGGING is applied in a fresh Python process (django.setup() with the
production settings), so the test suite's own logging is untouched, and everything that
process writes to stdout must parse as JSON.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r'''
import logging

import django

django.setup()

from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.log import log_response

from config.celery_app import app
from config.request_id import RequestIdMiddleware

log = logging.getLogger("footprint.check")
log.info("plain line", extra={"case_reference": "DRP-0001"})
logging.getLogger("django.db.backends").debug("SELECT 1")  # too chatty for production: dropped

seen = {}


def view(request):
    log.warning("inside a request")
    seen["request"] = request
    return HttpResponse("missing", status=404)


middleware = RequestIdMiddleware(view)
response = middleware(RequestFactory().get("/drps/", HTTP_X_REQUEST_ID="proxy-id-123"))
# Django's request logger reports 4xx/5xx after the middleware has returned.
log_response("Not Found: %s", "/drps/", response=response, request=seen["request"])
generated = RequestIdMiddleware(lambda request: HttpResponse())(
    RequestFactory().get("/", HTTP_X_REQUEST_ID="no spaces allowed <x>"))
log.info("generated id %s", generated["X-Request-ID"])

try:
    1 / 0
except ZeroDivisionError:
    log.exception("it went wrong")


@app.task(name="footprint.check.task")
def task():
    logging.getLogger("footprint.task").info("inside a task")


task.apply(task_id="task-42")
log.info("after the task")
'''


def run_with_production_logging() -> tuple[list[dict], str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "CELERY_", "PYTEST"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", DJANGO_SECRET_KEY="k" * 50,
               DATABASE_URL="sqlite:///:memory:")
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return [json.loads(line) for line in lines], result.stderr  # every line is JSON


def test_production_logs_are_json_lines_with_request_ids():
    records, stderr = run_with_production_logging()
    assert stderr.strip() == "", "production logs go to stdout, one JSON object per line"
    by_message = {record["message"]: record for record in records}

    plain = by_message["plain line"]
    assert {"timestamp", "level", "logger", "message", "request_id", "process"} <= plain.keys()
    assert plain["level"] == "INFO" and plain["logger"] == "footprint.check"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", plain["timestamp"])
    assert plain["request_id"] is None
    assert plain["case_reference"] == "DRP-0001", "extra fields become keys"
    assert "SELECT 1" not in by_message

    # The proxy's id is kept, and is on lines logged during and after the view.
    assert by_message["inside a request"]["request_id"] == "proxy-id-123"
    not_found = by_message["Not Found: /drps/"]
    assert not_found["request_id"] == "proxy-id-123"
    assert not_found["logger"] == "django.request" and not_found["status_code"] == 404
    assert "request" not in not_found, "the request object is not dumped into the log"

    # An unusable incoming id is replaced by a fresh one, returned in the response header.
    generated = next(r for r in records if r["message"].startswith("generated id "))
    assert re.fullmatch(r"generated id [0-9a-f]{32}", generated["message"])

    failure = by_message["it went wrong"]
    assert failure["level"] == "ERROR" and "ZeroDivisionError" in failure["exc_info"]

    # A Celery task's lines carry its id; the id is cleared when it finishes.
    assert by_message["inside a task"]["request_id"] == "task-42"
    assert by_message["after the task"]["request_id"] is None
    succeeded = next(r for r in records if r["logger"] == "celery.app.trace")
    assert succeeded["request_id"] == "task-42" and "succeeded" in succeeded["message"]
