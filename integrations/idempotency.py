"""``Idempotency-Key``: a POST or PATCH sent again answers as the first one did.

An integrator's call can time out after Footprint has made the change; sending it again must not
escalate the DRP a second time. With an ``Idempotency-Key`` header (any string up to 255
printable characters, a UUID is usual), the first answer is kept for 24 hours
(``IDEMPOTENCY_KEY_HOURS``) per principal (the person or system account the token belongs to):

* the same key with the same request (method, address, body) answers the first response again,
  with ``Idempotent-Replayed: true``;
* the same key with a different request answers 422;
* while the first is still running, the same key answers 409 (the unique key in the database
  decides which of two concurrent sends runs);
* a 5xx, 401 or 429 is not kept: the retry runs afresh.

A Designated Officer answer (``/api/v1/lado/``) is never kept in clear beside the DO gate: a
move's or an edit's answer is kept as the address of the DO case it showed (``replay_from``),
and a retry answers that case's detail as it is now, read through the DO gate again (a person
who has lost DO access gets 403, a destroyed case 404) and logged as a read like any other. A
refused DO request is not kept at all (a refusal changed nothing: the retry runs afresh), and
the keys that name a DO case go when it is destroyed (``forget_destroyed_enquiry``). Only the
destruction-log entry a destruction answers (no personal data, kept forever anyway) is kept.

Sign-in (``/api/v1/auth/``) is never kept (its answer is a secret), nor is anything sent without a
valid token or session (the view answers that 401 itself).
"""

from __future__ import annotations

import copy
import hashlib
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse, QueryDict
from django.urls import Resolver404, resolve
from rest_framework import exceptions
from rest_framework.request import Request

from api.problems import invalid_fields, problem_response
from workflows.clocks import now as clock_now

from .conditional import etag_of, quoted
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
METHODS = ("POST", "PATCH")
KEY_HOURS = 24
#: A first request still "in progress" after this long died with its process: a retry takes over.
LEASE = timedelta(minutes=2)
#: The headers of the first response given again with it.
KEPT_HEADERS = ("Content-Type", "ETag", "Location", "Content-Language")
NOT_KEPT = {401, 429}


def applies_to(request) -> bool:
    """A POST or PATCH to an API operation that exists: a path no route answers (a fuzzed id
    holding a NUL byte, say) has nothing to replay and is not stored, nor is an old address's
    308 (the key would then meet the same request at its new address as a different one)."""
    return (request.method in METHODS and request.path.startswith("/api/")
            and not request.path.startswith(("/api/auth/", "/api/v1/auth/")) and HEADER.lower() in
            {name.lower() for name in request.headers} and _routed(request.path_info))


def _routed(path: str) -> bool:
    if "\x00" in path:
        return False
    try:
        match = resolve(path)
    except Resolver404:
        return False
    # An old address answers 308 to its /api/v1/ twin: the client sends the key again there.
    return match.url_name != "old-api-address"


def principal(request):
    """Who is calling: the session's person, or the token's. None when neither checks out."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    from people.tokens import TokenAuthentication

    try:
        found = TokenAuthentication().authenticate(Request(request))
    except exceptions.APIException:
        return None
    return found[0] if found else None


def fingerprint(request) -> str:
    """What makes two requests "the same": method, address, query and body. A multipart upload
    (an import file) counts by its length and type rather than being read into memory here."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.META.get("QUERY_STRING", "")):
        digest.update(part.encode() + b"\0")
    if (request.content_type or "").startswith("multipart/"):
        digest.update(f"{request.META.get('CONTENT_LENGTH', '')}".encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def valid_key(key: str) -> bool:
    return 0 < len(key) <= 255 and key.isprintable() and key.isascii()


NEW, REPLAY, MISMATCH, IN_PROGRESS = "new", "replay", "mismatch", "in-progress"


def claim(user, key: str, print_: str, request) -> tuple[str, IdempotencyKey | None]:
    """Take the key for this request (committed at once, so a concurrent send sees it), or find
    what the first request with it did."""
    now = clock_now()
    fields = {"fingerprint": print_, "method": request.method, "path": request.path[:500],
              "created_at": now, "locked_until": now + LEASE, "status_code": None,
              "content": b"", "headers": {}}
    try:
        with transaction.atomic():
            return NEW, IdempotencyKey.objects.create(user=user, key=key, **fields)
    except IntegrityError:
        pass
    with transaction.atomic():
        row = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
        if row is None:  # purged between the two statements
            return IN_PROGRESS, None
        expired = row.created_at < now - timedelta(hours=KEY_HOURS)
        abandoned = row.status_code is None and row.locked_until is not None and row.locked_until < now
        if expired or (abandoned and row.fingerprint == print_):
            for name, value in fields.items():
                setattr(row, name, value)
            row.save()
            return NEW, row
        if row.fingerprint != print_:
            return MISMATCH, row
        if row.status_code is None:
            return IN_PROGRESS, row
        return REPLAY, row


DO_PATH = "/api/v1/lado/"
_DO_CASE = re.compile(r"^enquiry-(\d+)-\d+$")


def do_case_address(pk: int) -> str:
    return f"{DO_PATH}enquiries/{pk}/"


def replay(row: IdempotencyKey, request) -> HttpResponse:
    if row.replay_from:
        return replay_current(row, request)
    response = HttpResponse(bytes(row.content), status=row.status_code)
    for name, value in row.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def replay_current(row: IdempotencyKey, request) -> HttpResponse:
    """A DO answer given again: the case's detail as it is now, read by the caller through the
    API's own detail view (its DO gate and read log), with the first answer's status."""
    reading = copy.copy(request)
    reading.method, reading.path = "GET", row.replay_from
    reading.path_info = row.replay_from
    reading.META = {**request.META, "REQUEST_METHOD": "GET", "PATH_INFO": row.replay_from, "QUERY_STRING": "",
                    "CONTENT_LENGTH": "0"}
    reading.GET = QueryDict()
    match = resolve(row.replay_from)
    response = match.func(reading, *match.args, **match.kwargs)
    if hasattr(response, "render"):
        response.render()
    if 200 <= response.status_code < 300:
        tag = etag_of(response)
        response.status_code = row.status_code
        if tag:
            response["ETag"] = quoted(tag)
    response["Idempotent-Replayed"] = "true"
    return response


def _do_case_shown(response) -> int | None:
    """The DO case a DO answer shows (every DO move and edit answers the case's detail)."""
    data = getattr(response, "data", None)
    found = _DO_CASE.match(str(data.get("etag", ""))) if isinstance(data, dict) else None
    return int(found.group(1)) if found else None


def keep(row: IdempotencyKey, response, request=None) -> None:
    """Remember the answer, or let the key go when the answer is one a retry should not get."""
    if response.status_code >= 500 or response.status_code in NOT_KEPT or response.streaming:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return
    row.status_code = response.status_code
    row.content = response.content
    row.headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    if request is not None and request.path.startswith(DO_PATH):
        case = _do_case_shown(response)
        destruction = 200 <= response.status_code < 300 and request.path.endswith("/destroy/")
        if case is None and not destruction:
            IdempotencyKey.objects.filter(pk=row.pk).delete()  # a refusal: nothing changed, run it again
            return
        if case is not None:
            row.content, row.headers, row.replay_from = b"", {}, do_case_address(case)
    row.locked_until = None
    row.save(update_fields=["status_code", "content", "headers", "replay_from", "locked_until"])


def forget_destroyed_enquiry(pk: int) -> int:
    """A destroyed DO case leaves no retry answer behind: every key sent to its address or
    answered with it goes (``lado.services.retention.purge`` deletes the case)."""
    address = do_case_address(pk)
    # The destruction's own key stays: its answer is the destruction-log entry, not the case.
    count, _ = IdempotencyKey.objects.filter(path__startswith=address).exclude(
        path=f"{address}destroy/").delete()
    more, _ = IdempotencyKey.objects.filter(replay_from=address).delete()
    return count + more


class IdempotencyKeyMiddleware:
    """After authentication and the NUL-byte check; around every API view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not applies_to(request):
            return self.get_response(request)
        key = request.headers[HEADER]
        if not valid_key(key):
            # A 400 names the part of the request at fault, as every 400 does.
            return invalid_fields({HEADER: "Use 1 to 255 printable ASCII characters, such as a UUID."})
        user = principal(request)
        if user is None:
            return self.get_response(request)
        outcome, row = claim(user, key, fingerprint(request), request)
        if outcome == REPLAY:
            return replay(row, request)
        if outcome == MISMATCH:
            return problem_response(422, "idempotency_key_reused",
                                    "This Idempotency-Key was used for a different request in the last 24 "
                                    "hours: use a new key for a new request.")
        if outcome == IN_PROGRESS:
            return problem_response(409, "idempotency_key_in_progress",
                                    "A request with this Idempotency-Key is still being processed: try again "
                                    "in a moment.", headers={"Retry-After": "1"})
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(pk=row.pk).delete()
            raise
        keep(row, response, request)
        return response


def purge_expired(now=None) -> int:
    """Forget answers older than 24 hours (beat, hourly)."""
    now = now or clock_now()
    count, _ = IdempotencyKey.objects.filter(created_at__lt=now - timedelta(hours=KEY_HOURS)).delete()
    return count
