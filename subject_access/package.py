"""The ZIP released to the requester: a cover sheet, one readable HTML document per record, and
the same data as JSON and CSV. Redaction is applied to the data before any file is written (and
to the file names), so no format can carry a redacted word. The HTML is self-contained: its
only styles sit in the document itself, with no link to anything outside it."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

from django.template.loader import render_to_string
from django.utils import timezone

from workflows.exports import safe_cell

from .records import Redactor

# A fixed timestamp inside the ZIP: the file's contents, not when it was built, make its hash.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "record"


def _csv(records: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Record", "Kind", "Section", "Row", "Field", "Value"])
    for record in records:
        for label, value in record["fields"]:
            writer.writerow([safe_cell(v) for v in (record["reference"], record["kind"], "Details", "", label, value)])
        for table in record["tables"]:
            for number, row in enumerate(table["rows"], start=1):
                for column, value in zip(table["columns"], row):
                    writer.writerow([safe_cell(v) for v in (record["reference"], record["kind"], table["title"],
                                                            str(number), column, value)])
    return out.getvalue()


def build_zip(*, cover: dict, records: list[dict], redactor: Redactor) -> tuple[bytes, list[str]]:
    """The ZIP's bytes and its file names. ``cover`` and ``records`` are unredacted; every
    string in them is redacted here."""
    cover = redactor.apply(cover)
    records = redactor.apply(records)
    files: list[tuple[str, str]] = []
    documents = []
    for number, record in enumerate(records, start=1):
        name = f"records/{number:02d}-{_slug(record['reference'])}.html"
        documents.append({"file": name, "title": record["title"], "kind": record["kind"]})
        files.append((name, render_to_string("subject_access/export/record.html",
                                             {"record": record, "cover": cover})))
    files.insert(0, ("00-cover-sheet.html", render_to_string("subject_access/export/cover.html",
                                                             {"cover": cover, "documents": documents})))
    files.append(("data.json", json.dumps({"request": cover, "records": records}, indent=2, ensure_ascii=False)))
    files.append(("data.csv", _csv(records)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue(), [name for name, _ in files]


def cover_for(sar, decision, actor) -> dict:
    """The cover sheet's facts (plain strings, so they are redacted like everything else)."""
    now = timezone.localtime()
    return {
        "reference": sar.reference,
        "subject": sar.subject_name,
        "about": sar.get_kind_display(),
        "requester": sar.requester_name,
        "received_on": f"{sar.received_on.day} {sar.received_on:%B %Y}",
        "decision": decision.get_decision_display(),
        "decided_on": f"{timezone.localtime(decision.decided_at):%d %B %Y}",
        "reason": decision.reason,
        "redacted_names": str(len(decision.redactions.get("names", []))),
        "redacted_terms": str(len(decision.redactions.get("terms", []))),
        "prepared_on": f"{now:%d %B %Y, %H:%M}",
        "prepared_by": str(actor),
    }
