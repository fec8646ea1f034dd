"""Exports shared by every workflow."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A spreadsheet cell that cannot run as a formula (CSV injection): prefix a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def table_response(fmt: str, filename: str, header: list[str], rows):
    """Exactly the rows a list shows, as CSV (streamed) or XLSX, every cell formula-safe."""
    import csv

    from django.http import HttpResponse, StreamingHttpResponse

    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(filename[:31])
        sheet.append(header)
        for row in rows:
            sheet.append([safe_cell(value) for value in row])
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        book.save(response)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
