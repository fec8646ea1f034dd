"""The one timeline event a change to a case appends: the recipe every case app follows.

Each case app's ``TimelineEvent`` subclasses ``workflows.models.TimelineEvent`` with a foreign
key to its case named ``related_name="timeline"``; a service appends exactly one event, in the
same transaction as the change it records (after ``workflows.locks.lock`` and
``workflows.transitions.perform``). The timeline is append-only (a PostgreSQL trigger refuses
UPDATE and DELETE).
"""

from __future__ import annotations

from django.db import models


def record_event(case: models.Model, actor, action: str, note: str = "", **moved) -> models.Model:
    """Append one event to ``case``'s timeline: who (``actor``, None for the system), what
    (``action``, the app's ``TimelineEvent.Action``), a note, and where the case moved from and to
    (``from_stage``/``to_stage`` for a DRP, ``from_status``/``to_status`` for a DO enquiry)."""
    return case.timeline.create(actor=actor, action=action, note=note, **moved)
