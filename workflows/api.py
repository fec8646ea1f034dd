"""API conventions shared by every workflow: refusals are 409, bad input names the field."""

import sys
from datetime import datetime

from csp.utils import build_policy
from django import db
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .clocks import now as clock_now
from .date_rules import ANY_DATE, EARLIEST_YEAR, LATEST_YEAR, PAST_DATE, DateRule
from .exceptions import TransitionRefused


def checked_date(value, label: str, *, future: bool = False, rule: DateRule | None = None):
    """Serializer validation for a date or date-time a client sent: a plausible year (not 0253,
    which no case has), not in the future unless ``future``, and within the field's ``rule``
    (``workflows.date_rules``, the same rule the page's date input keeps)."""
    if value is None:
        return value
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise serializers.ValidationError(f"{label} must be a real date.")
    if isinstance(value, datetime):
        if not future and value > clock_now():
            raise serializers.ValidationError(f"{label} must be today or in the past.")
        value_day = value.date()
    else:
        value_day = value
    rule = rule or (ANY_DATE if future else PAST_DATE)
    message = rule.problem(value_day, label)
    if message:
        raise serializers.ValidationError(f"{message}.")
    return value


def page_not_found(request, exception):
    """``handler404``: an address under /api/ that matches no endpoint (``/drps/abc/``, an
    action id that is not a number) answers in JSON like every other API error; pages keep
    the GOV.UK 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


#: How long a client is asked to wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "Sorry, the service is unavailable. Try again later."


def server_error(request):
    """``handler500``: an API client gets JSON even when something has gone wrong; pages keep
    the GOV.UK error page.

    While the database cannot be reached (connection refused, dropped or closed, wherever in
    the request that happened), the answer is 503 with ``Retry-After`` instead: the service is
    unavailable and the same request will work once it is back. (A change whose transaction
    committed before the connection was lost is saved; that is the one way a 503 can follow a
    saved change, so the page says to check.) Django calls this handler inside its ``except``
    block, so the exception is ``sys.exc_info()``'s."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Sorry, there is a problem with the service."}, status=500)
    return defaults.server_error(request)


#: What psycopg and sqlite3 raise, through Django, when the database is down or the connection
#: was lost: refused, terminated, closed, locked for too long.
DATABASE_UNAVAILABLE = (db.OperationalError, db.InterfaceError)


def service_unavailable(request):
    """503 with ``Retry-After``: JSON under /api/, else the GOV.UK "Sorry, the service is
    unavailable" page, rendered without the database (no request context). The database may
    have failed in a middleware before the ones that add the security headers, so this sets
    them itself."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": UNAVAILABLE}, status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Content-Security-Policy"] = build_policy()
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "no-store"
    return response


def exception_handler(exc, context):
    if isinstance(exc, TransitionRefused):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field: [str(m) for m in errors] for field, errors in exc.message_dict.items()}
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class TimelineEventSerializer(serializers.ModelSerializer):
    """A timeline entry as every workflow's API shows it; subclasses name their event model."""

    # No actor: the system did it (a reminder sweep, an import).
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        fields = ["at", "actor", "action", "from_stage", "to_stage", "note"]


class ErrorSerializer(serializers.Serializer):
    """A refusal (401, 403, 404, 409): one sentence saying why."""

    detail = serializers.CharField()


#: 400: each field named with its messages (``non_field_errors`` for the request as a whole; a
#: list field's messages keyed by item); ``detail`` alone when the body could not be read.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Messages by field name.",
    "additionalProperties": {"anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object"},
        {"type": "string"},
    ]},
}


class AutoSchema(SpectacularAutoSchema):
    """The OpenAPI schema tells the truth about errors too: every operation documents the
    refusals it can answer with, in the shapes ``exception_handler`` gives them.

    400 where the request carries input (a body or query parameters), 401 and 403 where a
    token is needed, 429 where anyone may call (signing in, locked after repeated failures)
    or the view is rate-limited (``throttle_scope``), 404 where the path names a record, 409
    for moves on a case when the view says transitions may be refused
    (``transitions_may_be_refused = True``), and 503 everywhere (the database unreachable;
    ``server_error``).
    """

    PAGINATION_PARAMETERS = frozenset({"limit", "offset"})

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, body in self._error_bodies().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(body, code, direction=direction)
        return responses

    def _takes_input(self) -> bool:
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            return True
        names = {p.name if hasattr(p, "name") else p.get("name") for p in self.get_override_parameters()}
        names |= {p["name"] for p in self._get_filter_parameters()}
        return bool(names - self.PAGINATION_PARAMETERS)

    def _needs_token(self) -> bool:
        return not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def _error_bodies(self) -> dict:
        errors = {}
        if self._takes_input():
            errors["400"] = VALIDATION_ERROR_SCHEMA
        if self._needs_token():
            errors["401"] = errors["403"] = ErrorSerializer
        # Open only to sign in (django-axes locks out repeated failures), or rate-limited
        # (a ``throttle_scope``: the DO API).
        if not self._needs_token() or getattr(self.view, "throttle_scope", None):
            errors["429"] = ErrorSerializer
        if "{" in self.path:
            errors["404"] = ErrorSerializer
            if self.method != "GET" and getattr(self.view, "transitions_may_be_refused", False):
                errors["409"] = ErrorSerializer
        errors["503"] = ErrorSerializer  # the database unreachable: try again after Retry-After
        return errors
