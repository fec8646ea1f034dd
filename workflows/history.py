"""Saving a case model so its django-simple-history row names who changed it and why."""

from django.db import models

#: simple-history's ``history_change_reason`` column is 100 characters.
REASON_LENGTH = 100


def save_with_history(obj: models.Model, actor, reason: str) -> None:
    """Save ``obj``; its history row records ``actor`` and ``reason`` (cut to fit the column)."""
    obj._history_user = actor
    obj._change_reason = (reason or "")[:REASON_LENGTH]
    obj.save()
