"""Locking a case's row for a change, the same way in every workflow."""

from __future__ import annotations

from django.db import models


def lock(queryset: models.QuerySet, pk) -> models.Model:
    """The row ``pk`` locked for this transaction, then read afresh through ``queryset`` (with
    its ``select_related``).

    The lock is taken on the case's own row alone, in a query with no join: ``FOR UPDATE`` over
    a join also locks the related rows (every DRP at a stage queued on the stage's row), is
    refused on the nullable side of an outer join, and when the row it waited for has changed
    the join column (an escalation moves the DRP to another stage), PostgreSQL re-checks the
    join against the old related row and returns nothing: a 500 instead of a 409. Once the lock
    is held, the read sees the latest committed version (each statement takes a new snapshot).
    """
    model = queryset.model
    if not model._base_manager.select_for_update().filter(pk=pk).values_list("pk", flat=True):
        raise model.DoesNotExist(f"{model._meta.object_name} {pk} does not exist.")
    return queryset.get(pk=pk)
