"""What every API view shares: a body in a media type it does not read is a 415, unknown or
malformed query parameters are refused by name, and every answer says the rate-limit budget."""

import math

import django_filters
from drf_spectacular.types import OpenApiTypes
from rest_framework.exceptions import Throttled, UnsupportedMediaType, ValidationError

from workflows.concurrency import well_formed_if_match

from . import throttling

#: Accepted by every view: DRF's ``?format=json`` override of the Accept header.
ALWAYS = frozenset({"format"})
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class ApiContract:
    """Mixed into every API view (a test walks the URLs to prove it). After authentication,
    permission and throttling (so a 401/403 is never hidden behind a 400 or 415):

    A body whose media type no parser of the view reads is a 415 (a form sent to a JSON
    endpoint), even when a middleware has already read it as a form (DRF would then see an
    empty body and answer 400 "required" for every field, which misleads). A query parameter
    the operation does not declare answers 400 naming it, instead of being ignored: a typo in a
    filter name (``?stauts=open``) must not return every case.

    Declared: ``limit``/``offset`` where the view pages a list, the filter set's names on a
    list, and the query parameters the operation's ``extend_schema`` names (the same source as
    the OpenAPI schema).

    A parameter sent empty (``?case_type=``) is a 400 naming it too, unless it is free text
    (a search, a cursor, a ``YYYY-MM`` month): an empty number, choice, date or yes/no is not
    one, and reading it as "not given" would answer a different question than was asked."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if int(request.META.get("CONTENT_LENGTH") or 0) > 0 and request.content_type and \
                request.negotiator.select_parser(request, request.parsers) is None:
            raise UnsupportedMediaType(request.content_type)
        unknown = sorted(set(request.query_params) - self.declared_query_parameters(request))
        if unknown:
            raise ValidationError({name: ["Not a parameter of this operation."] for name in unknown},
                                  code="unknown_parameter")
        if_match = request.headers.get("If-Match")
        if if_match is not None and request.method in UNSAFE and not well_formed_if_match(if_match):
            # Ignored, it would let through unchecked the very change it was sent to protect.
            raise ValidationError({"If-Match": ['Send the ETag you read, in quotes (for example '
                                                '"enquiry-12-3"), or leave the header out.']}, code="invalid")
        empty = sorted(name for name, values in request.query_params.lists()
                       if "" in values and not self._free_text(request, name))
        if empty:
            raise ValidationError({name: ["Give a value, or leave this parameter out."] for name in empty},
                                  code="empty_parameter")

    def get_throttles(self):
        self._throttles = super().get_throttles()  # kept to say what is left (RateLimit headers)
        return self._throttles

    def throttled(self, request, wait):
        """429 with ``Retry-After`` in whole seconds, at least 1 (DRF's could say 0)."""
        raise Throttled(math.ceil(wait) if wait else None)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in throttling.headers(getattr(self, "_throttles", ())).items():
            response[name] = value
        return response

    def declared_query_parameters(self, request) -> set[str]:
        names = set(ALWAYS)
        action = getattr(self, "action", None)
        listing = action == "list" or (action is None and request.method == "GET")
        paginator_class = getattr(self, "pagination_class", None)
        if listing and paginator_class is not None:
            # The paginator's own parameters: ?limit=&offset= pages, or ?cursor=&limit= (keyset).
            names |= {getattr(paginator_class, attr) for attr in
                      ("limit_query_param", "offset_query_param", "cursor_query_param")
                      if getattr(paginator_class, attr, None)}
        filterset = getattr(self, "filterset_class", None)
        if listing and filterset is not None:
            names |= set(filterset.base_filters)
        for parameter in self._schema_parameters(request):
            if getattr(parameter, "location", "query") == "query" and hasattr(parameter, "name"):
                names.add(parameter.name)
        return names

    def _free_text(self, request, name: str) -> bool:
        """Whether an empty value means something for this parameter: a text filter, a text
        parameter with no fixed values, or the paginator's cursor."""
        if name == getattr(getattr(self, "pagination_class", None), "cursor_query_param", None):
            return True
        filterset = getattr(self, "filterset_class", None)
        if filterset is not None and name in filterset.base_filters:
            return isinstance(filterset.base_filters[name], django_filters.CharFilter)
        return any(getattr(parameter, "name", None) == name and parameter.type in (str, OpenApiTypes.STR)
                   and not parameter.enum for parameter in self._schema_parameters(request))

    def _schema_parameters(self, request) -> list:
        """The parameters ``extend_schema`` declares for this operation, read through the same
        schema class that writes them into the OpenAPI document."""
        handler = getattr(self, request.method.lower(), None)
        schema_class = getattr(handler, "kwargs", {}).get("schema")
        schema = schema_class() if schema_class is not None else self.schema
        schema.view, schema.method = self, request.method.upper()
        return schema.get_override_parameters()
