"""CSV and XLSX downloads of report tables. Every text cell goes through ``safe_cell`` so that
no cell can run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import re

from django.http import HttpResponse

from workflows.exports import safe_cell

from .tables import Direction, Suppressed

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_available() -> bool:
    try:
        import openpyxl  # noqa: F401
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        return False
    return True


def _cell(value):
    """Numbers stay numbers; everything else is made safe text; None is blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return safe_cell(str(value))
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Direction):
        return value.value
    if isinstance(value, Suppressed):  # "fewer than 5": text, never a number
        return safe_cell(value.text)
    return safe_cell(value)


def csv_response(filename: str, heading: str, tables: list[dict]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow([safe_cell(heading)])
    for table in tables:
        writer.writerow([])
        writer.writerow([safe_cell(table["title"])])
        writer.writerow([safe_cell(c) for c in table["columns"]])
        for row in table["rows"]:
            writer.writerow([_cell(c) for c in row])
    return response


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Sheet"
    base, n = name, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


def xlsx_response(filename: str, heading: str, tables: list[dict]) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table["title"], used))
        sheet.append([_cell(heading)])
        sheet.append([_cell(table["title"])])
        sheet.append([_cell(c) for c in table["columns"]])
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in table["rows"]:
            sheet.append([_cell(c) for c in row])
        sheet.column_dimensions["A"].width = 48
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
