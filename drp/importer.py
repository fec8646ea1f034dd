"""Importing historical DRPs (registered with ``imports`` in ``DrpConfig.ready``).

The clocks are the services' own (``drp.clocks``), from the start stage and the date raised;
the addressee of an open DRP is found as when one is raised (``stages.find_addressee``). An
existing DRP is changed only through the state machine's ``reimport``: a closed DRP that an
import created and that nobody has touched since.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

from children.models import Child
from imports import bulk, values
from imports.importer import Column, Importer
from imports.registry import ImportKind
from people.models import User
from workflows.transitions import perform, refusal_of

from . import clocks
from .access import IMPORTERS
from .flows import DisputeResolutionFlow
from .models import DisputeResolution, Stage, StageRecord, Theme, TimelineEvent
from .stages import find_addressee

COLUMNS = ("reference", "case_type", "child_references", "team", "raised_on", "start_stage", "themes",
           "status", "closed_on", "closed_at_stage")
#: The file's statuses and the DRP's (an open DRP is imported awaiting its response).
STATUSES = {"open": DisputeResolution.Status.AWAITING_RESPONSE,
            "resolved": DisputeResolution.Status.RESOLVED,
            "withdrawn": DisputeResolution.Status.WITHDRAWN}
STATUS_CHOICES = values.Choices(
    "status", [("open", "Open", "open"), ("resolved", "Resolved", "resolved"), ("withdrawn", "Withdrawn", "withdrawn")],
    also={"awaiting response": "open"}, missing="Enter the status: open, resolved or withdrawn.")
#: Independent Reviewing Officers (and so their DRPs) date from 2004.
EARLIEST = date(2004, 1, 1)


class DrpImporter(Importer):
    model = DisputeResolution
    fields = ("case_type", "team", "raised_on", "stage", "stage_started_on", "stage_due_date",
              "formal_started_on", "overall_due_date", "status", "closed_on", "closed_at_stage",
              "addressee")
    sequence = ("drp", re.compile(r"^DRP-(\d+)$"))
    children_column = "child_references"
    made_in_footprint = "raised"

    def __init__(self, actor, filename, **options):
        super().__init__(actor, filename, **options)
        self.teams = values.Teams()
        stages = list(Stage.objects.order_by("order").prefetch_related("addressed_to"))
        self.stages = values.records("start_stage", stages, code="key", noun="stage of the ladder")
        self.first_stage = stages[0] if stages else None
        self.themes = values.records("themes", Theme.objects.all(), noun="theme")
        self._addressees: dict[tuple, User | None] = {}
        # The services' clocks, asked once per stage and day (a file repeats them).
        self.stage_due = lru_cache(maxsize=None)(clocks.stage_due)
        self.overall_due = lru_cache(maxsize=None)(clocks.overall_due)
        self.overall_start = lru_cache(maxsize=None)(clocks.overall_start)

    def parse(self, row, errors):
        data = {"reference": values.reference(row["reference"], errors),
                "case_type": values.case_type(row["case_type"], errors),
                "children": values.child_references(row["child_references"], errors),
                "team": self.teams.read(row["team"], errors),
                "raised_on": values.date_value(row["raised_on"], "raised_on", errors, required=True,
                                               on=self.today, earliest=EARLIEST)}
        start = None
        if row["start_stage"]:
            start = self.stages.read(row["start_stage"], errors)
        elif self.first_stage is None:
            errors.add("start_stage", "The DRP ladder has no stages; set them up in the admin.")
        else:
            start = self.first_stage
        data["start_stage"] = start
        themes = []
        for name in values.list_value(row["themes"]):
            themes.append(self.themes.read(name, errors))
        if not themes:
            errors.add("themes", "Enter at least one theme (separate several with ;).")
        data["themes"] = themes
        status = STATUS_CHOICES.read(row["status"], errors, required=True)
        data["status"] = STATUSES.get(status)
        closed_on = values.date_value(row["closed_on"], "closed_on", errors, required=False, on=self.today,
                                      earliest=EARLIEST)
        closed_at = None
        if row["closed_at_stage"]:
            closed_at = self.stages.read(row["closed_at_stage"], errors, column="closed_at_stage")
        if status == "open":
            if row["closed_on"]:
                errors.add("closed_on", "An open DRP has no closed date: leave it empty or change the status.")
            if row["closed_at_stage"]:
                errors.add("closed_at_stage", "An open DRP has no closing stage: leave it empty.")
        elif status in ("resolved", "withdrawn"):
            if not row["closed_on"]:
                errors.add("closed_on", f"A {status} DRP needs the date it closed.")
            closed_at = closed_at or start
        if closed_on and data["raised_on"] and closed_on < data["raised_on"]:
            errors.add("closed_on", "The date closed cannot be before the date raised.")
        if closed_at and start and closed_at.order < start.order:
            errors.add("closed_at_stage", "A DRP cannot close at a stage below the one it started at.")
        data["closed_on"], data["closed_at_stage"] = closed_on, closed_at
        return data

    # --- What the upload page and the template show ---------------------------------------------

    def describe(self):
        dates = f"A date ({values.DATE_FORMS}), on or after {EARLIEST:%-d %B %Y}"
        return [
            Column("reference", "Your reference for the DRP (up to 40 characters); rows are matched by it.", True),
            Column("case_type", "Why the child is known to the service.", True, tuple(values.CASE_TYPES.allowed())),
            Column("child_references", "Each child's reference, separated by ;.", True),
            Column("team", "The lead team, by name or slug (empty: the children's team).", False,
                   tuple(self.teams.allowed())),
            Column("raised_on", f"{dates}.", True),
            Column("start_stage", "The stage it was raised at (empty: the first).", False,
                   tuple(self.stages.allowed())),
            Column("themes", "What it is about, by name or slug, separated by ;.", True,
                   tuple(self.themes.allowed())),
            Column("status", "An open DRP is imported awaiting a response.", True, tuple(STATUS_CHOICES.allowed())),
            Column("closed_on", f"{dates}; only for a resolved or withdrawn DRP.", False),
            Column("closed_at_stage", "The stage it closed at (empty: the start stage).", False,
                   tuple(self.stages.allowed())),
        ]

    def example(self):
        stage = self.first_stage
        team = next(iter(self.teams.options), None)
        theme = next(iter(self.themes.options), None)
        raised = max(EARLIEST, self.today.replace(day=1) - timedelta(days=300))
        return {"reference": "DRP-EXAMPLE-1", "case_type": values.CASE_TYPES.options[-1][1],
                "child_references": "EXAMPLE-CHILD-1", "team": team[1] if team else "",
                "raised_on": raised.strftime("%d/%m/%Y"), "start_stage": stage.name if stage else "",
                "themes": theme[1] if theme else "", "status": "Resolved",
                "closed_on": (raised + timedelta(days=20)).isoformat(),
                "closed_at_stage": stage.name if stage else ""}

    # --- Which DRPs a row may change ---------------------------------------------------------

    def refusal(self, drp, data):
        message = refusal_of(DisputeResolutionFlow(drp), "reimport", self.actor,
                             refusal=f"{drp.reference} is open ({drp.get_status_display().lower()}): "
                                     "an import never changes an open DRP.")
        if message is None and data["status"] == DisputeResolution.Status.AWAITING_RESPONSE:
            message = (f"{drp.reference} is {drp.get_status_display().lower()}: an import cannot reopen it "
                       "(give its status as resolved or withdrawn).")
        return message

    def reimport(self, drp, data):
        perform(DisputeResolutionFlow(drp), "reimport", self.actor, data["status"],
                refusal=f"{drp.reference} is open: an import never changes an open DRP.")

    # --- Writing -----------------------------------------------------------------------------

    def new(self, data):
        return DisputeResolution(reference=data["reference"], raised_by=self.actor, iro=self.actor,
                                 concern=self.reason,
                                 status=data["status"])

    def _addressee(self, stage: Stage, team_id: int | None, children: list[Child]) -> User | None:
        """``find_addressee``, asked once per stage, team and allocated social worker."""
        worker = next((child.social_worker_id for child in children if child.social_worker_id), None)
        key = (stage.pk, team_id, worker)
        if key not in self._addressees:
            self._addressees[key] = find_addressee(stage, team_id, children)
        return self._addressees[key]

    def fill(self, drp, data, children):
        start, closed_at, raised_on = data["start_stage"], data["closed_at_stage"], data["raised_on"]
        drp.case_type = data["case_type"]
        drp.team_id = (data["team"].pk if data["team"]
                       else next((c.team_id for c in children if c.team_id), None))
        drp.raised_on = raised_on
        # The clocks of the start stage, begun the day it was raised. When the DRP closed at a
        # later stage, the date that stage began is not in the file: its clocks stay those of
        # the start stage (a closed DRP runs no clock).
        drp.stage = start
        drp.stage_started_on = raised_on
        formal = start if start.is_formal else (closed_at if closed_at and closed_at.is_formal else None)
        drp.formal_started_on = raised_on if formal else None
        drp.overall_due_date = self.overall_due(self.overall_start(
            raised_on=raised_on, formal_started_on=drp.formal_started_on))
        drp.stage_due_date = self.stage_due(working_days=start.working_days, is_formal=start.is_formal,
                                            started_on=raised_on, overall_due_date=drp.overall_due_date)
        if drp.status in DisputeResolution.OPEN_STATUSES:
            drp.closed_on = drp.closed_at_stage = None
            drp.addressee = self._addressee(start, drp.team_id, children)
        else:
            drp.stage = closed_at
            drp.closed_on = data["closed_on"]
            drp.closed_at_stage = closed_at
            drp.addressee = None

    def after_write(self, pairs, children):
        self.replace_links("children", {drp.pk: [children[ref].pk for ref in data["children"]]
                                        for drp, data in pairs})
        self.replace_links("themes", {drp.pk: [theme.pk for theme in data["themes"]]
                                      for drp, data in pairs})
        # Every child's team (or the lead team the file names), as drp_raise records them.
        self.replace_links("teams", {drp.pk: list(dict.fromkeys(
            [children[ref].team_id for ref in data["children"] if children[ref].team_id]
            or ([drp.team_id] if drp.team_id else []))) for drp, data in pairs})
        # The first stage record of each DRP stands for the start stage (one query for all the
        # DRPs imported before).
        firsts: dict[int, StageRecord] = {}
        if self.updated_pks:
            for record in StageRecord.objects.filter(**bulk.among("drp", self.updated_pks)).order_by(
                    "drp_id", "-started_on", "-id"):
                firsts[record.drp_id] = record
        new_records, changed_records = [], []
        for drp, data in pairs:
            record = firsts.get(drp.pk)
            if record is None:
                record = StageRecord(drp=drp)
                new_records.append(record)
            else:
                changed_records.append(record)
            record.stage = data["start_stage"]
            record.started_on = drp.stage_started_on
            record.due_date = drp.stage_due_date
            record.addressee = drp.addressee
            record.ended_on = drp.closed_on
        self.insert(StageRecord, new_records)
        self.update(StageRecord, changed_records, ("stage", "started_on", "due_date", "addressee", "ended_on"))
        self.insert(TimelineEvent, [TimelineEvent(drp=drp, actor=self.actor, action=TimelineEvent.Action.IMPORTED,
                                                  note=self.reason, to_stage=drp.stage.key) for drp, _ in pairs],
                    history=False)


KIND = ImportKind(name="drp", label="DRPs", columns=COLUMNS, roles=IMPORTERS, importer=DrpImporter, order=10)
