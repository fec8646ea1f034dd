"""Reads of special-category case records are logged, one row per read."""

from django.db import models

from .models import CaseRead


def record_read(user, case: models.Model, view: str) -> None:
    CaseRead.objects.create(user=user, case_kind=case._meta.label_lower, case_id=case.pk, view=view)
