"""``ETag`` and ``If-Match`` for the API (``workflows.concurrency`` says how the check is made).

Every editable resource's representation carries its ``etag`` (and ``updated_at``); this
middleware sends it as the ``ETag`` header of a single-record answer, and hands a write's
``If-Match`` to the services, which refuse with 412 a change to a record that has moved on.
"""

from __future__ import annotations

import json

from workflows.concurrency import expecting

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def quoted(tag: str) -> str:
    return f'"{tag}"'


class ConditionalRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        header = request.headers.get("If-Match") if request.method in UNSAFE else None
        with expecting(header):
            response = self.get_response(request)
        tag = etag_of(response)
        if tag:
            response["ETag"] = quoted(tag)
        return response


def etag_of(response) -> str | None:
    """The ``etag`` of a successful JSON answer about one record."""
    if not 200 <= response.status_code < 300 or response.streaming or response.has_header("ETag"):
        return None
    if not response.get("Content-Type", "").startswith("application/json"):
        return None
    data = getattr(response, "data", None)
    if data is None:
        try:
            data = json.loads(response.content)
        except ValueError:
            return None
    tag = data.get("etag") if isinstance(data, dict) else None
    return tag if isinstance(tag, str) else None
