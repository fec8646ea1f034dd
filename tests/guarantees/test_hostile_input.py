"""Hostile input on every form: 100,000 characters in every text box, markup in free text, dates
that do not exist or are in the future, unknown choices, oversized and malformed uploads.

Each must get a clear message in the GOV.UK error summary that names the field, save nothing
(rows counted before and after) and never a server error. Markup that is valid text is stored
as typed and shown escaped on every page that displays it; plain-text emails cannot run it; and
every export (CSV, XLSX) neutralises cells that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Callable

import openpyxl
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import override_settings

from drp import services as drp_services
from drp.models import DisputeResolution, Theme
from drp.models import TimelineEvent as DrpEvent
from lado.models import Action, DestructionLog, Enquiry, Meeting
from lado.models import TimelineEvent as DoEvent
from notifications.models import Notification, Preference
from positive_practice.models import PositivePractice
from workflows.clocks import today

from tests.support.auth import login
from tests.support.lado_fixtures import concluded, in_progress, log, meet

pytestmark = pytest.mark.django_db

BIG = "x" * 100_000
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MARKUP = f"Concern {SCRIPT} and {IMG}"
FORMULA = '=HYPERLINK("http://evil.example","Click")'


def date_fields(name: str, day, month, year) -> dict:
    return {f"{name}_0": str(day), f"{name}_1": str(month), f"{name}_2": str(year)}


def on(name: str, day: date) -> dict:
    return date_fields(name, day.day, day.month, day.year)


TOMORROW = today() + timedelta(days=1)
BAD_DATES = {
    "30 February": (30, 2, 2026),
    "words": ("yesterday", "June", "last year"),
    "year 99999": (1, 1, 99999),
    "year 99": (1, 1, 99),
}

#: Every table a form can write to: nothing may change when a form is refused.
TABLES: list[type[Model]] = [DisputeResolution, DrpEvent, PositivePractice, Enquiry, DoEvent, Meeting, Action,
                             DestructionLog, Notification, Preference]


def counts() -> dict[str, int]:
    return {model.__name__ + model.__module__: model.objects.count() for model in TABLES}


class World:
    """One case in each state a form needs, made through the real services when first asked for."""

    def __init__(self, org):
        self.org = org

    @cached_property
    def drp(self):
        return drp_services.drp_raise(actor=self.org.iro, children=[self.org.child], case_type="CLA",
                                      themes=[Theme.objects.get(slug="placement")], concern="Placement at risk")

    @cached_property
    def new_case(self):
        return log(self.org)

    @cached_property
    def meeting_case(self):
        return meet(self.org, log(self.org, subject_name="Mark Fenwick"))

    @cached_property
    def running_case(self):
        return in_progress(self.org, subject_name="Sarah Collins")

    @cached_property
    def action(self):
        return Action.objects.create(enquiry=self.running_case, kind="police-investigation",
                                     owner_name="DS Lee", recorded_by=self.org.designated_officer)

    @cached_property
    def closed_case(self):
        return concluded(self.org, subject_name="Gareth Powell")


@dataclass
class FormCase:
    """A form: who uses it, where it posts, a valid answer, and what kinds of field it has."""

    who: str
    url: Callable[[World], str]
    valid: Callable[[World], dict]
    text: tuple[str, ...] = ()  # free text, shown back on pages (markup must be escaped there)
    other_text: tuple[str, ...] = ()  # boxes for references and times: length-checked too
    dates: tuple[str, ...] = ()  # GOV.UK date inputs
    past_only: tuple[str, ...] = ()  # dates that cannot be in the future
    choices: dict[str, str] = field(default_factory=dict)  # field -> a value it does not offer
    shows: Callable[[World], list[tuple[str, str]]] = lambda w: []  # (who, page) showing the text


ENQUIRY = {"how": "phone", "summary": "Pupil reports being pushed.", "received_time": "10:05"}
FORMS = {
    "drp-raise": FormCase(
        "iro", lambda w: "/drps/raise/",
        lambda w: {"children": "C000001", "case_type": "CLA", "themes": ["placement"], "concern": "At risk",
                   "stage": "informal"},
        text=("concern",), other_text=("children",), dates=("raised_on",), past_only=("raised_on",),
        choices={"case_type": "XYZ", "themes": "made-up", "stage": "stage-99"},
        shows=lambda w: [("iro", f"/drps/{DisputeResolution.objects.latest('id').pk}/"),
                         ("social_worker", "/drps/awaiting-my-response/"), ("social_worker", "/notifications/")]),
    "drp-respond": FormCase(
        "social_worker", lambda w: f"/drps/{w.drp.pk}/respond/", lambda w: {"response": "Agreed"},
        text=("response",), shows=lambda w: [("iro", f"/drps/{w.drp.pk}/"), ("iro", "/notifications/")]),
    "drp-escalate": FormCase(
        "iro", lambda w: f"/drps/{w.drp.pk}/escalate/", lambda w: {"stage": "stage-1", "reason": "Drift"},
        text=("reason",), choices={"stage": "stage-99"}, shows=lambda w: [("iro", f"/drps/{w.drp.pk}/")]),
    "drp-resolve": FormCase(
        "iro", lambda w: f"/drps/{w.drp.pk}/resolve/", lambda w: {"outcome": "Done", "impact": "Seen", "impact_codes": ["plan-changed"],
                                                            "child_informed": "yes", "advocacy_offered": "no"},
        text=("outcome", "impact"), shows=lambda w: [("iro", f"/drps/{w.drp.pk}/")]),
    "drp-withdraw": FormCase(
        "iro", lambda w: f"/drps/{w.drp.pk}/withdraw/", lambda w: {"reason": "Settled"},
        text=("reason",), shows=lambda w: [("iro", f"/drps/{w.drp.pk}/")]),
    "drp-refer-to-cafcass": FormCase(
        "iro", lambda w: f"/drps/{w.drp.pk}/refer-to-cafcass/", lambda w: {"reason": "Drift harms the child"},
        text=("reason",), shows=lambda w: [("iro", f"/drps/{w.drp.pk}/")]),
    "positive-practice": FormCase(
        "iro", lambda w: "/positive-practice/record/",
        lambda w: {"children": "C000001", "case_type": "CLA", "what_happened": "Visited weekly",
                   "impact": "Felt safe"},
        text=("what_happened", "impact", "practitioner_name"), other_text=("children", "drp"),
        choices={"case_type": "XYZ", "team": "no-such-team", "practitioner": "999999"},
        shows=lambda w: [("iro", f"/positive-practice/{PositivePractice.objects.latest('id').pk}/"),
                         ("complaints", "/positive-practice/"), ("social_worker", "/notifications/")]),
    "do-log": FormCase(
        "designated_officer", lambda w: "/lado/log/", lambda w: {**ENQUIRY, **on("received_on", today())},
        text=("summary", "referrer_name", "referrer_organisation", "subject_name", "subject_role",
              "subject_employer", "children_description"),
        other_text=("children", "received_time"), dates=("received_on", "subject_date_of_birth"),
        past_only=("received_on", "subject_date_of_birth"),
        choices={"how": "pigeon", "category": "rudeness", "sector": "moon", "officer": "999999"},
        shows=lambda w: [("designated_officer", f"/lado/{Enquiry.objects.latest('id').pk}/"),
                         ("designated_officer", "/lado/")]),
    "do-edit": FormCase(
        "designated_officer", lambda w: f"/lado/{w.new_case.pk}/edit/",
        lambda w: {**ENQUIRY, **on("received_on", w.new_case.received_on)},
        text=("summary", "subject_name"), dates=("received_on",), past_only=("received_on",),
        choices={"how": "pigeon", "setting": "moon"},
        shows=lambda w: [("designated_officer", f"/lado/{w.new_case.pk}/")]),
    "do-decide": FormCase(
        "designated_officer", lambda w: f"/lado/{w.new_case.pk}/decide/",
        lambda w: {"threshold_met": "no", "rationale": "Accident", "advice": "Follow procedures"},
        text=("rationale", "advice"), choices={"threshold_met": "maybe", "criteria": "rude"},
        shows=lambda w: [("designated_officer", f"/lado/{w.new_case.pk}/")]),
    "do-meeting": FormCase(
        "designated_officer", lambda w: f"/lado/{w.meeting_case.pk}/meetings/new/",
        lambda w: {"kind": "initial", **on("held_on", today()), "attendees": "DO, Police",
                   "decisions": "Police to investigate"},
        text=("attendees", "minutes", "decisions"), dates=("held_on", "next_review_on"), past_only=("held_on",),
        choices={"kind": "party"}, shows=lambda w: [("designated_officer", f"/lado/{w.meeting_case.pk}/")]),
    "do-action": FormCase(
        "designated_officer", lambda w: f"/lado/{w.running_case.pk}/actions/new/",
        lambda w: {"kind": "suspension", "owner_name": "Head of setting"},
        text=("owner_name", "owner_agency", "notes"), dates=("due_on",),
        choices={"kind": "party", "regulator": "nobody"},
        shows=lambda w: [("designated_officer", f"/lado/{w.running_case.pk}/")]),
    "do-action-update": FormCase(
        "designated_officer", lambda w: f"/lado/{w.running_case.pk}/actions/{w.action.pk}/",
        lambda w: {"notes": "Interview booked"}, text=("notes",), dates=("due_on", "done_on"),
        past_only=("done_on",), shows=lambda w: [("designated_officer", f"/lado/{w.running_case.pk}/")]),
    "do-conclude": FormCase(
        "designated_officer", lambda w: f"/lado/{w.running_case.pk}/conclude/",
        lambda w: {"outcome": "unfounded", "note": "No evidence"}, text=("note",), dates=("concluded_on",),
        past_only=("concluded_on",), choices={"outcome": "maybe"},
        shows=lambda w: [("designated_officer", f"/lado/{w.running_case.pk}/")]),
    "do-cancel": FormCase(
        "designated_officer", lambda w: f"/lado/{w.new_case.pk}/cancel/", lambda w: {"reason": "Withdrawn"},
        text=("reason",), shows=lambda w: [("designated_officer", f"/lado/{w.new_case.pk}/")]),
    "do-legal-hold": FormCase(
        "designated_officer", lambda w: f"/lado/{w.new_case.pk}/legal-hold/", lambda w: {"reason": "Inquiry"},
        text=("reason",), shows=lambda w: [("designated_officer", f"/lado/{w.new_case.pk}/")]),
    "do-retention": FormCase(
        "do_manager", lambda w: f"/lado/{w.closed_case.pk}/retention/",
        lambda w: {**on("review_on", today() + timedelta(days=90)), "reason": "Court order"},
        text=("reason",), dates=("review_on",), shows=lambda w: [("do_manager", f"/lado/{w.closed_case.pk}/")]),
    "notification-preferences": FormCase(
        "iro", lambda w: "/notifications/preferences/", lambda w: {"email": "daily"},
        choices={"email": "hourly"}),
}


@pytest.fixture
def world(org):
    return World(org)


def post(client, org, case: FormCase, w: World, **changes):
    url, data = case.url(w), {**case.valid(w), **changes}  # the case exists before counting starts
    login(client, getattr(org, case.who))
    return client.post(url, data)


def assert_refused(response, *messages: str):
    """A clear refusal: the page again with the GOV.UK error summary naming the problem."""
    page = response.content.decode()
    assert response.status_code in (200, 400), response.status_code
    assert "govuk-error-summary" in page, page[:2000]
    for message in messages:
        assert message in page, (message, page[page.find("govuk-error-summary"):][:1500])


ALL_TEXT = [(name, box) for name, case in FORMS.items() for box in case.text + case.other_text]


@pytest.mark.parametrize("form,box", ALL_TEXT, ids=[f"{f}-{b}" for f, b in ALL_TEXT])
def test_100k_characters_are_refused_naming_the_field(client, org, world, form, box):
    case = FORMS[form]
    case.url(world), case.valid(world)  # make the case first: only the form's writes are counted
    before = counts()
    response = post(client, org, case, world, **{box: BIG})
    assert_refused(response, "characters or fewer")
    assert counts() == before


@pytest.mark.parametrize("form", [name for name, case in FORMS.items() if case.text])
def test_markup_in_free_text_is_kept_as_typed_and_shown_escaped_everywhere(client, org, world, form):
    case = FORMS[form]
    mail.outbox = []
    response = post(client, org, case, world, **{box: MARKUP for box in case.text})
    assert response.status_code == 302, response.content.decode()[:3000]
    pages = case.shows(world)
    assert pages
    shown = 0
    for who, url in pages:
        client.logout()
        page = login(client, getattr(org, who)).get(url).content.decode()
        assert SCRIPT not in page and "<img src=x" not in page, (who, url)
        shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert shown, "the text is shown (escaped) somewhere"
    for message in mail.outbox:  # emails are plain text only: markup in them cannot run
        assert not getattr(message, "alternatives", None)
        assert message.content_subtype == "plain"


DATED = [(name, box, bad) for name, case in FORMS.items() for box in case.dates for bad in BAD_DATES]


@pytest.mark.parametrize("form,box,bad", DATED, ids=[f"{f}-{b}-{d}" for f, b, d in DATED])
def test_dates_that_do_not_exist_are_refused_naming_the_field(client, org, world, form, box, bad):
    case = FORMS[form]
    case.url(world), case.valid(world)  # make the case first: only the form's writes are counted
    before = counts()
    response = post(client, org, case, world, **date_fields(box, *BAD_DATES[bad]))
    assert_refused(response, "must be a real date")
    assert counts() == before


FUTURE = [(name, box) for name, case in FORMS.items() for box in case.past_only]


@pytest.mark.parametrize("form,box", FUTURE, ids=[f"{f}-{b}" for f, b in FUTURE])
def test_future_dates_are_refused_where_they_cannot_be(client, org, world, form, box):
    case = FORMS[form]
    case.url(world), case.valid(world)  # make the case first: only the form's writes are counted
    before = counts()
    response = post(client, org, case, world, **on(box, TOMORROW))
    assert_refused(response, "in the past")
    assert counts() == before


CHOICES = [(name, box) for name, case in FORMS.items() for box in case.choices]


@pytest.mark.parametrize("form,box", CHOICES, ids=[f"{f}-{b}" for f, b in CHOICES])
def test_unknown_choices_are_refused_naming_the_field(client, org, world, form, box):
    case = FORMS[form]
    case.url(world), case.valid(world)  # make the case first: only the form's writes are counted
    before = counts()
    preference = Preference.objects.filter(user=getattr(org, case.who)).values_list("email", flat=True).first()
    response = post(client, org, case, world, **{box: case.choices[box]})
    assert_refused(response, "valid option")
    assert counts() == before
    assert Preference.objects.filter(user=getattr(org, case.who)).values_list(
        "email", flat=True).first() == preference


# --- Reports filters ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/reports/annual/?year=99999", "/reports/annual/?year=abc",
                                 "/reports/monthly/?month=2026-13", "/reports/monthly/?month=yesterday",
                                 "/reports/learning/?year=-1", "/reports/annual/?year=" + "9" * 5000])
def test_report_filters_refuse_nonsense_with_a_message(client, org, url):
    response = login(client, org.iro_manager).get(url)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()


# --- Uploads -----------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
UPLOADS = {
    "a PNG renamed .xlsx": ("records.xlsx", PNG, "XLSX file cannot be read"),
    "a PNG renamed .csv": ("records.csv", PNG, "UTF-8"),
    "a CSV that is not UTF-8": ("records.csv", "reference,raised_on\nDRP-1,2024-01-01\n".encode("utf-16"), "UTF-8"),
    "invalid UTF-8 bytes": ("records.csv", b"reference,concern\nDRP-1,caf\xe9 \xff\xfe\n", "UTF-8"),
    "an empty file": ("records.csv", b"", ""),
    "an image": ("photo.png", PNG, "must be a CSV"),
    "a broken zip as .xlsx": ("records.xlsx", b"PK\x03\x04" + b"\x00" * 100, "XLSX file cannot be read"),
}


@pytest.mark.parametrize("name", list(UPLOADS))
def test_malformed_uploads_are_refused_with_a_message(client, org, name):
    filename, content, message = UPLOADS[name]
    before = counts()
    response = login(client, org.iro_manager).post(
        "/imports/", {"kind": "drp", "file": SimpleUploadedFile(filename, content)})
    assert_refused(response, message)
    assert counts() == before


@override_settings(FOOTPRINT_IMPORT_MAX_BYTES=1024 * 1024)
def test_an_upload_over_the_limit_is_refused_before_it_is_read(client, org):
    big = b"reference,concern\n" + b"DRP-1," + b"y" * (2 * 1024 * 1024) + b"\n"
    before = counts()
    response = login(client, org.iro_manager).post(
        "/imports/", {"kind": "drp", "file": SimpleUploadedFile("big.csv", big)})
    assert_refused(response, "The file must be smaller than 1 MB")
    assert counts() == before
    api = client.post("/api/imports/", {"kind": "drp", "file": SimpleUploadedFile("big.csv", big)})
    assert api.status_code == 400 and "smaller than 1 MB" in api.json()["errors"][0]["message"]


def test_a_zip_bomb_ish_workbook_is_refused_or_read_without_harm(client, org):
    """A workbook whose one sheet claims a million rows of nothing: refused cleanly, no 500."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["reference", "concern"])
    sheet.cell(row=1_000_000, column=1, value="")
    out = io.BytesIO()
    book.save(out)
    before = counts()
    response = login(client, org.iro_manager).post(
        "/imports/", {"kind": "drp", "file": SimpleUploadedFile("rows.xlsx", out.getvalue())})
    assert response.status_code in (200, 302, 400)
    assert counts() == before


# --- Exports -----------------------------------------------------------------------------------

def _csv_cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def _xlsx_cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _no_formula(cells) -> None:
    for cell in cells:
        if isinstance(cell, str):
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_positive_practice_csv_neutralises_formulas(client, org):
    login(client, org.iro).post("/positive-practice/record/", {
        "children": "C000001", "case_type": "CLA", "what_happened": FORMULA, "impact": "+1+1",
        "practitioner_name": "@SUM(A1:A9)"})
    content = b"".join(login(client, org.complaints).get("/positive-practice/?format=csv").streaming_content)
    cells = _csv_cells(content)
    assert "'" + FORMULA in cells and "'+1+1" in cells
    _no_formula(cells)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("report", ["annual", "monthly", "learning"])
def test_report_exports_neutralise_formulas_in_names(client, org, report, fmt):
    org.team.name = "=cmd|' /C calc'!A0"
    org.team.save()
    org.iro.first_name, org.iro.last_name = "-2+3", "@Evil"
    org.iro.save()
    drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                           themes=[Theme.objects.get(slug="placement")], concern=FORMULA)
    response = login(client, org.iro_manager).get(f"/reports/{report}/?format={fmt}")
    assert response.status_code == 200
    _no_formula(_csv_cells(response.content) if fmt == "csv" else _xlsx_cells(response.content))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_access_log_export_neutralises_formulas(client, org, fmt):
    drp = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                 themes=[Theme.objects.get(slug="placement")], concern="x")
    drp_services.drp_withdraw(drp=drp, actor=org.iro, reason=FORMULA)
    org.iro.first_name = "=Priya"
    org.iro.save()
    response = login(client, org.iro_manager).get(f"/audit/?format={fmt}")
    assert response.status_code == 200, response.content[:500]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    _no_formula(_csv_cells(content) if fmt == "csv" else _xlsx_cells(content))
