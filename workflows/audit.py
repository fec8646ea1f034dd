"""Reads of special-category case records are logged, one row per case a response shows.

A page or API call that shows several cases (a list, a search, an export, a case page with the
subject's other enquiries) logs all of them in one ``bulk_create``: one INSERT per response on
PostgreSQL, whatever the page size (SQLite splits a batch at 199 rows, its bound-variable limit)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import models

from .models import CaseRead

#: ``CaseRead.view`` holds at most this many characters.
VIEW_MAX = CaseRead._meta.get_field("view").max_length


def _row(user, case: models.Model, view: str) -> CaseRead:
    return CaseRead(user=user, case_kind=case._meta.label_lower, case_id=case.pk, view=view[:VIEW_MAX])


def record_read(user, case: models.Model, view: str) -> None:
    record_reads(user, [case], view)


def record_reads(user, cases: Iterable[models.Model], view: str,
                 more: Mapping[str, Iterable[models.Model]] | None = None) -> int:
    """Log a read of each case by ``user`` through ``view`` (and of each case in ``more``, a
    mapping of view name to cases shown beside them), in one insert. Each case is logged once
    per response, under the first view that showed it. Returns how many reads were logged."""
    seen: set[tuple[str, int]] = set()
    rows = []
    for name, group in [(view, cases), *(more or {}).items()]:
        for case in group:
            key = (case._meta.label_lower, case.pk)
            if case.pk is None or key in seen:
                continue
            seen.add(key)
            rows.append(_row(user, case, name))
    if rows:
        CaseRead.objects.bulk_create(rows)
    return len(rows)


def record_reads_by_id(user, case_kind: str, case_ids: Iterable[int], view: str) -> int:
    """The same for cases known only by id (a notification's link, an access log row)."""
    ids = list(dict.fromkeys(int(pk) for pk in case_ids))
    if ids:
        CaseRead.objects.bulk_create([CaseRead(user=user, case_kind=case_kind, case_id=pk, view=view[:VIEW_MAX])
                                      for pk in ids])
    return len(ids)


def record_reads_by_user(case_kind: str, case_ids_by_user: Mapping[int, Iterable[int]], view: str) -> int:
    """The same for many readers at once (a batch of emails to different people), by user id:
    one insert for all of them."""
    rows = [CaseRead(user_id=user_id, case_kind=case_kind, case_id=pk, view=view[:VIEW_MAX])
            for user_id, case_ids in case_ids_by_user.items()
            for pk in dict.fromkeys(int(pk) for pk in case_ids)]
    if rows:
        CaseRead.objects.bulk_create(rows)
    return len(rows)
