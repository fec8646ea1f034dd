"""The OpenAPI schema documents safe retries and concurrency on every operation they apply to
(a drf-spectacular post-processing hook, so no view has to remember):

* every POST and PATCH takes an optional ``Idempotency-Key`` header, and may answer 409 (the
  same key still in progress) and 422 (the same key with another request);
* every write on one record (a path naming it) takes an optional ``If-Match`` header and may
  answer 412;
* every answer about one editable record carries an ``ETag`` header.
"""

from __future__ import annotations

from workflows.concurrency import IF_MATCH_PATTERN

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Any unique string (a UUID): the same request sent again with it within 24 hours "
                   "answers the first response again (Idempotent-Replayed: true) instead of repeating it.",
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
}
IF_MATCH = {
    "name": "If-Match", "in": "header", "required": False,
    "description": "The ETag you read: 412 when the record has changed since. Optional.",
    "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
}
ETAG_HEADER = {"ETag": {"description": "The record's version: send it in If-Match with a change.",
                        "schema": {"type": "string"}}}
def _problem(description: str) -> dict:
    """A refusal in the API's one problem shape (``api.problems``: the ``Problem`` component)."""
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _names_record(path: str) -> bool:
    return "{" in path




def document(result, generator, request, public):
    components = result.get("components", {}).get("schemas", {})
    with_etag = {name for name, schema in components.items() if "etag" in schema.get("properties", {})}
    for path, operations in result.get("paths", {}).items():
        if path.startswith(("/api/auth/", "/api/v1/auth/")):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            parameters = operation.setdefault("parameters", [])
            responses = operation.setdefault("responses", {})
            if method in ("post", "patch"):
                parameters.append(IDEMPOTENCY_KEY)
                responses.setdefault("409", _problem("Refused: the record's state does not allow it, "
                                                     "or a request with this Idempotency-Key is in progress."))
                responses.setdefault("422", _problem("This Idempotency-Key was used for another request."))
            if method != "get" and _names_record(path):
                parameters.append(IF_MATCH)
            if method in ("post", "patch") or (method != "get" and _names_record(path)):
                responses.setdefault("400", _problem("A header that cannot be used, named in errors."))
                responses.setdefault("412", _problem("The record changed since the ETag in If-Match was read."))
            for code, response in responses.items():
                if not code.startswith("2"):
                    continue
                for media in response.get("content", {}).values():
                    ref = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
                    if ref in with_etag:
                        response.setdefault("headers", {}).update(ETAG_HEADER)
    return result
