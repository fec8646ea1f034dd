"""Importing historical positive practice (registered with ``imports`` in the app's ``ready()``).

Positive practice has no open or closed state: a record an import made, and nobody has
touched since, may be corrected by importing it again; one recorded in Footprint never is.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from imports import values
from imports.importer import Column, Importer
from imports.registry import ImportKind

from .access import IMPORTERS
from .models import PositivePractice, TimelineEvent

COLUMNS = ("reference", "case_type", "child_references", "team", "recorded_on", "practitioner", "summary")
#: Positive practice is noted by the reviewing service, whose IROs date from 2004.
EARLIEST = date(2004, 1, 1)


class PositivePracticeImporter(Importer):
    model = PositivePractice
    fields = ("case_type", "team", "recorded_on", "practitioner_name", "what_happened")
    sequence = ("positive-practice", re.compile(r"^PP-(\d+)$"))
    children_column = "child_references"
    made_in_footprint = "recorded"
    #: The file has no impact column; the model requires one.
    IMPACT_NOT_RECORDED = "Not recorded"

    def __init__(self, actor, filename, **options):
        super().__init__(actor, filename, **options)
        self.teams = values.Teams()

    def parse(self, row, errors):
        return {"reference": values.reference(row["reference"], errors),
                "case_type": values.case_type(row["case_type"], errors),
                "children": values.child_references(row["child_references"], errors),
                "team": self.teams.read(row["team"], errors),
                "recorded_on": values.date_value(row["recorded_on"], "recorded_on", errors, required=True,
                                                 on=self.today, earliest=EARLIEST),
                "practitioner_name": values.text(row["practitioner"], "practitioner", errors, 200, required=False),
                "what_happened": values.text(row["summary"], "summary", errors, None, required=True)}

    def describe(self):
        return [
            Column("reference", "Your reference for the record (up to 40 characters); rows are matched by it.", True),
            Column("case_type", "Why the child is known to the service.", True, tuple(values.CASE_TYPES.allowed())),
            Column("child_references", "Each child's reference, separated by ;.", True),
            Column("team", "The team, by name or slug (may be empty).", False, tuple(self.teams.allowed())),
            Column("recorded_on", f"A date ({values.DATE_FORMS}), on or after {EARLIEST:%-d %B %Y}.", True),
            Column("practitioner", "Who it was (up to 200 characters; may be empty).", False),
            Column("summary", "What happened.", True),
        ]

    def example(self):
        team = next(iter(self.teams.options), None)
        return {"reference": "PP-EXAMPLE-1", "case_type": values.CASE_TYPES.options[0][0],
                "child_references": "EXAMPLE-CHILD-1", "team": team[1] if team else "",
                "recorded_on": (self.today - timedelta(days=30)).strftime("%d/%m/%Y"),
                "practitioner": "A. Practitioner", "summary": "Visited the child at school and rearranged "
                                                              "contact around exams."}

    def new(self, data):
        return PositivePractice(reference=data["reference"], recorded_by=self.actor,
                                impact=self.IMPACT_NOT_RECORDED)

    def fill(self, pp, data, children):
        pp.case_type = data["case_type"]
        pp.team = data["team"]
        pp.recorded_on = data["recorded_on"]
        pp.practitioner_name = data["practitioner_name"]
        pp.what_happened = data["what_happened"]

    def after_write(self, pairs, children):
        self.replace_links("children", {pp.pk: [children[ref].pk for ref in data["children"]]
                                        for pp, data in pairs})
        self.insert(TimelineEvent, [TimelineEvent(positive_practice=pp, actor=self.actor, note=self.reason,
                                                  action=TimelineEvent.Action.IMPORTED) for pp, _ in pairs],
                    history=False)


KIND = ImportKind(name="positive_practice", label="Positive practice", columns=COLUMNS, roles=IMPORTERS,
                  importer=PositivePracticeImporter, order=20)
