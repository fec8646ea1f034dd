"""The annual report document as a Word file (python-docx): the same sections, commentary and
tables as the page, each chart's figures as the table it was drawn from (a Word table rather
than a picture, so it can be edited and read by a screen reader)."""

from __future__ import annotations

import io

from django.http import HttpResponse

from .tables import Direction, Suppressed

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def cell_text(value) -> str:
    """A table cell as the page shows it: "–" for no figure, words for a direction."""
    if value is None:
        return "–"
    if isinstance(value, Direction):
        return value.text
    if isinstance(value, Suppressed):
        return value.text
    return str(value)


def _table(doc, table: dict) -> None:
    doc.add_heading(table["title"], level=2)
    grid = doc.add_table(rows=1, cols=len(table["columns"]))
    grid.style = "Table Grid"
    for cell, heading in zip(grid.rows[0].cells, table["columns"]):
        cell.text = ""
        cell.paragraphs[0].add_run(str(heading)).bold = True
    for row in table["rows"]:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = cell_text(value)
    if not table["rows"]:
        doc.add_paragraph("None in this period.")
    if table.get("charts_left_out"):
        doc.add_paragraph("The chart of this table is left out: it would show small numbers.")


def annual_document_docx(document: dict, authority: str) -> bytes:
    from docx import Document

    doc = Document()
    doc.core_properties.title = document["heading"]
    doc.core_properties.author = authority
    doc.add_heading(document["heading"], level=0)
    doc.add_paragraph(f"{authority}. Figures from {document['counted_from']:%-d %B %Y} "
                      f"to {document['counted_to']:%-d %B %Y}.")
    if document["publication"]:
        doc.add_paragraph(publication_note(document["threshold"]))
    for section in document["sections"]:
        doc.add_heading(section["title"], level=1)
        commentary = section["commentary"]
        if commentary and commentary.text:
            for paragraph in commentary.text.split("\n\n"):
                doc.add_paragraph(paragraph.strip())
        for note in section["notes"]:
            doc.add_paragraph(note)
        for table in section["tables"]:
            _table(doc, table)
        if section["counted"]:
            doc.add_paragraph(section["counted"])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def publication_note(threshold: int) -> str:
    return (f"Prepared for publication: counts below {threshold} are shown as “fewer than {threshold}”, and "
            "figures worked out from them (medians, percentages, changes on last year) as “not shown”, so that "
            "no child, family or member of staff can be identified.")


def docx_response(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=DOCX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.docx"'
    return response
