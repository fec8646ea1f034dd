"""The annual report document (issue 16): one document of the DRP, positive-practice and
Designated Officer sections whose numbers are the annual report's and the DRP indicators',
managers' commentary, small numbers suppressed for publication, the Word file, who may read and
write, and constant queries."""

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lado.models import Enquiry
from reports import disclosure, document, indicators, selectors, tables
from reports.models import ReportCommentary
from reports.services import commentary_save
from tests.support.auth import login
from tests.support.reports_helpers import drp, enquiry, practice

pytestmark = pytest.mark.django_db
URL = "/reports/annual/document/"


@pytest.fixture
def data(org):
    """2017: six CLA DRPs and one CP, two of them resolved at stage 2; positive practice; six DO
    enquiries concluded; 2016: two CLA DRPs."""
    for i in range(6):
        drp(org, date(2017, 5, 3 + i), "CLA", "stage-2", themes=("placement",),
            closed_on=date(2017, 6, 20) if i < 2 else None)
    drp(org, date(2017, 7, 3), "CP", themes=("health",))
    for i in range(2):
        drp(org, date(2016, 5, 3 + i), "CLA")
    for i in range(7):
        practice(org, date(2017, 8, 1 + i), "CP" if i < 5 else "CLA")
    for i in range(6):
        enquiry(org, date(2017, 5, 1 + i), Enquiry.Status.CONCLUDED, threshold_met=True, outcome="substantiated",
                closed_on=date(2017, 6, 1))
    return org


def _tables(doc) -> dict:
    return {t["id"]: t for section in doc["sections"] for t in section["tables"]}


def _rows(table):
    return [[str(c) if isinstance(c, (tables.Direction, tables.Suppressed)) else c for c in row]
            for row in table["rows"]]


def test_the_document_holds_the_annual_report_and_the_indicators_numbers(data):
    user = data.iro_manager
    doc = document.annual_document(user, 2017)
    assert [s["key"] for s in doc["sections"]] == ["drp", "positive-practice", "designated-officer"]
    found = _tables(doc)
    period = selectors.annual_periods(2017)[0]
    vocabularies = tables.vocabulary_names()
    annual = {t["id"]: t for t in tables.annual_tables(
        disclosure.annual_report_for(user, selectors.annual_report(2017), period, vocabularies),
        selectors.labels(), vocabularies)}
    for table_id in ("drps-raised", "closed-at-stage", "closed-at-stage-of-raised", "themes", "positive-practice",
                     "do-enquiries", "do-outcomes", "do-by-sector"):
        assert _rows(found[table_id]) == _rows(annual[table_id]), table_id
    indicator = {t["id"]: t for t in tables.drp_indicator_tables(indicators.drp_indicator_report(year=2017))}
    for table_id in ("drp-indicators", "time-to-resolution", "stage-deadlines-year", "teams-year", "iros-year"):
        assert _rows(found[table_id]) == _rows(indicator[table_id]), table_id
    # Counted by hand: 6 CLA and 1 CP raised in 2017 against 2 CLA and 0 CP in 2016.
    assert _rows(found["drps-raised"]) == [["Child protection (CP)", 1, 0, 1, "up"],
                                           ["Looked after (CLA)", 6, 2, 4, "up"]]
    # Outside the DO team, the DO section is the annual report's, suppressed: 6 received shows.
    assert found["do-enquiries"]["rows"][0][1] == 6
    assert str(found["do-outcomes"]["rows"][-1][1]) == "fewer than 5"


def test_publication_suppresses_small_numbers_in_every_table(data):
    doc = document.annual_document(data.do_manager, 2017, publication=True)
    found = _tables(doc)
    assert _rows(found["drps-raised"]) == [["Child protection (CP)", "fewer than 5", "fewer than 5", "not shown",
                                            "not shown"],
                                           ["Looked after (CLA)", 6, "fewer than 5", "not shown", "not shown"]]
    # Every count shown in the whole document is at least the threshold.
    for table in found.values():
        for row in table["rows"]:
            for cell in row[1:]:
                if isinstance(cell, int) and not isinstance(cell, bool) and "%" not in table["columns"][-1]:
                    assert cell >= 5, (table["id"], row)
    # The headline: 2 resolved is suppressed, and so is the median that rests on it.
    headline = {row[0]: row[1] for row in found["drp-indicators"]["rows"]}
    assert str(headline["DRPs resolved"]) == "fewer than 5"
    assert str(headline["Median working days from raised to resolution"]) == "not shown"
    # The DO Manager reads the publication version as everyone else would (reports.disclosure).
    assert doc["do_disclosure"]["level"] == disclosure.SUPPRESSED
    assert "iros-year" not in found  # staff names are not published
    # A chart with a bar below the threshold is left out; its table keeps the figures.
    assert found["themes"]["charts_left_out"] >= 1 and not found["themes"]["svg_charts"]
    # The exact version for the DO Manager is exact.
    exact = _tables(document.annual_document(data.do_manager, 2017))
    assert exact["do-outcomes"]["rows"][-1][1] == 0


def test_a_lone_suppressed_part_takes_a_second_one_with_it():
    from reports.publication import suppress_table
    table = {"id": "t", "title": "t", "columns": ["Row", "A", "B", "C", "Total"],
             "rows": [["r", 2, 7, 9, 18], ["s", 6, 7, 9, 22]], "totals": [(4, [1, 2, 3])]}
    rows = _rows(suppress_table(table, 5))
    assert rows == [["r", "fewer than 5", "not shown", 9, 18], ["s", 6, 7, 9, 22]]


def test_a_part_whose_rest_is_small_is_not_shown_nor_its_percentage():
    from reports.publication import suppress_table
    table = {"id": "t", "title": "t", "columns": ["Stage", "Due", "Answered in time", "Answered in time (%)"],
             "rows": [["one", 10, 9, 90.0], ["two", 10, 5, 50.0], ["three", 3, 3, 100.0]], "complements": [(1, 2)]}
    assert _rows(suppress_table(table, 5)) == [["one", 10, "not shown", "not shown"], ["two", 10, 5, 50.0],
                                               ["three", "fewer than 5", "fewer than 5", "not shown"]]


def test_running_year_publication_withholds_the_do_section(data, client):
    from workflows.clocks import as_of
    with as_of(date(2017, 9, 1)):
        doc = document.annual_document(data.do_manager, 2017, publication=True)
    do_section = doc["sections"][2]
    assert do_section["tables"] == [] and do_section["notes"] == [disclosure.WITHHELD_NOTE]


def test_the_page_print_and_word_file(data, client):
    from docx import Document
    login(client, data.iro_manager)
    commentary_save(year=2017, section_key="drp", text="Challenge rose.\n\nPlacement led.", actor=data.iro_manager)
    html = client.get(URL + "?year=2017").content.decode()
    for text in ("Dispute Resolution Procedure", "Positive practice", "Designated Officer", "Challenge rose.",
                 "<svg", "Download as Word"):
        assert text in html
    assert data.child.name not in html
    printed = client.get(URL + "?year=2017&print=1")
    assert printed.status_code == 200 and b"Challenge rose." in printed.content and b"Write the commentary" not in printed.content

    response = client.get(URL + "?year=2017&publication=1&format=docx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    word = Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in word.paragraphs]
    assert "Challenge rose." in paragraphs and "Placement led." in paragraphs
    assert any(p.startswith("Prepared for publication") for p in paragraphs)
    raised = next(t for t in word.tables if t.rows[1].cells[0].text == "Child protection (CP)")
    assert [[c.text for c in row.cells] for row in raised.rows] == [
        ["Case type", "This year", "Last year", "Variance", "Direction of travel"],
        ["Child protection (CP)", "fewer than 5", "fewer than 5", "not shown", "not shown"],
        ["Looked after (CLA)", "6", "fewer than 5", "not shown", "not shown"]]
    exact = Document(io.BytesIO(client.get(URL + "?year=2017&format=docx").content))
    raised = next(t for t in exact.tables if t.rows[1].cells[0].text == "Child protection (CP)")
    assert [c.text for c in raised.rows[2].cells] == ["Looked after (CLA)", "6", "2", "4", "Up on last year"]
    assert len(exact.tables) == sum(len(s["tables"]) for s in document.annual_document(data.iro_manager, 2017)["sections"])


def test_a_bad_year_is_400_naming_it(data, client):
    login(client, data.auditor)
    response = client.get(URL + "?year=17")
    assert response.status_code == 400 and b'href="#year"' in response.content


def test_readers_read_and_no_one_else(data, client):
    for user in (data.iro_manager, data.do_manager, data.auditor):
        login(client, user)
        assert client.get(URL + "?year=2017").status_code == 200
        assert client.get(URL + "?year=2017&format=docx").status_code == 200
    for user in (data.iro, data.social_worker, data.designated_officer, data.business_support, data.director):
        login(client, user)
        assert client.get(URL + "?year=2017").status_code == 403
        assert client.get(URL + "?year=2017&format=docx").status_code == 403
        assert client.get("/reports/annual/document/commentary/drp/?year=2017").status_code == 403


def test_commentary_is_written_by_the_right_manager_with_who_and_when(data, client):
    commentary_save(year=2017, section_key="positive-practice", text="Good work.", actor=data.iro_manager)
    saved = commentary_save(year=2017, section_key="designated-officer", text="Steady.", actor=data.do_manager)
    assert saved.updated_by == data.do_manager
    for user, key in ((data.do_manager, "drp"), (data.iro_manager, "designated-officer"), (data.auditor, "drp")):
        with pytest.raises(PermissionDenied):
            commentary_save(year=2017, section_key=key, text="x", actor=user)
    with pytest.raises(ValidationError) as refused:
        commentary_save(year=2017, section_key="drp", text="x" * 20_001, actor=data.iro_manager)
    assert "text" in refused.value.message_dict

    commentary_save(year=2017, section_key="positive-practice", text="Better work.", actor=data.iro_manager)
    entry = ReportCommentary.objects.get(year=2017, section="positive-practice")
    assert [(h.text, h.history_user) for h in entry.history.order_by("history_id")] == [
        ("Good work.", data.iro_manager), ("Better work.", data.iro_manager)]

    # The page: the DO Manager writes the DO section, not the DRP's; the IRO Manager the reverse.
    login(client, data.do_manager)
    url = "/reports/annual/document/commentary/designated-officer/?year=2017"
    assert client.get("/reports/annual/document/commentary/drp/?year=2017").status_code == 403
    assert client.post("/reports/annual/document/commentary/drp/?year=2017", {"text": "x"}).status_code == 403
    too_long = client.post(url, {"text": "y" * 20_001})
    assert too_long.status_code == 400 and b'href="#text"' in too_long.content
    response = client.post(url, {"text": "Referrals rose."})
    assert response.status_code == 302 and response.url.endswith("#section-designated-officer")
    assert ReportCommentary.objects.get(year=2017, section="designated-officer").text == "Referrals rose."
    assert client.get("/reports/annual/document/commentary/nothing/?year=2017").status_code == 404
    bad_year = client.post("/reports/annual/document/commentary/designated-officer/?year=17", {"text": "x"})
    assert bad_year.status_code == 400 and b'href="#year"' in bad_year.content and b'id="year"' in bad_year.content
    login(client, data.iro_manager)
    assert client.get(url).status_code == 403


def test_another_section_is_one_more_entry(data):
    added = document.Section("do-indicators", "Designated Officer indicators", document.DO_COMMENTARY,
                             lambda figures: [{"id": "x", "title": "X", "columns": ["A", "B"], "rows": [["a", 3]]}])
    document.register(added, after="designated-officer")
    try:
        doc = document.annual_document(data.auditor, 2017, publication=True)
        assert doc["sections"][-1]["key"] == "do-indicators"
        assert str(doc["sections"][-1]["tables"][0]["rows"][0][1]) == "fewer than 5"
    finally:
        document.SECTIONS.remove(added)


@pytest.mark.parametrize("publication", ["", "&publication=1"])
def test_constant_queries(org, client, publication):
    from tests.reports.test_reports_pages import _bulk
    login(client, org.iro_manager)
    client.get(URL + "?year=2017" + publication)  # the first request loads the calendar once per process
    counts = []
    for n in (1, 25):
        _bulk(org, n)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL + "?year=2017" + publication).status_code == 200
        # The working-day calendar loads its closure days once and again when they may have changed.
        counts.append(sum(1 for q in ctx.captured_queries if "workflows_closureday" not in q["sql"]))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 60, counts
