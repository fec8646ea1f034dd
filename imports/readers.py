"""Reading an uploaded CSV or XLSX file one row at a time (memory stays flat whatever its size).

Each row comes back as a list of strings. Rows are numbered as a spreadsheet numbers them: the
header is row 1, the first record row 2. Entirely empty rows are skipped.

An XLSX file is a zip archive: before anything opens it, its table of contents is checked so
that a small file that would expand to gigabytes (a "zip bomb") is refused (``check_workbook``).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

from django.conf import settings

#: More parts than any workbook has (a real one has a few dozen).
MAX_WORKBOOK_PARTS = 1000
#: A part bigger than ``EXPANSION_FLOOR`` may expand to at most this many times its
#: compressed size (XML compresses about 10:1; a bomb, 1000:1).
MAX_EXPANSION = 100
EXPANSION_FLOOR = 1024 * 1024
#: Parts openpyxl reads whole into memory (all but the worksheets, which it streams).
MAX_WHOLE_PART_BYTES = 64 * 1024 * 1024


class FileRefused(ValueError):
    """The file cannot be read at all (wrong type, not UTF-8, not a workbook)."""


def file_type(filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    raise FileRefused("The file must be a CSV (.csv) or Excel workbook (.xlsx).")


def _raw(upload):
    """The binary file under a Django upload (or the file itself)."""
    return getattr(upload, "file", upload)


def _csv_rows(upload) -> Iterator[list[str]]:
    raw = _raw(upload)
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    try:
        try:
            for row in csv.reader(text):
                yield row
        except UnicodeDecodeError as exc:
            raise FileRefused("The CSV file must be saved as UTF-8 text.") from exc
        except csv.Error as exc:
            raise FileRefused(f"The CSV file cannot be read: {exc}.") from exc
    finally:
        text.detach()  # leave the upload open for the second pass


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unreadable() -> FileRefused:
    return FileRefused("The XLSX file cannot be read: save it again as an Excel workbook.")


def _declared_parts(raw) -> int | None:
    """How many parts the zip's end record declares (None: no end record), read without
    parsing the table of contents, whose size the count bounds."""
    raw.seek(0, io.SEEK_END)
    size = raw.tell()
    tail = min(size, 22 + 65535)
    raw.seek(size - tail)
    data = raw.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(data):
        return None
    return int.from_bytes(data[at + 10:at + 12], "little")


def check_workbook(upload, filename: str) -> None:
    """Refuse a workbook that would expand far beyond its size, before it is opened: too many
    parts, more than ``FOOTPRINT_IMPORT_MAX_EXPANDED_BYTES`` in all, a part expanding more than
    ``MAX_EXPANSION`` times, or a part read whole bigger than ``MAX_WHOLE_PART_BYTES``. Only
    the zip's table of contents is read (the sizes it declares bound what can be read)."""
    if file_type(filename) != "xlsx":
        return
    raw = _raw(upload)
    parts = _declared_parts(raw)
    if parts is None:
        raise _unreadable()
    if parts > MAX_WORKBOOK_PARTS:
        raise FileRefused(f"The XLSX file has {parts:,} parts; a workbook has a few dozen. "
                          "Save it again as an Excel workbook.")
    raw.seek(0)
    try:
        with zipfile.ZipFile(raw) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable() from exc
    limit = settings.FOOTPRINT_IMPORT_MAX_EXPANDED_BYTES
    total = sum(info.file_size for info in infos)
    if total > limit:
        raise FileRefused(f"The XLSX file would expand to {total / 2**20:,.0f} MB when opened (the limit is "
                          f"{limit / 2**20:,.0f} MB). Split it, or save it as CSV.")
    for info in infos:
        if info.file_size > EXPANSION_FLOOR and info.file_size > MAX_EXPANSION * max(info.compress_size, 1):
            raise FileRefused(f"The XLSX file is refused: its part {info.filename} would expand "
                              f"{info.file_size / max(info.compress_size, 1):,.0f} times (at most "
                              f"{MAX_EXPANSION} is allowed), as a zip bomb does.")
        if info.file_size > MAX_WHOLE_PART_BYTES and not info.filename.startswith("xl/worksheets/"):
            raise FileRefused(f"The XLSX file is refused: its part {info.filename} is "
                              f"{info.file_size / 2**20:,.0f} MB unpacked. Save the workbook as CSV.")


def _xlsx_rows(upload) -> Iterator[list[str]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    check_workbook(upload, "upload.xlsx")
    raw = _raw(upload)
    raw.seek(0)
    try:
        workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise _unreadable() from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(value) for value in row]
    finally:
        workbook.close()


def rows(upload, filename: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for every non-empty row, the header first."""
    reader = _csv_rows if file_type(filename) == "csv" else _xlsx_rows
    for number, cells in enumerate(reader(upload), start=1):
        cells = [cell.strip() for cell in cells]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            yield number, cells
