"""The access log as CSV (streamed, any size) or XLSX (built in memory, so capped). Every text
cell goes through ``workflows.exports.safe_cell``: a reason or page name starting with ``=``
cannot run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from workflows.exports import safe_cell

from .selectors import Entry

HEADER = ["When", "Who", "Username", "Kind of case", "Case reference", "Read or changed", "Detail"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 100_000


def row(entry: Entry) -> list[str]:
    person = entry.person
    return [safe_cell(value) for value in [
        timezone.localtime(entry.at).isoformat(timespec="seconds"),
        str(person) if person else "", person.username if person else "",
        entry.kind_label, entry.reference, entry.what, entry.detail,
    ]]


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, entries: Iterable[Entry]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(HEADER)
        for entry in entries:
            yield writer.writerow(row(entry))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(filename: str, entries: Iterable[Entry]) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Access log")
    sheet.append(HEADER)
    for entry in entries:
        sheet.append(row(entry))
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
