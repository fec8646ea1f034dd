"""Every error the API answers, in the problem shape (``problems``): DRF's exception handler
(``REST_FRAMEWORK["EXCEPTION_HANDLER"]``) and Django's ``handler404``/``handler500`` for what
never reaches a DRF view. Pages keep the GOV.UK error pages."""

import sys

from csp.utils import build_policy
from django import db
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.template import loader
from django.views import defaults
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from workflows.exceptions import TransitionRefused

from . import problems


def is_api(request) -> bool:
    return request.path.startswith("/api/")


class Conflict(exceptions.APIException):
    """409: the record as it is now does not allow this (a move its status refuses, a hold
    already placed). ``code`` says which."""

    status_code = 409
    default_detail = "This conflicts with the record as it is now."
    default_code = "conflict"


def field_errors(detail, path: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list naming each field: ``reason``,
    ``actions[1].due_on``, ``non_field_errors`` for the request as a whole."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            # A list field's item errors come keyed by index: ``criteria[0]``.
            name = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)
            found += field_errors(value, name)
        return found
    if isinstance(detail, list):
        found = []
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                found += field_errors(item, f"{path}[{index}]")
            else:
                found += field_errors(item, path)
        return found
    code = getattr(detail, "code", None) or "invalid"
    return [problems.field_error(path or api_settings.NON_FIELD_ERRORS_KEY, detail, code)]


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def exception_handler(exc, context):
    """DRF's handler, then the body as problem details: refusals by state (409), permission
    (403) and input (400 naming each field) alike, with a stable ``code``."""
    if isinstance(exc, TransitionRefused):
        exc = Conflict(exc.message, code="transition_refused")
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field: [str(m) for m in errors] for field, errors in exc.message_dict.items()}
        else:
            detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        body = problems.problem(response.status_code, "invalid", problems.summary(errors), errors=errors)
    elif isinstance(exc, exceptions.ParseError):
        body = problems.problem(400, "parse_error", str(exc.detail),
                                errors=[problems.field_error("body", exc.detail, "parse_error")])
    else:
        body = problems.problem(response.status_code, _code(exc), str(exc.detail))
    response.data = body
    response.content_type = problems.MEDIA_TYPE
    return response


def page_not_found(request, exception):
    """``handler404``: an address under /api/ that matches no endpoint (``/drps/abc/``, an
    action id that is not a number) answers in the problem shape like every other API error;
    pages keep the GOV.UK 404 page."""
    if is_api(request):
        return problems.problem_response(404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


#: How long a client is asked to wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "Sorry, the service is unavailable. Try again later."

#: What psycopg and sqlite3 raise, through Django, when the database is down or the connection
#: was lost: refused, terminated, closed, locked for too long.
DATABASE_UNAVAILABLE = (db.OperationalError, db.InterfaceError)


def server_error(request):
    """``handler500``: an API client gets problem details even when something has gone wrong;
    pages keep the GOV.UK error page.

    While the database cannot be reached (connection refused, dropped or closed, wherever in
    the request that happened), the answer is 503 with ``Retry-After`` instead: the service is
    unavailable and the same request will work once it is back. (A change whose transaction
    committed before the connection was lost is saved; that is the one way a 503 can follow a
    saved change, so the page says to check.) Django calls this handler inside its ``except``
    block, so the exception is ``sys.exc_info()``'s."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    if is_api(request):
        return problems.problem_response(500, "server_error",
                                         "Sorry, there is a problem with the service.")
    return defaults.server_error(request)


def service_unavailable(request):
    """503 with ``Retry-After``: problem details under /api/, else the GOV.UK "Sorry, the
    service is unavailable" page, rendered without the database (no request context). The
    database may have failed in a middleware before the ones that add the security headers,
    so this sets them itself."""
    if is_api(request):
        response = problems.problem_response(503, "service_unavailable", UNAVAILABLE)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Content-Security-Policy"] = build_policy()
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "no-store"
    return response
