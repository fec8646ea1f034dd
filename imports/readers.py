"""Reading an uploaded CSV or XLSX file one row at a time (memory stays flat whatever its size).

Each row comes back as a list of strings. Rows are numbered as a spreadsheet numbers them: the
header is row 1, the first record row 2. Entirely empty rows are skipped.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime


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


def _xlsx_rows(upload) -> Iterator[list[str]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    raw = _raw(upload)
    raw.seek(0)
    try:
        workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise FileRefused("The XLSX file cannot be read: save it again as an Excel workbook.") from exc
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
