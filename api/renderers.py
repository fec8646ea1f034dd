"""The API's JSON renderer (``DEFAULT_RENDERER_CLASSES``): DRF's, which also writes out rows
the database has already written as JSON text (:class:`JSONRows`) as they are.

A page of 50 list rows read as Python values, then encoded, was a third of the list request's
Python; PostgreSQL can write each row's JSON itself (``drp.list_rows``), and the renderer only
joins them. The bytes are the ones DRF's renderer writes for the same values: compact
separators, non-ASCII as is, U+2028/U+2029 escaped; asked for an ``indent``, the rows are
read back and DRF's renderer writes them."""

from __future__ import annotations

import json
from collections import UserList

from django.utils.functional import cached_property
from rest_framework import renderers


class JSONRows(UserList):
    """A list of rows, each kept as the compact JSON text of an object (``{"id":1,...}``),
    written out unchanged by :class:`JSONRenderer`; read as Python values only if someone asks
    (a test's ``response.data``)."""

    def __init__(self, texts: list[str]):  # (UserList's own would copy the items into ``data``)
        self.texts = texts

    @cached_property
    def data(self) -> list:
        return [json.loads(text) for text in self.texts]

    def json(self) -> str:
        return "[" + ",".join(self.texts) + "]"


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer; a top-level value that is :class:`JSONRows` is written as its text."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, dict) or not any(isinstance(value, JSONRows) for value in data.values()) \
                or not all(isinstance(key, str) for key in data):
            return super().render(data, accepted_media_type, renderer_context)
        if not self.compact or self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            plain = {key: value.data if isinstance(value, JSONRows) else value for key, value in data.items()}
            return super().render(plain, accepted_media_type, renderer_context)
        parts = []
        for key, value in data.items():
            text = value.json() if isinstance(value, JSONRows) else self._dumps(value)
            parts.append(f"{self._dumps(key)}:{text}")
        ret = "{" + ",".join(parts) + "}"
        return ret.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()

    def _dumps(self, value) -> str:
        return json.dumps(value, cls=self.encoder_class, ensure_ascii=self.ensure_ascii,
                          allow_nan=not self.strict, separators=renderers.SHORT_SEPARATORS)
