"""Importing historical records from a CSV or XLSX file.

Validation first, then all-or-nothing: the whole file is read and checked (pass 1); if any row is
wrong nothing is written and every error is returned (row, column, message). Otherwise the file
is read again and written (pass 2), in the same transaction. Rows are matched to existing
records by ``reference``, so importing a file again updates them and creates no duplicates.

Imports are historical data: they never notify anyone. Every record written carries history
(``_history_user`` = the importer, ``_change_reason`` = "Imported from <filename>") and one
timeline event "imported".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from children.models import CaseType, Child
from drp.models import DisputeResolution, Stage, StageRecord, Theme
from drp.models import TimelineEvent as DrpEvent
from drp.services import find_addressee
from lado import models as lado_models
from lado.models import Enquiry
from lado.services import retention_review_date, set_clocks
from people import roles
from people.models import Team, User
from positive_practice.models import PositivePractice
from positive_practice.models import TimelineEvent as PpEvent
from workflows.calendar import add_working_days
from workflows.clocks import today
from workflows.history import save_with_history
from workflows.models import ReferenceSequence

from . import readers

DRP, POSITIVE_PRACTICE, LADO = "drp", "positive_practice", "lado"

COLUMNS = {
    DRP: ["reference", "case_type", "child_references", "team", "raised_on", "start_stage", "themes",
          "status", "closed_on", "closed_at_stage"],
    POSITIVE_PRACTICE: ["reference", "case_type", "child_references", "team", "recorded_on",
                        "practitioner", "summary"],
    LADO: ["reference", "received_on", "sector", "setting", "category", "referral_source",
           "threshold_met", "decided_on", "concluded_on", "outcome"],
}
KIND_NAMES = {DRP: "DRPs", POSITIVE_PRACTICE: "Positive practice", LADO: "Designated Officer cases"}
IMPORTERS = {
    DRP: frozenset({roles.IRO_MANAGER, roles.BUSINESS_SUPPORT}),
    POSITIVE_PRACTICE: frozenset({roles.IRO_MANAGER, roles.BUSINESS_SUPPORT}),
    LADO: frozenset({roles.DO_MANAGER}),
}
#: Reference patterns of records created in the app: an imported one moves the counter past it.
SEQUENCES = {DRP: ("drp", re.compile(r"^DRP-(\d+)$")),
             POSITIVE_PRACTICE: ("positive-practice", re.compile(r"^PP-(\d+)$")),
             LADO: ("lado", re.compile(r"^DO-(\d+)$"))}
PROGRESS_EVERY = 1000
DRP_STATUSES = ("open", "resolved", "withdrawn")
LADO_OUTCOMES = (*Enquiry.Outcome.values, "cancelled")


def kinds_for(user) -> list[str]:
    """The kinds this person may import (IRO Manager and Business Support: DRPs and positive
    practice; DO Manager: Designated Officer cases). Superuser status gives nothing."""
    if not (user and user.is_authenticated):
        return []
    return [kind for kind, allowed in IMPORTERS.items() if user.has_role(*allowed)]


def require_importer(user, kind: str) -> None:
    if kind not in kinds_for(user):
        raise PermissionDenied(f"You cannot import {KIND_NAMES.get(kind, 'these records').lower()}.")


@dataclass
class Result:
    kind: str
    filename: str
    created: int = 0
    updated: int = 0
    rows: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "errors": self.errors}


class RowErrors:
    def __init__(self, result: Result, row: int):
        self.result, self.row, self.count = result, row, 0

    def add(self, column: str, message: str) -> None:
        self.result.errors.append({"row": self.row, "column": column, "message": message})
        self.count += 1


# --- Reading values -------------------------------------------------------------------------


def _date(value: str, column: str, errors: RowErrors, *, required: bool, on: date) -> date | None:
    if not value:
        if required:
            errors.add(column, "Enter a date (YYYY-MM-DD).")
        return None
    try:
        day = date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        day = None
    if day is None:
        errors.add(column, f"“{value}” is not a date in the form YYYY-MM-DD.")
        return None
    if day > on:
        errors.add(column, "The date must be today or in the past.")
        return None
    return day


def _list(value: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in value.split(";") if part.strip()))


def _text(value: str, column: str, errors: RowErrors, limit: int | None, *, required: bool) -> str:
    if required and not value:
        errors.add(column, "This column is required.")
    elif limit and len(value) > limit:
        errors.add(column, f"Use {limit} characters or fewer.")
    return value


def _case_type(value: str, errors: RowErrors) -> str:
    if value not in CaseType.values:
        errors.add("case_type", "Enter CP (child protection) or CLA (looked after)." if not value
                   else f"“{value}” is not a case type: use CP or CLA.")
    return value


def _children(value: str, errors: RowErrors) -> list[str]:
    refs = _list(value)
    if not refs:
        errors.add("child_references", "Enter at least one child reference (separate several with ;).")
    for ref in refs:
        if len(ref) > 40:
            errors.add("child_references", f"Child reference “{ref[:40]}…” is longer than 40 characters.")
    return refs


class Lookups:
    """The small tables a file refers to, read once per import."""

    def __init__(self):
        self.teams = {}
        for team in Team.objects.all():
            self.teams[team.name.casefold()] = team
            self.teams[team.slug.casefold()] = team
        self.stages = {stage.key: stage for stage in Stage.objects.all()}
        self.first_stage = min(self.stages.values(), key=lambda s: s.order, default=None)
        self.themes = {}
        for theme in Theme.objects.all():
            self.themes[theme.slug.casefold()] = theme
            self.themes[theme.name.casefold()] = theme
        self.vocabularies = {
            name: {item.slug: item for item in model.objects.all()}
            for name, model in (("sector", lado_models.Sector), ("setting", lado_models.SettingType),
                                ("category", lado_models.Category),
                                ("referral_source", lado_models.ReferralSource))
        }

    def team(self, value: str, errors: RowErrors) -> Team | None:
        if not value:
            return None
        team = self.teams.get(value.casefold())
        if team is None:
            errors.add("team", f"There is no team “{value}” (use its name or slug).")
        return team

    def stage(self, value: str, column: str, errors: RowErrors) -> Stage | None:
        stage = self.stages.get(value)
        if stage is None:
            errors.add(column, f"“{value}” is not a stage of the ladder (use one of: "
                               f"{', '.join(self.stages)}).")
        return stage

    def vocabulary(self, name: str, value: str, errors: RowErrors):
        if not value:
            return None
        item = self.vocabularies[name].get(value)
        if item is None:
            errors.add(name, f"“{value}” is not a {name.replace('_', ' ')} (use its slug: "
                             f"{', '.join(self.vocabularies[name])}).")
        return item


# --- One kind per class: parse a row (pass 1 and 2), write it (pass 2) ----------------------------


class Importer:
    kind = ""
    model = None

    def __init__(self, actor: User, filename: str):
        self.actor = actor
        self.filename = filename
        self.reason = f"Imported from {filename}"[:100]
        self.lookups = Lookups()
        self.today = today()
        self.highest_reference = 0

    def parse(self, row: dict, errors: RowErrors) -> dict:
        raise NotImplementedError

    def write(self, data: dict) -> bool:
        raise NotImplementedError

    def _save(self, obj) -> None:
        save_with_history(obj, self.actor, self.reason)

    def _existing(self, reference: str):
        pattern = SEQUENCES[self.kind][1].match(reference)
        if pattern:
            self.highest_reference = max(self.highest_reference, int(pattern.group(1)))
        return self.model.objects.filter(reference=reference).first()

    def _children(self, refs: list[str], case_type: str) -> list[Child]:
        found = {child.reference: child for child in Child.objects.filter(reference__in=refs)}
        children = []
        for ref in refs:
            child = found.get(ref)
            if child is None:
                child = Child(reference=ref, name=ref, status=case_type)
                self._save(child)
            children.append(child)
        return children

    def finish(self) -> None:
        """Move the reference counter past the highest imported app-style reference."""
        if not self.highest_reference:
            return
        name = SEQUENCES[self.kind][0]
        ReferenceSequence.objects.get_or_create(name=name)
        ReferenceSequence.objects.filter(name=name, last__lt=self.highest_reference).update(
            last=self.highest_reference)


class DrpImporter(Importer):
    kind, model = DRP, DisputeResolution

    def parse(self, row, errors):
        data = {"reference": _text(row["reference"], "reference", errors, 40, required=True),
                "case_type": _case_type(row["case_type"], errors),
                "children": _children(row["child_references"], errors),
                "team": self.lookups.team(row["team"], errors),
                "raised_on": _date(row["raised_on"], "raised_on", errors, required=True, on=self.today)}
        start = None
        if row["start_stage"]:
            start = self.lookups.stage(row["start_stage"], "start_stage", errors)
        elif self.lookups.first_stage is None:
            errors.add("start_stage", "The DRP ladder has no stages; set them up in the admin.")
        else:
            start = self.lookups.first_stage
        data["start_stage"] = start
        themes = []
        for name in _list(row["themes"]):
            theme = self.lookups.themes.get(name.casefold())
            if theme is None:
                errors.add("themes", f"“{name}” is not a theme (use its slug or name).")
            themes.append(theme)
        if not _list(row["themes"]):
            errors.add("themes", "Enter at least one theme (separate several with ;).")
        data["themes"] = themes
        status = row["status"]
        if status not in DRP_STATUSES:
            errors.add("status", "Enter the status: open, resolved or withdrawn." if not status
                       else f"“{status}” is not a status: use open, resolved or withdrawn.")
        data["status"] = status
        closed_on = _date(row["closed_on"], "closed_on", errors, required=False, on=self.today)
        closed_at = None
        if row["closed_at_stage"]:
            closed_at = self.lookups.stage(row["closed_at_stage"], "closed_at_stage", errors)
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

    def write(self, data):
        drp = self._existing(data["reference"])
        created = drp is None
        if created:
            drp = DisputeResolution(reference=data["reference"], raised_by=self.actor, concern=self.reason)
        children = self._children(data["children"], data["case_type"])
        start, closed_at, raised_on = data["start_stage"], data["closed_at_stage"], data["raised_on"]
        drp.case_type = data["case_type"]
        drp.team = data["team"] or next((c.team for c in children if c.team_id), None)
        drp.raised_on = raised_on
        # Clocks as drp.services sets them, from the start stage and the date raised. When the DRP
        # closed at a later stage, the date that stage began is not in the file: its clocks stay
        # those of the start stage (a closed DRP runs no clock).
        drp.stage = start
        drp.stage_started_on = raised_on
        drp.stage_due_date = add_working_days(raised_on, start.working_days)
        formal = start if start.is_formal else (closed_at if closed_at and closed_at.is_formal else None)
        drp.formal_started_on = raised_on if formal else None
        drp.overall_due_date = (add_working_days(raised_on, settings.DRP_OVERALL_WORKING_DAYS)
                                if formal else None)
        if data["status"] == "open":
            drp.status = DisputeResolution.Status.AWAITING_RESPONSE
            drp.closed_on = drp.closed_at_stage = None
            drp.addressee = find_addressee(start, drp.team_id, children)
        else:
            drp.status = (DisputeResolution.Status.RESOLVED if data["status"] == "resolved"
                          else DisputeResolution.Status.WITHDRAWN)
            drp.stage = closed_at
            drp.closed_on = data["closed_on"]
            drp.closed_at_stage = closed_at
            drp.addressee = None
        self._save(drp)
        drp.children.set(children)
        drp.themes.set(data["themes"])
        record = drp.stage_records.order_by("started_on", "id").first() or StageRecord(drp=drp)
        record.stage = start
        record.started_on = drp.stage_started_on
        record.due_date = drp.stage_due_date
        record.addressee = drp.addressee
        record.ended_on = drp.closed_on
        self._save(record)
        DrpEvent.objects.create(drp=drp, actor=self.actor, action=DrpEvent.Action.IMPORTED,
                                note=self.reason, to_stage=drp.stage.key)
        return created


class PositivePracticeImporter(Importer):
    kind, model = POSITIVE_PRACTICE, PositivePractice
    #: The file has no impact column; the model requires one.
    IMPACT_NOT_RECORDED = "Not recorded"

    def parse(self, row, errors):
        return {"reference": _text(row["reference"], "reference", errors, 40, required=True),
                "case_type": _case_type(row["case_type"], errors),
                "children": _children(row["child_references"], errors),
                "team": self.lookups.team(row["team"], errors),
                "recorded_on": _date(row["recorded_on"], "recorded_on", errors, required=True, on=self.today),
                "practitioner_name": _text(row["practitioner"], "practitioner", errors, 200, required=False),
                "what_happened": _text(row["summary"], "summary", errors, None, required=True)}

    def write(self, data):
        pp = self._existing(data["reference"])
        created = pp is None
        if created:
            pp = PositivePractice(reference=data["reference"], recorded_by=self.actor,
                                  impact=self.IMPACT_NOT_RECORDED)
        children = self._children(data["children"], data["case_type"])
        pp.case_type = data["case_type"]
        pp.team = data["team"]
        pp.recorded_on = data["recorded_on"]
        pp.practitioner_name = data["practitioner_name"]
        pp.what_happened = data["what_happened"]
        self._save(pp)
        pp.children.set(children)
        PpEvent.objects.create(positive_practice=pp, actor=self.actor, action=PpEvent.Action.IMPORTED,
                               note=self.reason)
        return created


class LadoImporter(Importer):
    kind, model = LADO, Enquiry

    def parse(self, row, errors):
        data = {"reference": _text(row["reference"], "reference", errors, 40, required=True),
                "received_on": _date(row["received_on"], "received_on", errors, required=True, on=self.today)}
        for name in ("sector", "setting", "category", "referral_source"):
            data[name] = self.lookups.vocabulary(name, row[name], errors)
        threshold = row["threshold_met"]
        if threshold not in ("", "yes", "no"):
            errors.add("threshold_met", f"“{threshold}” is not yes or no (leave it empty before the decision).")
        data["threshold_met"] = {"yes": True, "no": False}.get(threshold)
        decided_on = _date(row["decided_on"], "decided_on", errors, required=False, on=self.today)
        concluded_on = _date(row["concluded_on"], "concluded_on", errors, required=False, on=self.today)
        outcome = row["outcome"]
        if outcome and outcome not in LADO_OUTCOMES:
            errors.add("outcome", f"“{outcome}” is not an outcome (use one of: {', '.join(LADO_OUTCOMES)}).")
        if threshold in ("yes", "no"):
            if not row["decided_on"]:
                errors.add("decided_on", "Enter the date the threshold decision was made.")
            for name in ("sector", "setting", "category"):
                if not row[name]:
                    errors.add(name, f"A decided case needs its {name} (as the threshold decision does).")
        elif row["decided_on"]:
            errors.add("decided_on", "A case awaiting the threshold decision has no decision date: "
                                     "give threshold_met or leave it empty.")
        if outcome and threshold != "yes":
            errors.add("outcome", "Only a case whose threshold was met has an outcome "
                                  "(advice given and open cases leave it empty).")
        if outcome and not row["concluded_on"]:
            errors.add("concluded_on", "Enter the date the case was concluded or cancelled.")
        if row["concluded_on"] and not outcome:
            errors.add("concluded_on", "A case with no outcome has no concluded date: leave it empty.")
        received_on = data["received_on"]
        if decided_on and received_on and decided_on < received_on:
            errors.add("decided_on", "The decision cannot be before the enquiry was received.")
        if concluded_on and (decided_on or received_on) and concluded_on < (decided_on or received_on):
            errors.add("concluded_on", "The date concluded cannot be before the enquiry was received "
                                       "or the threshold decision.")
        data.update(decided_on=decided_on, concluded_on=concluded_on, outcome=outcome)
        return data

    def write(self, data):
        enquiry = self._existing(data["reference"])
        created = enquiry is None
        if created:
            enquiry = Enquiry(reference=data["reference"], logged_by=self.actor, summary=self.reason)
        Status = Enquiry.Status
        # Noon, so that the local date of received_at is received_on in any season.
        enquiry.received_at = timezone.make_aware(datetime.combine(data["received_on"], time(12)))
        set_clocks(enquiry)
        for name in ("sector", "setting", "category", "referral_source"):
            setattr(enquiry, name, data[name])
        enquiry.threshold_met = data["threshold_met"]
        enquiry.decided_on = data["decided_on"]
        enquiry.outcome = ""
        enquiry.closed_on = None
        enquiry.cancel_reason = ""
        if data["threshold_met"] is None:
            enquiry.status = Status.AWAITING_DECISION
        elif data["threshold_met"] is False:
            enquiry.status = Status.ADVICE_GIVEN
            enquiry.closed_on = data["decided_on"]
        elif not data["outcome"]:
            enquiry.status = Status.IN_PROGRESS
        elif data["outcome"] == "cancelled":
            enquiry.status = Status.CANCELLED
            enquiry.closed_on = data["concluded_on"]
            enquiry.cancel_reason = self.reason
        else:
            enquiry.status = Status.CONCLUDED
            enquiry.outcome = data["outcome"]
            enquiry.closed_on = data["concluded_on"]
        if not enquiry.retention_set_by_hand:
            enquiry.retention_review_on = retention_review_date(enquiry)
        self._save(enquiry)
        lado_models.TimelineEvent.objects.create(
            enquiry=enquiry, actor=self.actor, action=lado_models.TimelineEvent.Action.IMPORTED,
            note=self.reason, to_stage=enquiry.status)
        return created


IMPORTER_CLASSES = {DRP: DrpImporter, POSITIVE_PRACTICE: PositivePracticeImporter, LADO: LadoImporter}


def template_csv(kind: str) -> str:
    return ",".join(COLUMNS[kind]) + "\r\n"


# --- Running an import ----------------------------------------------------------------------


def _records(kind: str, upload, filename: str, result: Result):
    """(row number, {column: value}) for each record row; header errors go to ``result``."""
    expected = COLUMNS[kind]
    iterator = readers.rows(upload, filename)
    first = next(iterator, None)
    if first is None:
        result.errors.append({"row": 1, "column": "", "message": "The file is empty: it needs the header row."})
        return
    number, header = first
    seen = set()
    for name in header:
        if name in seen:
            result.errors.append({"row": number, "column": name, "message": f"Column “{name}” appears twice."})
        elif name not in expected:
            result.errors.append({"row": number, "column": name, "message": f"Unexpected column “{name}”."})
        seen.add(name)
    for name in expected:
        if name not in seen:
            result.errors.append({"row": number, "column": name, "message": f"Missing column “{name}”."})
    if result.errors:
        return
    width = len(header)
    for number, cells in iterator:
        if len(cells) > width:
            result.errors.append({"row": number, "column": "", "message":
                                  f"The row has {len(cells)} values but the file has {width} columns."})
            continue
        cells = cells + [""] * (width - len(cells))
        yield number, dict(zip(header, cells))


def run_import(*, kind: str, upload, filename: str, actor: User,
               progress: Callable[[str, int], None] | None = None) -> Result:
    """Check the whole file, then write it all or nothing. ``progress(phase, rows)`` is called
    every ``PROGRESS_EVERY`` rows of each pass ("checked", then "written")."""
    require_importer(actor, kind)
    result = Result(kind=kind, filename=filename)
    try:
        readers.file_type(filename)
        with transaction.atomic():
            importer = IMPORTER_CLASSES[kind](actor, filename)
            references: dict[str, int] = {}
            for number, row in _records(kind, upload, filename, result):
                result.rows += 1
                errors = RowErrors(result, number)
                data = importer.parse(row, errors)
                reference = data["reference"]
                if reference:
                    if reference in references:
                        errors.add("reference", f"Reference “{reference}” is repeated in the file "
                                                f"(first on row {references[reference]}).")
                    else:
                        references[reference] = number
                if progress and result.rows % PROGRESS_EVERY == 0:
                    progress("checked", result.rows)
            if result.rows == 0 and not result.errors:
                result.errors.append({"row": 2, "column": "", "message": "The file has no records under the header."})
            if result.errors:
                return result
            references.clear()
            written = 0
            for number, row in _records(kind, upload, filename, result):
                data = importer.parse(row, RowErrors(result, number))
                if importer.write(data):
                    result.created += 1
                else:
                    result.updated += 1
                written += 1
                if progress and written % PROGRESS_EVERY == 0:
                    progress("written", written)
            if result.errors:  # the data changed between the passes: write nothing
                result.created = result.updated = 0
                transaction.set_rollback(True)
                return result
            importer.finish()
    except readers.FileRefused as exc:
        result.errors = [{"row": 0, "column": "", "message": str(exc)}]
        result.created = result.updated = 0
    return result
