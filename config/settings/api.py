"""The API: tokens, rate limits, CORS, DRF and the OpenAPI schema (docs/api.md). Read by
``base``."""

import os
from datetime import timedelta

# API tokens (django-rest-knox, people.models.ApiToken): only a hash of each key is stored;
# a token is issued by POST /api/v1/auth/token/ to its owner alone (with the two-step code when
# the person has an authenticator), expires after FOOTPRINT_API_TOKEN_HOURS, and is revoked
# when the person's password, roles or authenticator change (people/tokens.py).
FOOTPRINT_API_TOKEN_HOURS = int(os.environ.get("FOOTPRINT_API_TOKEN_HOURS", "12"))
KNOX_TOKEN_MODEL = "people.ApiToken"
# knox's own migrations would create its unused knox_authtoken table (they make it even when
# the model is swapped), whose foreign key to people_user then stops PostgreSQL truncating
# the users table (TransactionTestCase, manage.py flush). Its model is swapped for ours, so
# it needs no table and no migrations.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(hours=FOOTPRINT_API_TOKEN_HOURS),
    "AUTO_REFRESH": False,  # a token lasts its hours from issue, however much it is used
    "AUTH_HEADER_PREFIX": "Token",  # clients send "Authorization: Token <key>", as before
}

# How fast one person may call the Designated Officer API (DRF's rate syntax: "60/minute",
# "1000/hour"); over it the API answers 429 with Retry-After.
FOOTPRINT_DO_API_RATE = os.environ.get("FOOTPRINT_DO_API_RATE", "120/minute")
# Every API operation, per signed-in person; and what is open without signing in (the token
# endpoint), per address. RateLimit headers on every answer; 429 with Retry-After over it.
FOOTPRINT_API_RATE = os.environ.get("FOOTPRINT_API_RATE", "1200/minute")
FOOTPRINT_API_ANON_RATE = os.environ.get("FOOTPRINT_API_ANON_RATE", "60/minute")

# CORS: which other web origins' pages may call the API from a browser. None by default (an
# integration calling from a server needs no CORS); list exact origins, comma-separated
# ("https://lcs.example.gov.uk,https://bi.example.gov.uk"). Only /api/; tokens, never cookies.
CORS_ALLOWED_ORIGINS = [origin.strip() for origin in
                        os.environ.get("FOOTPRINT_CORS_ALLOWED_ORIGINS", "").split(",") if origin.strip()]
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
# Webhook receivers inside the authority's own network (host names or addresses, comma-separated):
# every other subscription URL must resolve to a public address (integrations.addresses).
FOOTPRINT_WEBHOOK_ALLOWED_HOSTS = [host.strip().lower() for host in
                                   os.environ.get("FOOTPRINT_WEBHOOK_ALLOWED_HOSTS", "").split(",") if host.strip()]
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "idempotency-key", "if-match", "if-none-match"]
CORS_EXPOSE_HEADERS = ["ratelimit", "ratelimit-policy", "retry-after", "etag", "location", "deprecation", "link"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "people.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per person (or per address, signed out) on every operation, and a view's own scope
    # (``throttle_scope``: the DO API) on top. api/throttling.py.
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonRateThrottle", "api.throttling.UserRateThrottle",
                                 "api.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"designated-officer": FOOTPRINT_DO_API_RATE, "user": FOOTPRINT_API_RATE,
                               "anon": FOOTPRINT_API_ANON_RATE},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in, JSON out: a body in any other media type is a 415 (the import, which takes a
    # file, names multipart itself); Accept asking for anything else is a 406.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JSONRenderer"],  # DRF's; writes rows kept as JSON text as they are
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FilterBackend"],  # no filter form when no filter is asked for
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",  # documents the error responses too
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",  # LimitOffset, limit capped at 500
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.handlers.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Footprint API",
    "DESCRIPTION": (
        "Dispute Resolution Procedure and Designated Officer casework.\n\n"
        "Sign in with POST /api/v1/auth/token/ (username, password, and otp_token: the code from "
        "your authenticator app when two-step verification is on, always for Designated "
        "Officer roles and administrators), then send Authorization: Token <key>. A token "
        "expires at the time the response gives, and ends when your password, roles or "
        "authenticator change; POST /api/v1/auth/token/revoke/ ends it sooner.\n\n"
        "Bodies are JSON (the import upload alone is multipart). Every error is an RFC 9457 "
        "problem (application/problem+json, the Problem component) with a stable `code` and "
        "`errors` naming each field or query parameter; unknown or malformed query parameters "
        "are a 400. Moments are UTC with Z; dates are YYYY-MM-DD. Every answer carries "
        "RateLimit and RateLimit-Policy headers; over a budget, 429 with Retry-After. The "
        "unversioned /api/ paths of the first release redirect here (308) for one release. "
        "docs/api.md has the whole contract and worked examples."),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # The API docs page is served from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseTypeEnum": "children.models.CaseType",
        "DrpStatusEnum": "drp.models.DisputeResolution.Status",
        "EnquiryStatusEnum": "lado.models.Enquiry.Status",
        "MeetingKindEnum": "lado.models.Meeting.Kind",
        "ActionKindEnum": "lado.models.Action.Kind",
        "ActionAtClosureEnum": "lado.models.Action.AtClosure",
    },
    # Links from each create to the operations on what it made (api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.add_links",
                            "integrations.schema.document"],
}
