"""The importer every kind subclasses (``drp/importer.py``, ``lado/importer.py``,
``positive_practice/importer.py``): the result of a run, the row errors, and the checking and
writing of one chunk of rows with history. ``imports.services`` runs it (see its docstring for
the rules every import follows)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef

from children.models import Child
from people.models import User
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.history import REASON_LENGTH
from workflows.models import ReferenceSequence

from . import bulk

#: The timeline action every case app's importer records.
IMPORTED = "imported"


@dataclass
class Result:
    kind: str
    filename: str
    created: int = 0
    updated: int = 0
    rows: int = 0
    errors: list[dict] = field(default_factory=list)
    #: A preview (``dry_run``): nothing was written; ``created`` and ``updated`` are what the
    #: import would do, ``preview`` its first rows, ``new_children`` the children it would add.
    dry_run: bool = False
    preview: list[dict] = field(default_factory=list)
    new_children: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        data = {"created": self.created, "updated": self.updated, "errors": self.errors}
        if self.dry_run:
            data.update(dry_run=True, rows=self.rows, new_children=self.new_children, preview=self.preview)
        return data


@dataclass(frozen=True)
class Column:
    """One column of a kind's file, as the upload page and the template describe it."""

    name: str
    hint: str
    required: bool = False
    #: The values a coded column takes (each as code or label), read from the data.
    allowed: tuple[str, ...] = ()


class RowErrors:
    def __init__(self, result: Result, row: int):
        self.result, self.row, self.count = result, row, 0

    def add(self, column: str, message: str) -> None:
        self.result.errors.append({"row": self.row, "column": column, "message": message})
        self.count += 1


class Importer:
    """One kind's rows: parsed in both passes, checked against the database in pass 1, written
    a chunk at a time in pass 2. Each case app subclasses it in its ``importer.py``.

    A chunk is written with a fixed number of statements whatever its size: the existing records
    (locked, with their latest timeline action) and the children are read in one query each;
    new records, their history rows (naming the importer and the file), links and "imported"
    timeline events go in with ``COPY`` on PostgreSQL (``imports.bulk``; ``bulk_create``
    elsewhere), and re-imported records are updated together in one statement.

    The case model needs a ``reference``, an ``imported_from`` and a ``timeline`` (the reverse
    name of its timeline events, whose action for an import is "imported").
    """

    model: type[models.Model]
    #: Columns a re-import rewrites on an existing record (``imported_from`` is added).
    fields: tuple[str, ...] = ()
    #: The sequence of references made in the app, and their pattern: an imported one moves
    #: the counter past it, so the app never hands out a reference the file used.
    sequence: tuple[str, re.Pattern] | None = None
    #: The column of child references, when the kind links children (``data["children"]``).
    children_column: str | None = None
    #: How a record made in Footprint is described in a refusal ("raised", "logged" ...).
    made_in_footprint = "made"

    def __init__(self, actor: User, filename: str, *, create_children: bool = False):
        self.actor = actor
        self.filename = filename
        self.source = filename[:255]
        self.reason = f"Imported from {filename}"[:REASON_LENGTH]
        self.today = today()
        self.create_children = create_children
        self.highest_reference = 0
        #: The records of the chunk being written that existed before it (the rest are new).
        self.updated_pks: set[int] = set()
        self.chunks_written = 0
        #: A preview (``run_import(dry_run=True)``) keeps, in pass 1, the file's references that
        #: name an existing record (a re-import updates them), and the child references no
        #: child has (created if the person chose so).
        self.previewing = False
        self.existing_references: set[str] = set()
        self.new_children: set[str] = set()

    # --- What each kind defines -------------------------------------------------------------

    def parse(self, row: dict, errors: RowErrors) -> dict:
        """The row's values (``reference`` always; ``children``: child references)."""
        raise NotImplementedError

    def new(self, data: dict):
        """A new, unsaved record in the status the row gives."""
        raise NotImplementedError

    def fill(self, obj, data: dict, children: list[Child]) -> None:
        """Set ``obj``'s fields (not its status) from a parsed row (``children`` exist)."""
        raise NotImplementedError

    def after_write(self, pairs: list[tuple[object, dict]], children: dict[str, Child]) -> None:
        """Links, stage records and timeline events for the chunk's saved records."""
        raise NotImplementedError

    def refusal(self, obj, data: dict) -> str | None:
        """Why this row may not change ``obj``, an existing record, or None. The default, for a
        kind without a state machine: only a record an import made, untouched since."""
        if not obj.imported_from:
            return f"{obj.reference} was {self.made_in_footprint} in Footprint: an import never changes it."
        if obj.changed_in_footprint:
            return (f"{obj.reference} has been changed in Footprint since it was imported: "
                    "an import no longer changes it.")
        return None

    def reimport(self, obj, data: dict) -> None:
        """Move an existing record to the row's status through its app's state machine (under
        the row lock; ``refusal`` has said yes). The default: a kind with no status."""

    def refused_references(self, references: list[str]) -> dict[str, str]:
        """References no row may use at all, with the reason (a destroyed DO enquiry, say)."""
        return {}

    def describe(self) -> list[Column]:
        """Every column: what it holds and, for a coded column, the values it takes."""
        raise NotImplementedError

    def example(self) -> dict[str, str]:
        """A row the template shows, which imports as it is (with ``create_children``)."""
        raise NotImplementedError

    # --- The engine -------------------------------------------------------------------------

    def existing(self, references: list[str], *, lock: bool = False) -> dict:
        """The records with these references, each with ``changed_in_footprint``: whether its
        timeline holds anything but imports. Locked (``select_for_update``) while they are
        written."""
        timeline = self.model._meta.get_field("timeline")
        changed = (timeline.related_model._base_manager.filter(**{timeline.field.name: OuterRef("pk")})
                   .exclude(action=IMPORTED))
        records = self.model._default_manager.filter(**bulk.among("reference", references)).annotate(
            changed_in_footprint=Exists(changed))
        if lock:
            records = records.select_for_update()
        return {obj.reference: obj for obj in records}

    def check(self, batch: list[tuple[int, dict]], result: Result) -> None:
        """Pass 1, against the database, for a chunk of rows: every existing record the rows
        would change may be changed, and every child they name exists (or may be created)."""
        references = [data["reference"] for _, data in batch]
        existing = self.existing(references)
        refused = self.refused_references(references)
        missing = self._missing_children(batch)
        if self.previewing:  # kept for a preview only: an import's memory stays flat
            self.existing_references.update(existing)
        if self.create_children:
            if self.previewing:
                self.new_children |= missing
            missing = set()
        for number, data in batch:
            errors = RowErrors(result, number)
            reference = data["reference"]
            if reference in refused:
                errors.add("reference", refused[reference])
            elif reference in existing:
                message = self.refusal(existing[reference], data)
                if message:
                    errors.add("reference", message)
            for ref in data.get("children", ()):
                if ref in missing:
                    errors.add(self.children_column, f"No child has the reference “{ref}”: add the child "
                                                     "first, or choose to create missing children.")

    def _missing_children(self, batch: list[tuple[int, dict]]) -> set[str]:
        if not self.children_column:
            return set()
        wanted = {ref for _, data in batch for ref in data.get("children", ())}
        found = set(Child.objects.filter(**bulk.among("reference", wanted)).values_list("reference", flat=True))
        return wanted - found

    def write_chunk(self, chunk: list[tuple[int, dict]], result: Result) -> int:
        """Write parsed rows; returns how many records were created (the rest were updated).
        A row refused now (the data changed since pass 1) goes to ``result`` and nothing of
        the chunk is written."""
        rows = [data for _, data in chunk]
        self._note_references(rows)
        existing = self.existing([data["reference"] for data in rows], lock=True)
        for number, data in chunk:
            obj = existing.get(data["reference"])
            message = self.refusal(obj, data) if obj is not None else None
            if message:
                RowErrors(result, number).add("reference", message)
        children = self._children(chunk, result)
        if result.errors:
            return 0
        created, changed, pairs = [], [], []
        for number, data in chunk:
            obj = existing.get(data["reference"])
            if obj is None:
                obj = self.new(data)
                created.append(obj)
            else:
                try:
                    self.reimport(obj, data)
                except (TransitionRefused, PermissionDenied) as exc:  # ``refusal`` said yes: a bug
                    RowErrors(result, number).add("reference", getattr(exc, "message", str(exc)))
                    return 0
                changed.append(obj)
            obj.imported_from = self.source
            self.fill(obj, data, [children[ref] for ref in data.get("children", ())])
            pairs.append((obj, data))
        self.insert(self.model, created)
        self.update(self.model, changed, (*self.fields, "imported_from"))
        self.updated_pks = {obj.pk for obj in changed}
        self.after_write(pairs, children)
        self.chunks_written += 1
        if self.chunks_written & (self.chunks_written - 1) == 0:  # 1, 2, 4, 8 ... chunks
            bulk.count_again(self.model)
        return len(created)

    def _note_references(self, rows: list[dict]) -> None:
        if self.sequence is None:
            return
        pattern = self.sequence[1]
        for data in rows:
            match = pattern.match(data["reference"])
            if match:
                self.highest_reference = max(self.highest_reference, int(match.group(1)))

    def _children(self, chunk: list[tuple[int, dict]], result: Result) -> dict[str, Child]:
        """Every child the chunk names, by reference. Unknown references become minimal child
        records (with history) of the first row's case type, when the person chose that."""
        wanted: dict[str, tuple[int, str]] = {}
        for number, data in chunk:
            for ref in reversed(data.get("children", ())):
                wanted[ref] = (number, data.get("case_type", ""))
        if not wanted:
            return {}
        found = {child.reference: child for child in
                 Child.objects.filter(**bulk.among("reference", wanted)).select_related("social_worker")}
        missing = [ref for ref in wanted if ref not in found]
        if missing and not self.create_children:
            for ref in missing:  # removed since pass 1
                RowErrors(result, wanted[ref][0]).add(self.children_column, f"No child has the reference “{ref}”.")
            return found
        if missing:
            new = [Child(reference=ref, name=ref, case_type=wanted[ref][1]) for ref in missing]
            self.insert(Child, new)
            found.update((child.reference, child) for child in new)
        return found

    def replace_links(self, name: str, links: dict[int, list[int]]) -> None:
        """``obj.<name>.set(...)`` for many records at once, as ``set`` does it: a re-imported
        record keeps the links it still has (deleting and re-adding them would rewrite their
        indexes and make the report counts' triggers subtract and add them back); only the
        links it lost are deleted and only new ones added. One query reads the re-imported
        records' links; a DELETE and a COPY run only when there is something to do."""
        field_ = self.model._meta.get_field(name)
        through = field_.remote_field.through
        source, target = field_.m2m_field_name(), field_.m2m_reverse_field_name()
        wanted = [(pk, other) for pk, others in links.items() for other in dict.fromkeys(others)]
        lost: list[int] = []
        kept = [pk for pk in links if pk in self.updated_pks]
        if kept:
            held = {(pk, other): link for link, pk, other in through._default_manager.filter(
                **bulk.among(source, kept)).values_list("pk", f"{source}_id", f"{target}_id")}
            still = set(wanted)
            lost = [link for pair, link in held.items() if pair not in still]
            wanted = [pair for pair in wanted if pair not in held]
        bulk.delete_rows(through, through._meta.pk.name, lost)
        bulk.insert_rows(through, [f"{source}_id", f"{target}_id"], wanted)

    def insert(self, model, objs: list, *, history: bool = True) -> None:
        """New records (their history rows naming the importer and the file), in bulk."""
        bulk.insert(model, objs, user=self.actor, reason=self.reason, history=history)

    def update(self, model, objs: list, fields) -> None:
        """Changed ``fields`` of loaded records, and their history rows, in bulk."""
        bulk.update(model, objs, fields, user=self.actor, reason=self.reason)

    def finish(self) -> None:
        """Move the reference counter past the highest imported app-style reference."""
        if not self.highest_reference or self.sequence is None:
            return
        name = self.sequence[0]
        ReferenceSequence.objects.get_or_create(name=name)
        ReferenceSequence.objects.filter(name=name, last__lt=self.highest_reference).update(
            last=self.highest_reference)
