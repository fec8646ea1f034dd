"""The API's integration middleware in one entry: ``Idempotency-Key`` replays around ``ETag`` and
``If-Match`` (a replayed answer keeps the ETag it had)."""

from .conditional import ConditionalRequestMiddleware
from .idempotency import IdempotencyKeyMiddleware


class IntegrationMiddleware:
    def __init__(self, get_response):
        self.handler = IdempotencyKeyMiddleware(ConditionalRequestMiddleware(get_response))

    def __call__(self, request):
        return self.handler(request)
