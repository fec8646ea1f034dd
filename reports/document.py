"""The annual report document (issue 16): the DRP, positive-practice and Designated Officer
sections of a reporting year as one document, for the page, its print version and the Word file.

The sections are a registry (:data:`SECTIONS`): each is a key, a title, who writes its
commentary and a builder that returns its tables (``reports.tables`` shape, charts included).
Another section (new Designated Officer indicators, say) is one more :func:`register` call.
Builders read the year's figures from one :class:`Figures` per document, computed once, so the
document runs a fixed number of queries whatever the data and however many sections use them.

The figures are the annual report's (``selectors.annual_report``, through
``reports.disclosure`` for the DO section) and the year's DRP indicators
(``reports.indicators``): the same numbers as those pages. ``publication`` suppresses small
numbers in every table (``reports.publication``) and gives the DO section as it may leave the
authority; it also leaves out the per-IRO table (staff names are not for publication).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Callable

from workflows.clocks import today

from . import disclosure, indicators, selectors, tables
from .access import DO_COMMENTARY, DRP_COMMENTARY, can_write_commentary
from .charts import bar_chart
from .models import ReportCommentary
from .periods import reporting_year
from .publication import suppress_tables


class Figures:
    """The year's figures, each computed at most once, as ``user`` may see them."""

    def __init__(self, user, year: int, publication: bool, on: date | None = None):
        self.user, self.year, self.publication, self.on = user, year, publication, on or today()
        self.period = reporting_year(year)

    @cached_property
    def labels(self) -> dict:
        return selectors.labels()

    @cached_property
    def vocabularies(self) -> dict:
        return tables.vocabulary_names()

    @cached_property
    def annual(self) -> dict:
        return disclosure.annual_report_for(self.user, selectors.annual_report(self.year), self.period,
                                            self.vocabularies, self.on, publication=self.publication)

    @cached_property
    def annual_tables(self) -> dict[str, dict]:
        return {t["id"]: t for t in tables.annual_tables(self.annual, self.labels, self.vocabularies)}

    @cached_property
    def indicator_tables(self) -> dict[str, dict]:
        report = indicators.drp_indicator_report(year=self.year)
        return {t["id"]: t for t in tables.drp_indicator_tables(report)}


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    writers: frozenset  # roles who write its commentary (``reports.access``)
    build: Callable[[Figures], list[dict]]
    counted: str = ""  # how the figures are counted, printed under the tables
    notes: Callable[[Figures], list[str]] = lambda figures: []  # said before the tables


def _stage_totals(table: dict) -> dict:
    """The stage tables' last column is the total of the stages before it."""
    last = len(table["columns"]) - 1
    return table | {"totals": [(last, list(range(1, last)))]}


def _band_totals(table: dict) -> dict:
    """Band tables: DRPs (column 1) is the sum of the bands (columns 3 onwards)."""
    return table | {"totals": [(1, list(range(3, len(table["columns"]))))]}


def drp_section(figures: Figures) -> list[dict]:
    annual, ind, year = figures.annual_tables, figures.indicator_tables, "year"
    found = [annual["drps-raised"], _stage_totals(annual["closed-at-stage"]),
             _stage_totals(annual["closed-at-stage-of-raised"]), annual["themes"],
             ind["drp-indicators"], _band_totals(ind["time-to-agreed-actions"]),
             _band_totals(ind["time-to-resolution"]),
             ind[f"stage-deadlines-{year}"] | {"complements": [(1, 2)]},
             ind[f"partner-agencies-{year}"], ind[f"impact-{year}"], ind[f"teams-{year}"]]
    if not figures.publication:
        found.append(ind[f"iros-{year}"])
    return found


def positive_practice_section(figures: Figures) -> list[dict]:
    table = figures.annual_tables["positive-practice"]
    return [table | {"charts": [{"title": "Positive practice recorded this year, by case type",
                                 "bars": [(row[0], row[1]) for row in table["rows"]]}]}]


def designated_officer_section(figures: Figures) -> list[dict]:
    return [t for t in figures.annual_tables.values() if t["section"] == "do"]


def designated_officer_notes(figures: Figures) -> list[str]:
    """Why the DO figures are withheld or suppressed, for whoever reads them so."""
    note = figures.annual["designated_officer_disclosure"]["note"]
    return [note] if note else []


SECTIONS: list[Section] = [
    Section("drp", "Dispute Resolution Procedure", DRP_COMMENTARY, drp_section,
            "DRPs raised count DRPs whose raised date is in the year. The stage tables count DRPs resolved or "
            "withdrawn by the stage they closed at. Themes count DRPs raised in the year with each theme. The "
            "indicators count as the DRP indicators report does: working days, stages whose deadline fell in "
            "the year, agreed actions due in the year, impact for DRPs resolved in the year."),
    Section("positive-practice", "Positive practice", DRP_COMMENTARY, positive_practice_section,
            "Positive practice records whose recorded date is in the year, by case type."),
    Section("designated-officer", "Designated Officer", DO_COMMENTARY, designated_officer_section,
            "Enquiries and their breakdowns count enquiries received in the year; outcomes and timeliness count "
            "cases concluded or cancelled in the year; open cases are counted on 31 March by time since referral.",
            designated_officer_notes),
]


def register(section: Section, after: str | None = None) -> None:
    """Add a section to the document, at the end or after the section keyed ``after``."""
    keys = [s.key for s in SECTIONS]
    if section.key in keys:
        raise ValueError(f"A section {section.key!r} is already in the annual report document.")
    SECTIONS.insert(keys.index(after) + 1 if after else len(SECTIONS), section)


def section(key: str) -> Section | None:
    return next((s for s in SECTIONS if s.key == key), None)


def _with_charts(table_list: list[dict], section_key: str) -> list[dict]:
    for table in table_list:
        table["svg_charts"] = [bar_chart(chart["title"], chart["bars"], f"{section_key}-{table['id']}-chart-{i}",
                                         label_heading=table["columns"][0])
                               for i, chart in enumerate(table.get("charts", []))]
    return table_list


def annual_document(user, year: int, *, publication: bool = False, on: date | None = None) -> dict:
    """The document for ``user``: its sections, each with its tables and commentary."""
    figures = Figures(user, year, publication, on)
    threshold = disclosure.small_number_threshold()
    commentary = {c.section: c for c in ReportCommentary.objects.filter(year=year).select_related("updated_by")}
    sections = []
    for entry in SECTIONS:
        table_list = [dict(t) for t in entry.build(figures)]
        if publication:
            table_list = suppress_tables(table_list, threshold)
        sections.append({"key": entry.key, "title": entry.title, "counted": entry.counted,
                         "commentary": commentary.get(entry.key),
                         "can_write": can_write_commentary(user, entry), "notes": entry.notes(figures),
                         "tables": _with_charts(table_list, entry.key)})
    report = figures.annual
    return {
        "year": year, "period": figures.period, "publication": publication, "threshold": threshold,
        "year_to_date": report["year_to_date"],
        "counted_from": date.fromisoformat(report["period"]["start"]),
        "counted_to": date.fromisoformat(report["period"]["end"]),
        "heading": f"Annual report {year} to {year + 1}" + (": year to date" if report["year_to_date"] else ""),
        "do_disclosure": report["designated_officer_disclosure"],
        "sections": sections,
    }
