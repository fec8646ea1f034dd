"""Saving a case model so its django-simple-history row names who changed it and why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from simple_history.models import HistoricalRecords

_history_erased_separately: ContextVar[bool] = ContextVar("history_erased_separately", default=False)

#: simple-history's ``history_change_reason`` column is 100 characters.
REASON_LENGTH = 100


def save_with_history(obj: models.Model, actor, reason: str) -> None:
    """Save ``obj``; its history row records ``actor`` and ``reason`` (cut to fit the column)."""
    obj._history_user = actor
    obj._change_reason = (reason or "")[:REASON_LENGTH]
    obj.save()


class CaseHistory(HistoricalRecords):
    """django-simple-history for a case model whose history is append-only (PostgreSQL refuses
    to change or delete its rows, and the application's database role may not).

    Deleting such a row records a last history row (simple-history's default), except inside
    ``history_erased_separately()``: the recorded destruction of a DO enquiry, which erases the
    enquiry's whole history itself (``lado.services.purge``) and must leave none behind."""

    def post_delete(self, instance, using=None, **kwargs):
        if _history_erased_separately.get():
            return
        super().post_delete(instance, using=using, **kwargs)


@contextmanager
def history_erased_separately() -> Iterator[None]:
    """Deletes in this block write no history row (see ``CaseHistory``)."""
    token = _history_erased_separately.set(True)
    try:
        yield
    finally:
        _history_erased_separately.reset(token)
