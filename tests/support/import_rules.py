"""Helpers shared by the import rule tests (tests/imports/test_import_rules.py and
test_import_background_jobs.py): rows and files of each kind, running an import as a person, and
clients for the page and the API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from rest_framework.test import APIClient

from imports import registry
from tests.support.auth import api_token
from workflows.clocks import today

TODAY = today()
PAST = TODAY - timedelta(days=60)


def columns(kind):
    return registry.get(kind).columns


def csv_bytes(rows, kind="drp"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns(kind))
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns(kind)])
    return out.getvalue().encode()


def drp_row(**kw):
    row = {"reference": "H-1", "case_type": "CLA", "child_references": "C000001", "team": "north-1",
           "raised_on": PAST.isoformat(), "start_stage": "informal", "themes": "placement",
           "status": "resolved", "closed_on": TODAY.isoformat(), "closed_at_stage": ""}
    row.update(kw)
    return row


def lado_row(**kw):
    row = {"reference": "DOH-1", "received_on": PAST.isoformat(), "sector": "public", "setting": "education",
           "category": "physical", "referral_source": "police", "threshold_met": "yes",
           "decided_on": (PAST + timedelta(days=1)).isoformat(),
           "concluded_on": (PAST + timedelta(days=20)).isoformat(), "outcome": "unfounded"}
    row.update(kw)
    return row


def api_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client
