"""The HTTP API's plumbing, shared by every app's ``api.py``: the error shape (RFC 9457
problem details, ``problems``), the exception handler and 404/500/503 handlers
(``handlers``), pagination, parsers, query-parameter checks, throttles, the OpenAPI schema
hooks (``schema``), and the serializer pieces every workflow's API reuses (``serializers``).

Apps own their endpoints (``<app>/api.py``, ``<app>/api_urls.py``); ``config/urls.py`` mounts
them under ``/api/v1/``. This package imports no case app, and ``workflows`` imports nothing
from it but the problem shape (the NUL-byte middleware answers API clients in it)."""
