"""Importing historical records from a CSV or XLSX file: the engine every kind shares.

Validation first, then all-or-nothing: the whole file is read and checked (pass 1), against the
database too, a chunk of rows at a time; if any row is wrong nothing is written and every error
is returned (row, column, message). Otherwise the file is read again and written (pass 2), in
the same transaction. Rows are matched to existing records by ``reference``.

**An import creates records, or updates records that an import created and that are closed and
untouched in Footprint since.** It never changes a record made in Footprint, nor an open one,
nor one somebody has worked on since it was imported: such a row is an error naming the row and
the reference, and the whole file is refused. A child reference that matches no child is an
error too, unless the person chose to create the missing children.

What each kind's columns mean, which records it may change and how its clocks and outcomes
are worked out belong to its own app (``drp/importer.py``, ``lado/importer.py``,
``positive_practice/importer.py``), registered in ``imports.registry``: this module imports no
case app. Imports are historical data: they never notify anyone. Every record written carries
history (``_history_user`` = the importer, ``_change_reason`` = "Imported from <filename>"),
``imported_from`` = the file's name, and one timeline event "imported".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import transaction

from people.models import User

from . import bulk, readers
from .importer import (  # noqa: F401  (each kind's importer subclasses these)
    IMPORTED,
    Column,
    Importer,
    Result,
    RowErrors,
)
from .registry import ImportKind, kinds_for, require_importer  # noqa: F401  (the kinds, for callers)

PROGRESS_EVERY = 1000
#: How many of the file's first rows a preview shows.
PREVIEW_ROWS = 10
#: Rows written (and, in pass 1, checked against the database) together: a handful of queries
#: per chunk instead of a dozen per row.
CHUNK_SIZE = 500


def template_rows(kind: str, actor: User) -> list[list[str]]:
    """A kind's template: the header row, then an example row."""
    spec = require_importer(actor, kind)
    example = spec.importer(actor, "template").example()
    return [list(spec.columns), [example.get(column, "") for column in spec.columns]]


def template_csv(kind: str, actor: User) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(template_rows(kind, actor))
    return out.getvalue()


def template_xlsx(kind: str, actor: User) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = require_importer(actor, kind).label[:31]
    for row in template_rows(kind, actor):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def columns_help(kind: str, actor: User) -> list[Column]:
    spec = require_importer(actor, kind)
    return spec.importer(actor, "template").describe()


# --- Running an import ----------------------------------------------------------------------


def _shown(name: str) -> str:
    """A header name fit to quote in a message (and to store: PostgreSQL refuses NUL)."""
    return name.replace("\x00", "\ufffd")


def _records(kind: ImportKind, upload, filename: str, result: Result) -> Iterator[tuple[int, dict]]:
    """(row number, {column: value}) for each record row; header errors, rows longer than the
    header and cells holding a NUL character go to ``result``."""
    expected = kind.columns
    iterator = readers.rows(upload, filename)
    first = next(iterator, None)
    if first is None:
        result.errors.append({"row": 1, "column": "", "message": "The file is empty: it needs the header row."})
        return
    number, header = first
    seen = set()
    for name in header:
        if name in seen:
            result.errors.append({"row": number, "column": _shown(name),
                                  "message": f"Column “{_shown(name)}” appears twice."})
        elif name not in expected:
            result.errors.append({"row": number, "column": _shown(name),
                                  "message": f"Unexpected column “{_shown(name)}”."})
        seen.add(name)
    for name in expected:
        if name not in seen and name not in kind.optional:
            result.errors.append({"row": number, "column": name, "message": f"Missing column “{name}”."})
    if result.errors:
        return
    width = len(header)
    for number, cells in iterator:
        if len(cells) > width:
            result.errors.append({"row": number, "column": "", "message":
                                  f"The row has {len(cells)} values but the file has {width} columns."})
            continue
        nul = [name for name, cell in zip(header, cells) if "\x00" in cell]
        if nul:
            for name in nul:
                result.errors.append({"row": number, "column": name, "message":
                                      "The value contains a NUL character (a zero byte): remove it."})
            continue
        cells = cells + [""] * (width - len(cells))
        yield number, {name: "" for name in kind.optional} | dict(zip(header, cells))


def run_import(*, kind: str, upload, filename: str, actor: User, create_children: bool = False,
               progress: Callable[[str, int], None] | None = None,
               before_commit: Callable[[Result], None] | None = None, dry_run: bool = False) -> Result:
    """Check the whole file, then write it all or nothing. ``progress(phase, rows)`` is called
    every ``PROGRESS_EVERY`` rows checked ("checked") and after each chunk written ("written").
    ``before_commit(result)`` runs in the import's transaction once every row is written (an
    import job records its outcome there, so that "done" and the rows commit together).

    ``dry_run``: check the whole file the same way and write nothing; the result says how many
    records would be created and updated, how many children added, and shows the first rows."""
    spec = require_importer(actor, kind)
    result = Result(kind=kind, filename=filename, dry_run=dry_run)
    first_rows: list[tuple[int, dict, str]] = []
    try:
        readers.file_type(filename)
        with transaction.atomic():
            importer = spec.importer(actor, filename, create_children=create_children)
            importer.previewing = dry_run
            references: dict[str, int] = {}
            batch: list[tuple[int, dict]] = []
            for number, row in _records(spec, upload, filename, result):
                result.rows += 1
                errors = RowErrors(result, number)
                data = importer.parse(row, errors)
                reference = data["reference"]
                if reference:
                    if reference in references:
                        errors.add("reference", f"Reference “{reference}” is repeated in the file "
                                                f"(first on row {references[reference]}).")
                    else:
                        references[reference] = number
                        batch.append((number, data))
                        if dry_run and len(first_rows) < PREVIEW_ROWS:
                            first_rows.append((number, row, reference))
                if len(batch) == CHUNK_SIZE:
                    importer.check(batch, result)
                    batch = []
                if progress and result.rows % PROGRESS_EVERY == 0:
                    progress("checked", result.rows)
            if batch:
                importer.check(batch, result)
            if progress and not result.errors:
                progress("checked", result.rows)
            if result.rows == 0 and not result.errors:
                result.errors.append({"row": 2, "column": "", "message": "The file has no records under the header."})
            if result.errors:
                result.errors.sort(key=lambda error: error["row"])
                return result
            if dry_run:
                result.updated = len(importer.existing_references)
                result.created = result.rows - result.updated
                result.new_children = len(importer.new_children)
                result.preview = [{"row": number, "reference": reference,
                                   "action": "update" if reference in importer.existing_references else "create",
                                   "values": row} for number, row, reference in first_rows]
                return result
            references.clear()
            with bulk.counts_deferred(spec.importer.model, rows=result.rows):
                written = 0
                chunk: list[tuple[int, dict]] = []
                for number, row in _records(spec, upload, filename, result):
                    chunk.append((number, importer.parse(row, RowErrors(result, number))))
                    if result.errors:  # the data changed since pass 1: stop, write nothing
                        break
                    if len(chunk) == CHUNK_SIZE:
                        result.created += importer.write_chunk(chunk, result)
                        if result.errors:
                            break
                        written += len(chunk)
                        chunk = []
                        if progress:
                            progress("written", written)
                if chunk and not result.errors:
                    result.created += importer.write_chunk(chunk, result)
                    written += len(chunk)
                result.updated = written - result.created
                if result.errors:  # the data changed between the passes: write nothing
                    result.created = result.updated = 0
                    transaction.set_rollback(True)
                    return result
                importer.finish()
            if before_commit:
                before_commit(result)
    except readers.FileRefused as exc:
        result.errors = [{"row": 0, "column": "", "message": str(exc)}]
        result.created = result.updated = 0
    return result


# --- What the page and the API take ------------------------------------------------------------


def runs_in_background(upload) -> bool:
    """Files over ``FOOTPRINT_IMPORT_INLINE_MAX_BYTES`` are imported by a job with a progress
    page; smaller ones while the page waits."""
    return (upload.size or 0) > settings.FOOTPRINT_IMPORT_INLINE_MAX_BYTES


def too_large(upload) -> bool:
    """Bigger than the page and API take (``FOOTPRINT_IMPORT_MAX_BYTES``)."""
    return (upload.size or 0) > settings.FOOTPRINT_IMPORT_MAX_BYTES


def too_large_message() -> str:
    limit = settings.FOOTPRINT_IMPORT_MAX_BYTES / 2**20
    return (f"The file must be smaller than {limit:g} MB. Split it into smaller files, or ask "
            "for it to be imported with the import_records command.")


def check_upload(upload) -> None:
    """Refuse, before anything opens it, a file of the wrong type or a workbook that would
    expand to far more than it weighs (``readers.FileRefused``)."""
    readers.file_type(upload.name)
    readers.check_workbook(upload, upload.name)
