"""The Designated Officer's record is an **enquiry** (``lado.Enquiry``, /api/v1/lado/enquiries/,
the domain brief) wherever the DO team reads it: its pages, form and page messages, refusals,
reminders and alerts, the API's help texts and the reports' DO section. A word scan keeps
"case" from coming back; what may still say it is listed here, each with why."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from reports import disclosure, selectors, tables
from reports.benchmark import DO_FIGURES
from reports.periods import reporting_year, reporting_year_of
from reports.serializers import DesignatedOfficerFiguresSerializer
from tests.support.auth import login
from tests.support.lado_fixtures import concluded, in_progress, log
from workflows.clocks import today

ROOT = Path(settings.BASE_DIR)
CASE = re.compile(r"\bcases?\b", re.IGNORECASE)

#: Text that says "case" and means something other than the enquiry: (file, the text, why).
ALLOWED = {
    ("lado/forms/enquiry.py", "Children's case references"): "the children's own case references, not the enquiry",
}


def case_words(text: str) -> list[str]:
    return [match.group(0) for match in CASE.finditer(text)]


def _strings(path: Path):
    """Every string a person can be shown from a Python module: its literals (f-string parts
    included), not its docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def _do_facing_text():
    """(where, text) for every DO page template, DO message template and string in lado's code."""
    templates = ROOT / "templates"
    for path in sorted([*templates.glob("lado/*.html"), *templates.glob("notifications/messages/lado-*.txt")]):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            yield f"{path.relative_to(ROOT)}:{number}", str(path.relative_to(ROOT)), line
    for path in sorted((ROOT / "lado").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for number, text in _strings(path):
            yield f"{path.relative_to(ROOT)}:{number}", str(path.relative_to(ROOT)), text


def test_the_scan_finds_the_word_it_looks_for():
    assert case_words("Return to the case") == ["case"]
    assert case_words("Closed DO Cases") == ["Cases"]
    assert case_words("Enquiries open; casework; case_type; showcase") == []


def test_do_pages_and_messages_call_the_record_an_enquiry():
    found = [(where, text.strip()) for where, path, text in _do_facing_text()
             if case_words(text) and (path, text.strip()) not in ALLOWED]
    assert not found, "Say enquiry, not case (or add it to ALLOWED with why):\n" + "\n".join(
        f"  {where}: {text}" for where, text in found)


def test_every_allowed_use_is_still_there():
    """An allow-list entry nobody needs any more goes, so the list stays a list of reasons."""
    seen = {(path, text.strip()) for _, path, text in _do_facing_text()}
    assert set(ALLOWED) <= seen


def test_reports_do_section_and_api_help_say_enquiries(org):
    """The annual report's DO tables (titles, columns, row labels), the benchmark's DO figures
    and the API's DO help texts."""
    concluded(org)
    in_progress(org)
    year = reporting_year_of(today())
    period = reporting_year(year)
    vocabularies = tables.vocabulary_names()
    report = disclosure.annual_report_for(org.do_manager, selectors.annual_report(year), period, vocabularies)
    do_tables = [t for t in tables.annual_tables(report, selectors.labels(), vocabularies) if t["section"] == "do"]
    assert do_tables
    shown = [t["title"] for t in do_tables] + [c for t in do_tables for c in t["columns"]]
    shown += [str(row[0]) for t in do_tables for row in t["rows"]]
    shown += [f"{label} {definition}" for _, label, definition, _ in DO_FIGURES]
    shown += [str(field.help_text or "") for field in DesignatedOfficerFiguresSerializer().fields.values()]
    assert [text for text in shown if case_words(text)] == []
    assert any("nquiries" in text for text in shown)


def test_do_pages_as_the_do_team_sees_them_say_enquiry(org, client):
    """Rendered pages, so wording from the views and included templates counts too."""
    enquiry = log(org)
    login(client, org.do_manager)
    pages = ["lado:tray", "lado:retention-review", "lado:destruction-log", "lado:reads-by-user", "lado:alerts",
             "lado:retention-rules", "lado:do-team", "lado:access-review"]
    urls = [reverse(name) for name in pages] + [reverse("lado:tray") + "?closed=1"]
    urls += [reverse(f"lado:{name}", args=[enquiry.pk]) for name in ("detail", "access-log", "conclude", "cancel")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        main = page[page.index("<main"):page.index("</main>")]
        assert case_words(re.sub(r"<[^>]+>", " ", main)) == [], url
