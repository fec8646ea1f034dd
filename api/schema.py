"""The OpenAPI schema tells the truth about errors too: every operation documents the
problems it can answer with, all in one reusable component (``Problem``, media type
``application/problem+json``)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from .problems import MEDIA_TYPE


class FieldErrorSerializer(serializers.Serializer):
    """One thing wrong with one field or query parameter."""

    field = serializers.CharField(help_text=(
        "The field (``reason``, ``actions[1].due_on``), query parameter (``limit``) or header "
        "named; ``non_field_errors`` for the request as a whole, ``body`` when it could not be read."))
    detail = serializers.CharField(help_text="What is wrong, for a person.")
    code = serializers.CharField(help_text="Stable: ``required``, ``invalid``, ``unknown_parameter``, …")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details: every 4xx and 5xx the API answers."""

    type = serializers.CharField(help_text="``urn:footprint:problem:<code>``")
    title = serializers.CharField(help_text="The same for every problem of this type.")
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong this time, for a person.")
    code = serializers.CharField(help_text=(
        "Stable, for programs: ``invalid``, ``parse_error``, ``invalid_parameter``, "
        "``not_authenticated``, ``authentication_failed``, ``two_step_required``, "
        "``permission_denied``, ``not_found``, ``method_not_allowed``, ``not_acceptable``, "
        "``transition_refused``, ``conflict``, ``precondition_failed``, "
        "``unsupported_media_type``, ``unprocessable``, ``throttled``, ``locked_out``, "
        "``import_refused``, ``server_error``, ``service_unavailable``."))
    errors = FieldErrorSerializer(many=True, help_text="Each field that was wrong; empty otherwise.")


#: Why each problem status can be answered, as the schema says it.
PROBLEMS = {
    "400": "A field or query parameter is missing, unknown or not valid (each named in ``errors``), "
           "or the body is not valid JSON (``parse_error``).",
    "401": "No token, or the token is not valid or has expired.",
    "403": "Signed in, but your role does not allow this (or two-step verification is needed).",
    "404": "No such record, or not one you may see.",
    "405": "This address does not take that method.",
    "406": "The Accept header asks for a media type other than JSON.",
    "409": "The case's status (or a hold already placed) does not allow this now.",
    "415": "The body is not in a media type this operation accepts.",
    "429": "Too many requests: wait for Retry-After seconds (RateLimit headers say the budget).",
    "503": "The database cannot be reached: try again after Retry-After seconds.",
}


class AutoSchema(SpectacularAutoSchema):
    """Every operation documents the problems it can answer with: 400 where the request
    carries input (a body or query parameters), 401 and 403 where a token is needed, 404
    where the path names a record, 409 for moves on a case when the view says transitions may
    be refused (``transitions_may_be_refused = True``), 415 where a body is read, and 405, 406,
    429 and 503 everywhere. A view adds its own in ``extra_problems`` ({"412": "why"})."""

    PAGINATION_PARAMETERS = frozenset({"limit", "offset", "cursor"})

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        problems = self._problems()
        for code in responses:  # a problem the view declares itself: still in the problem shape
            if code >= "400" and code not in problems:
                problems[code] = responses[code].get("description") or "See detail."
        for code, description in sorted(problems.items()):
            declared = responses.get(code, {}).get("content", {})
            if MEDIA_TYPE in declared:
                continue
            declared_schema = next(iter(declared.values()), {}).get("schema") if declared else None
            response = self._get_response_for_code(
                OpenApiResponse(ProblemSerializer, description=description), code,
                media_types=[MEDIA_TYPE], direction=direction)
            if declared_schema and declared_schema.get("$ref", "").split("/")[-1] != "Problem":
                # The view names a richer problem (an import's rows): keep it, in the problem type.
                response["content"][MEDIA_TYPE]["schema"] = declared_schema
            responses[code] = {**response, "description": responses.get(code, {}).get("description") or description}
        return responses

    def get_auth(self):
        """An operation open to anyone (signing in) is declared as needing no credentials
        (no ``security``), so a generated client calls it without a token."""
        return super().get_auth() if self._needs_token() else []

    def _takes_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None

    def _needs_token(self) -> bool:
        return not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def _problems(self) -> dict:
        codes = []
        # Unknown query parameters are refused on every operation.
        codes.append("400")
        if self._needs_token():
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        codes += ["405", "406"]
        if "{" in self.path and self.method != "GET" and getattr(self.view, "transitions_may_be_refused", False):
            codes.append("409")
        if self._takes_body():
            codes.append("415")
        codes += ["429", "503"]
        problems = {code: PROBLEMS[code] for code in codes}
        problems.update(getattr(self.view, "extra_problems", {}))
        return dict(sorted(problems.items()))


def add_links(result, generator, request, public):
    """A spectacular post-processing hook: OpenAPI links from each create (201) to the
    operations on the record it made (``/x/{id}/...``, ``id`` from the answer's body), and from
    each move on a record to the operations on the same record (``id`` from the path), so a
    client or a stateful fuzzer (schemathesis) can follow raise → respond → escalate → resolve."""
    paths = result.get("paths", {})

    def on_record(collection):
        return [(target, method, operation) for target, operations in sorted(paths.items())
                if target.startswith(f"{collection}{{id}}/") and target.count("{") == 1
                for method, operation in sorted(operations.items())]

    def links(targets, source):
        return {operation["operationId"]: {
            "operationId": operation["operationId"], "parameters": {"id": source},
            "description": f"{method.upper()} {target} on the same record."}
            for target, method, operation in targets}

    for collection, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None or "{" in collection:
            continue
        targets = on_record(collection)
        if not targets:
            continue
        created["links"] = links(targets, "$response.body#/id")
        for target, method, operation in targets:
            answered = operation.get("responses", {}).get("200")
            if method == "post" and answered is not None:
                answered["links"] = links(targets, "$request.path.id")
    return result
