"""Import files as an authority would upload them: a row of each kind (DRP, positive practice,
Designated Officer) with every column filled in, CSV and XLSX bytes, and running an import.
Shared by the import tests (tests/imports/) and the bulk update versions test."""

import csv
import io
from datetime import timedelta

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from imports import registry, services
from tests.support.auth import api_token
from workflows.clocks import today

TODAY = today()
PAST = TODAY - timedelta(days=60)
COLUMNS = {kind.name: list(kind.columns) for kind in registry.registered()}


def csv_bytes(rows, header=None, kind="drp"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or COLUMNS[kind])
    for row in rows:
        writer.writerow(row if isinstance(row, list) else [row.get(c, "") for c in (header or COLUMNS[kind])])
    return out.getvalue().encode()


def xlsx_bytes(rows, kind="drp"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS[kind])
    for row in rows:
        sheet.append([row.get(c, "") for c in COLUMNS[kind]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content, name="records.csv"):
    return SimpleUploadedFile(name, content)


def drp_row(**kw):
    row = {"reference": "H-1", "case_type": "CLA", "child_references": "C000001;C000002", "team": "north-1",
           "raised_on": PAST.isoformat(), "start_stage": "informal", "themes": "placement;Drift and delay",
           "status": "open", "closed_on": "", "closed_at_stage": ""}
    row.update(kw)
    return row


def pp_row(**kw):
    row = {"reference": "PPH-1", "case_type": "CP", "child_references": "C000001", "team": "North Team 1",
           "recorded_on": PAST.isoformat(), "practitioner": "A foster carer", "summary": "Kept the child safe"}
    row.update(kw)
    return row


def lado_row(**kw):
    row = {"reference": "DOH-1", "received_on": PAST.isoformat(), "sector": "public", "setting": "education",
           "category": "physical", "referral_source": "police", "threshold_met": "", "decided_on": "",
           "concluded_on": "", "outcome": ""}
    row.update(kw)
    return row


def run(org, kind, rows, user=None, name="records.csv", content=None, create_children=False):
    content = content if content is not None else csv_bytes(rows, kind=kind)
    return services.run_import(kind=kind, upload=upload(content, name), filename=name,
                               actor=user or (org.do_manager if kind == "lado" else org.iro_manager),
                               create_children=create_children)


def errors_of(result):
    return {(e["row"], e["column"]) for e in result.errors}


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client
