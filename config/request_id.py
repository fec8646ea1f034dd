"""One id per web request (or Celery task) on every log line, so one person's click can be
followed through the access log, Django's log and the worker that sent its emails.

The proxy or load balancer's ``X-Request-ID`` is kept when it sends a sane one (so its logs
and ours join up); otherwise a new id is made. Either way it goes back in the response's
``X-Request-ID`` header, which gunicorn's access log (config/gunicorn.conf.py) records.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from celery.signals import task_postrun, task_prerun
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

_current = contextvars.ContextVar("footprint_request_id", default=None)
_SANE = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")

# The keys of every JSON log line (besides "timestamp", and any `extra` the caller passes).
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s %(process)d"
JSON_RENAMES = {"levelname": "level", "name": "logger"}


def current_request_id() -> str | None:
    return _current.get()


class RequestIdMiddleware:
    """Give the request an id (``request.request_id``) for the log lines it causes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _SANE.match(incoming) else uuid.uuid4().hex
        token = _current.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class RequestIdFilter(logging.Filter):
    """Put ``request_id`` on the record: the current request's or task's, else null."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            # django.request logs 4xx/5xx after the middleware has returned, with the request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or _current.get()
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: timestamp (UTC ISO 8601), level, logger, message, request_id,
    process, plus any ``extra`` fields; the request object Django attaches is left out."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", JSON_FIELDS)
        kwargs.setdefault("rename_fields", JSON_RENAMES)
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)


_task_tokens: dict[str, contextvars.Token] = {}


@task_prerun.connect(weak=False)
def _task_started(task_id=None, **kwargs):
    """While a task runs, its id is the request id its log lines carry (in a worker, or
    in-process without a broker, after which the web request's id comes back)."""
    _task_tokens[task_id] = _current.set(task_id)


@task_postrun.connect(weak=False)
def _task_finished(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)
