"""One error shape for every 4xx and 5xx the API answers: RFC 9457 problem details
(``application/problem+json``).

    {"type": "urn:footprint:problem:invalid", "title": "Your request has errors",
     "status": 400, "detail": "reason: This field is required.", "code": "invalid",
     "errors": [{"field": "reason", "detail": "This field is required.", "code": "required"}]}

``code`` is stable (clients branch on it; ``type`` is the same code as a URN); ``detail``
is a sentence for a person; ``errors`` names each field (or query parameter) that was wrong,
and is empty when the problem is not about one field. Imports add ``created``/``updated``
and each error's ``row``. This module imports nothing but Django, so any layer may use it.
"""

from http import HTTPStatus

from django.http import JsonResponse

MEDIA_TYPE = "application/problem+json"

#: A title for each stable code: the same for every occurrence of the problem (RFC 9457 §3.1.3).
TITLES = {
    "invalid": "Your request has errors",
    "parse_error": "The request body could not be read",
    "invalid_parameter": "A query parameter is not allowed or not valid",
    "not_authenticated": "Sign in first",
    "authentication_failed": "The token is not valid",
    "two_step_required": "Two-step verification is needed",
    "permission_denied": "You cannot do this",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "not_acceptable": "The response cannot be given in the media type asked for",
    "transition_refused": "The case's status does not allow this",
    "conflict": "This conflicts with the record as it is now",
    "precondition_failed": "The record has changed since you read it",
    "unsupported_media_type": "Send the body in a media type this operation accepts",
    "unprocessable": "The request cannot be processed",
    "throttled": "Too many requests",
    "locked_out": "Too many failed sign-in attempts",
    "import_refused": "The file was not imported",
    "server_error": "Sorry, there is a problem with the service",
    "service_unavailable": "Sorry, the service is unavailable",
}


def type_for(code: str) -> str:
    """The problem's ``type``: a URN naming the code (RFC 9457 allows a non-resolvable URI)."""
    return f"urn:footprint:problem:{code}"


def problem(status: int, code: str, detail: str, *, errors=None, **extensions) -> dict:
    """The problem details body for ``status`` and stable ``code``."""
    return {
        "type": type_for(code),
        "title": TITLES.get(code) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": list(errors or []),
        **extensions,
    }


def field_error(field: str, detail: str, code: str = "invalid") -> dict:
    return {"field": field, "detail": str(detail), "code": code}


def summary(errors) -> str:
    """A one-line ``detail`` from field errors: "reason: This field is required." """
    return "; ".join(f"{e['field']}: {e['detail']}" for e in errors) or "Your request has errors."


def problem_response(status: int, code: str, detail: str, *, errors=None, headers=None,
                     **extensions) -> JsonResponse:
    """A plain Django response in the problem shape (for middleware and URL handlers, which
    run outside DRF)."""
    response = JsonResponse(problem(status, code, detail, errors=errors, **extensions),
                            status=status, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def invalid_fields(errors: dict[str, str], code: str = "invalid") -> JsonResponse:
    """400 naming each field: {field: message}."""
    listed = [field_error(name, message, code) for name, message in errors.items()]
    return problem_response(400, "invalid", summary(listed), errors=listed)
