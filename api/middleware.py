"""Input no page or endpoint can store: refused once, here, before any view reads it."""

from __future__ import annotations

import json

from django.shortcuts import render

from api.problems import invalid_fields

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_in_json(value, path: str = "") -> str | None:
    """The path of the first key or string holding a NUL ("children[0]", "reason"), else None."""
    if isinstance(value, str):
        return path or "body" if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return name
            found = _nul_in_json(item, name)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_in_json(item, f"{path}[{index}]")
            if found:
                return found
    return None


def _nul_in_query(query) -> str | None:
    for key, values in query.lists():
        if NUL in key or any(NUL in value for value in values):
            return key.replace(NUL, "") or "query"
    return None


def nul_parameter(request) -> str | None:
    """The name of the first part of the request holding a NUL byte: the address, a query
    parameter, a form field, a JSON field or a header. None when there is none."""
    if NUL in request.path_info:
        return "address"
    found = _nul_in_query(request.GET)
    if found:
        return found
    content_type = request.content_type or ""
    if request.method not in ("GET", "HEAD", "OPTIONS") and content_type in FORM_TYPES:
        found = _nul_in_query(request.POST)
    elif content_type == "application/json" and request.body:
        try:
            found = _nul_in_json(json.loads(request.body))
        except ValueError:
            found = None  # not JSON: the view's parser answers 400 for that
    if found:
        return found
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and NUL in value:
            return key[5:].replace("_", "-").title()
    return None


class RefuseNulBytesMiddleware:
    """Answer 400 to a request with a NUL byte (``%00``, ``\\u0000``) in its address, query
    string, form fields, JSON body or headers, naming where it was.

    PostgreSQL cannot store NUL in text and refuses any query that compares with it, so a NUL
    that reaches a search box, a filter or a field became a server error (500). A NUL has no
    place in any Footprint input, so one check covers every page and endpoint, present and
    future. It runs after the sign-in check (a signed-out person is still sent to sign in) and
    before any view; uploaded files' contents are the import's to check, row by row.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        name = nul_parameter(request)
        if name is None:
            return None
        message = (f"{name} contains a character that is not allowed (a NUL byte, %00). "
                   "Remove it and try again.")
        if request.path.startswith("/api/"):
            return invalid_fields({name: message}, code="nul_byte")
        return render(request, "refused_input.html", {"message": message}, status=400)
