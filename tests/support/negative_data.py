"""Schemathesis' negative-data check as the API fuzz applies it (tests/guarantees/test_api_fuzz.py):
a request the schema says is invalid must be refused, counting only what is invalid as sent."""

from __future__ import annotations

import re
from collections import Counter

import jsonschema
from schemathesis.specs.openapi.checks import negative_data_rejection

_WHOLE = re.compile(r"-?\d+")


def _read_as_sent(text: str, schema: dict):
    """A parameter's text read as its schema's type; ValueError when it is not one."""
    kind = schema.get("type")
    if kind == "integer" and _WHOLE.fullmatch(text):
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    if kind in (None, "string"):
        return text
    raise ValueError(text)


def _parameter_valid_as_sent(value, definition: dict) -> bool:
    schema = definition.get("schema", {})
    try:
        if schema.get("type") == "array":
            items = value if isinstance(value, list) else [value]
            sent = [_read_as_sent(str(item), schema.get("items", {})) for item in items]
        elif isinstance(value, list) or value is None or isinstance(value, bool):
            return False  # a list, a null or a Python bool is never what the schema's scalar text is
        else:
            sent = _read_as_sent(str(value), schema)
        jsonschema.validate(sent, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


def negative_as_sent(case) -> bool:
    """Whether the request really sent is invalid. Schemathesis makes a parameter "negative" by
    its JSON type (the number 4563 where a string is expected, the string "12" where a number
    is), but a query string, path or header carries only text: such a value arrives valid, and
    a 200 for it is right. Only a part actually invalid as text makes the request negative."""
    meta = case.meta
    if meta is None or (meta.body is not None and meta.body.is_negative):
        return True
    parts = (("query", case.query, case.operation.query), ("path_parameters", case.path_parameters,
             case.operation.path_parameters), ("headers", case.headers, case.operation.headers),
             ("cookies", case.cookies, case.operation.cookies))
    for flag, values, parameters in parts:
        method = getattr(meta, flag)
        if not (method and method.is_negative):
            continue
        values = values or {}
        for parameter in parameters:
            if parameter.name not in values:
                if parameter.is_required:
                    return True
                continue
            if not _parameter_valid_as_sent(values[parameter.name], parameter.definition):
                return True
    return False


#: Negative requests: how many were checked as refusals, how many arrived valid as text.
NEGATIVE: Counter[str] = Counter()


def invalid_input_is_refused(ctx, response, case):
    """Schemathesis' negative-data check: a request the schema says is invalid must be refused.

    Its default refusals (400, 401, 403, 404, 406, 422, 428) plus the ones the house rule answers
    *before* looking at the input, when this operation documents them: 409 (the record's state
    does not allow the move: state before input) and 412 (If-Match on a changed record). A
    refusal the operation does not document is still a failure, and so is any 2xx or 5xx.
    """
    if not negative_as_sent(case):
        NEGATIVE["arrived valid as text"] += 1
        return None
    NEGATIVE["checked"] += 1
    documented = set(case.operation.definition.raw.get("responses", {}))
    ctx.config.negative_data_rejection.allowed_statuses = [
        "400", "401", "403", "404", "406", "422", "428",
        *sorted(code for code in ("409", "412") if code in documented)]
    return negative_data_rejection(ctx, response, case)
