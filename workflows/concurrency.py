"""No lost updates: every editable case record carries a version, shown as its ``ETag``, and a
change sent with ``If-Match`` is refused (412) when the record changed since it was read.

The check is made in one place, when the record is saved: the service has locked the row
(``workflows.locks``), so the version read under the lock is the latest committed one, and of
two people who read version 3 and both send ``If-Match: "disputeresolution-12-3"``, the second
waits for the first's lock and then finds version 4: 412, nothing saved. ``If-Match`` is
optional (no 428): without it a change is made as before.

``expecting(header)`` (the API middleware, ``integrations.conditional``) sets what the request
expects; ``Versioned.save`` checks each record it names once per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connection, models
from rest_framework.exceptions import APIException

from .clocks import now as clock_now

PRECONDITION_FAILED = ("This record has changed since you read it: read it again (GET) and send "
                       "its new ETag in If-Match.")


class PreconditionFailed(APIException):
    status_code = 412
    default_detail = PRECONDITION_FAILED
    default_code = "precondition_failed"


@dataclass
class Expectation:
    """The entity tags of one request's ``If-Match`` (``*`` matches any existing record)."""

    tags: frozenset[str]
    checked: set[str] = field(default_factory=set)
    #: The state a move expects each record to be in (``expect_state``), by resource.
    states: dict[str, str] = field(default_factory=dict)

    def names(self, resource: str) -> bool:
        return "*" in self.tags or any(tag.rsplit("-", 1)[0] == resource for tag in self.tags)


_expected: ContextVar[Expectation | None] = ContextVar("footprint_if_match", default=None)

_TAG = re.compile(r'\s*(?:W/)?"([^"]*)"\s*(?:,|$)|\s*(\*)\s*$')


def parse_if_match(header: str) -> frozenset[str]:
    """The entity tags of an ``If-Match`` header, without quotes (weak tags compare as strong:
    Footprint's tags are versions)."""
    tags, position = set(), 0
    while position < len(header):
        found = _TAG.match(header, position)
        if found is None or found.end() == position:
            break
        tags.add(found.group(1) if found.group(1) is not None else "*")
        position = found.end()
    return frozenset(tags)


#: A whole ``If-Match`` value: ``*``, or entity tags (``"tag"`` or ``W/"tag"``) separated by commas.
IF_MATCH_PATTERN = r'^(\*|(W/)?"[!#-~]*"(\s*,\s*(W/)?"[!#-~]*")*)$'


def well_formed_if_match(header: str) -> bool:
    """Whether an ``If-Match`` header is one a client meant: a malformed one is refused (400),
    not ignored, or the change it was sent to protect would be made unchecked."""
    return re.fullmatch(IF_MATCH_PATTERN, header.strip()) is not None


@contextmanager
def expecting(header: str | None) -> Iterator[None]:
    token = _expected.set(Expectation(parse_if_match(header) if header else frozenset()))
    try:
        yield
    finally:
        _expected.reset(token)


def expect_state(obj: models.Model, state: str) -> None:
    """This request's move expects ``obj`` to be in ``state`` (a DO move's ``from_status``)."""
    expectation = _expected.get()
    if expectation is not None:
        expectation.states[f"{obj._meta.model_name}-{obj.pk}"] = state


def unexpected_state(obj: models.Model, current: str) -> str | None:
    """The state this request expected ``obj`` in, when it is in another (``current``, read
    under the row lock): the service refuses the move with 409. None when nothing was expected
    or it is as expected."""
    expectation = _expected.get()
    expected = expectation.states.get(f"{obj._meta.model_name}-{obj.pk}") if expectation else None
    return expected if expected is not None and expected != current else None


class VersionedQuerySet(models.QuerySet):
    """A bulk ``update()`` is a change like any save: it moves every row's ``version`` on (in
    the statement itself, ``F("version") + 1``) and stamps ``updated_at``, so an ETag read
    before it no longer matches."""

    def update(self, **kwargs):
        kwargs.setdefault("version", models.F("version") + 1)
        kwargs.setdefault("updated_at", clock_now())
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        """The same for ``bulk_update``: each record's version moves on, in the statement
        (``F("version") + 1``), and its time is stamped."""
        objs, stamp = list(objs), clock_now()
        for obj in objs:
            obj.version, obj.updated_at = models.F("version") + 1, stamp
        changed = super().bulk_update(objs, {*fields, "version", "updated_at"}, *args, **kwargs)
        versions = dict(self.model._base_manager.filter(pk__in=[obj.pk for obj in objs])
                        .values_list("pk", "version"))  # the expression read back, in one query
        for obj in objs:
            obj.version = versions.get(obj.pk, obj.version)
        return changed

    bulk_update.alters_data = True


class Versioned(models.Model):
    """A record a person or system edits: ``version`` counts its saves (and bulk updates),
    ``updated_at`` says when the last was (the workflows clock), ``etag`` is what ``If-Match``
    names."""

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=clock_now, editable=False)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def resource(self) -> str:
        return f"{self._meta.model_name}-{self.pk}"

    @property
    def etag(self) -> str:
        return f"{self.resource}-{self.version}"

    def _check_if_match(self) -> None:
        expectation = _expected.get()
        if expectation is None or self.resource in expectation.checked or not expectation.names(self.resource):
            return
        rows = type(self)._base_manager.filter(pk=self.pk)
        if connection.in_atomic_block:
            rows = rows.select_for_update()
        current = rows.values_list("version", flat=True).first()
        if current is None or ("*" not in expectation.tags and f"{self.resource}-{current}" not in expectation.tags):
            raise PreconditionFailed()
        expectation.checked.add(self.resource)

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            self._check_if_match()
            self.version += 1
        self.updated_at = clock_now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "version", "updated_at"}
        super().save(*args, **kwargs)
