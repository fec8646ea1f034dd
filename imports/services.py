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

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from children.models import CaseType, Child
from drp.models import DisputeResolution, Stage, StageRecord, Theme
from drp.models import TimelineEvent as DrpEvent
from drp.services import find_addressee
from lado import models as lado_models
from lado.models import Enquiry, RetentionRule, name_key
from lado.services import retention_review_date, set_clocks
from people import roles
from people.models import Team, User
from positive_practice.models import PositivePractice
from positive_practice.models import TimelineEvent as PpEvent
from workflows.calendar import add_working_days
from workflows.clocks import today
from workflows.history import REASON_LENGTH
from workflows.models import ReferenceSequence

from . import readers
from .models import ImportJob

logger = logging.getLogger(__name__)

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
#: Rows written together: a handful of queries per chunk instead of a dozen per row.
CHUNK_SIZE = 500
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
        self.stages = {stage.key: stage for stage in Stage.objects.prefetch_related("addressed_to")}
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


def _update_with_history(objs, model, fields, *, default_user, default_change_reason) -> None:
    """Save changed records (one UPDATE each) and add their history rows in one INSERT.

    Not ``bulk_update``: its CASE … WHEN expressions cost Django ~5 ms of Python per row, ten
    times a plain UPDATE. Re-imports are the rare path, so a statement per record is fine.
    """
    attnames = [model._meta.get_field(name).attname for name in fields]
    for obj in objs:
        model._default_manager.filter(pk=obj.pk).update(
            **{attname: getattr(obj, attname) for attname in attnames})
    model.history.bulk_history_create(objs, update=True, default_user=default_user,
                                      default_change_reason=default_change_reason)


class Importer:
    """Parses rows (both passes) and writes them a chunk at a time (pass 2).

    A chunk is written with a fixed number of queries whatever its size: the existing records
    and children are read in one query each, new and changed records go in with
    ``bulk_create_with_history`` / ``bulk_update_with_history`` (so each still gets its history
    row naming the importer and the file), many-to-many links are replaced in two queries and
    the "imported" timeline events are inserted together. Re-imported records are updated one
    statement each (see ``_update_with_history``).
    """

    kind = ""
    model = None
    #: Columns a re-import rewrites on an existing record.
    fields: tuple[str, ...] = ()

    def __init__(self, actor: User, filename: str):
        self.actor = actor
        self.filename = filename
        self.reason = f"Imported from {filename}"[:REASON_LENGTH]
        self.lookups = Lookups()
        self.today = today()
        self.highest_reference = 0

    def parse(self, row: dict, errors: RowErrors) -> dict:
        raise NotImplementedError

    def fill(self, obj, data: dict, children: list[Child]) -> None:
        """Set ``obj``'s fields from a parsed row (``children`` already exist)."""
        raise NotImplementedError

    def new(self, data: dict):
        raise NotImplementedError

    def after_write(self, pairs: list[tuple[object, dict]], children: dict[str, Child]) -> None:
        """Links, stage records and timeline events for the chunk's saved records."""
        raise NotImplementedError

    def write_chunk(self, rows: list[dict]) -> int:
        """Write parsed rows; returns how many records were created (the rest were updated)."""
        existing = self._existing([data["reference"] for data in rows])
        children = self._children(rows)
        created, changed, pairs = [], [], []
        for data in rows:
            obj = existing.get(data["reference"])
            if obj is None:
                obj = self.new(data)
                created.append(obj)
            else:
                changed.append(obj)
            self.fill(obj, data, [children[ref] for ref in data.get("children", ())])
            pairs.append((obj, data))
        history = {"default_user": self.actor, "default_change_reason": self.reason}
        if created:
            bulk_create_with_history(created, self.model, **history)
        if changed:
            _update_with_history(changed, self.model, self.fields, **history)
        self.after_write(pairs, children)
        return len(created)

    def _existing(self, references: list[str]) -> dict:
        pattern = SEQUENCES[self.kind][1]
        for reference in references:
            match = pattern.match(reference)
            if match:
                self.highest_reference = max(self.highest_reference, int(match.group(1)))
        return {obj.reference: obj for obj in self.model.objects.filter(reference__in=references)}

    def _children(self, rows: list[dict]) -> dict[str, Child]:
        """Every child the chunk names, by reference; unknown references become minimal
        child records (with history) of the first row's case type."""
        wanted = {ref: data["case_type"] for data in rows for ref in reversed(data.get("children", ()))}
        if not wanted:
            return {}
        found = {child.reference: child for child in
                 Child.objects.filter(reference__in=wanted).select_related("social_worker")}
        missing = [Child(reference=ref, name=ref, status=case_type)
                   for ref, case_type in wanted.items() if ref not in found]
        if missing:
            bulk_create_with_history(missing, Child, default_user=self.actor,
                                     default_change_reason=self.reason)
            found.update((child.reference, child) for child in missing)
        return found

    def _replace_links(self, name: str, links: dict[int, list[int]]) -> None:
        """``obj.<name>.set(...)`` for many records at once: two queries."""
        field = self.model._meta.get_field(name)
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        through.objects.filter(**{f"{source}__in": list(links)}).delete()
        through.objects.bulk_create(
            [through(**{f"{source}_id": pk, f"{target}_id": other})
             for pk, others in links.items() for other in dict.fromkeys(others)])

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
    fields = ("case_type", "team", "raised_on", "stage", "stage_started_on", "stage_due_date",
              "formal_started_on", "overall_due_date", "status", "closed_on", "closed_at_stage",
              "addressee")

    def __init__(self, actor, filename):
        super().__init__(actor, filename)
        self._addressees: dict[tuple, User | None] = {}

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

    def new(self, data):
        return DisputeResolution(reference=data["reference"], raised_by=self.actor, concern=self.reason)

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
            drp.addressee = self._addressee(start, drp.team_id, children)
        else:
            drp.status = (DisputeResolution.Status.RESOLVED if data["status"] == "resolved"
                          else DisputeResolution.Status.WITHDRAWN)
            drp.stage = closed_at
            drp.closed_on = data["closed_on"]
            drp.closed_at_stage = closed_at
            drp.addressee = None

    def after_write(self, pairs, children):
        self._replace_links("children", {drp.pk: [children[ref].pk for ref in data["children"]]
                                         for drp, data in pairs})
        self._replace_links("themes", {drp.pk: [theme.pk for theme in data["themes"]]
                                       for drp, data in pairs})
        # The first stage record of each DRP stands for the start stage (one query for all).
        firsts: dict[int, StageRecord] = {}
        for record in StageRecord.objects.filter(drp__in=[drp.pk for drp, _ in pairs]).order_by(
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
        history = {"default_user": self.actor, "default_change_reason": self.reason}
        if new_records:
            bulk_create_with_history(new_records, StageRecord, **history)
        if changed_records:
            _update_with_history(changed_records, StageRecord,
                                 ("stage", "started_on", "due_date", "addressee", "ended_on"), **history)
        DrpEvent.objects.bulk_create(
            [DrpEvent(drp=drp, actor=self.actor, action=DrpEvent.Action.IMPORTED, note=self.reason,
                      to_stage=drp.stage.key) for drp, _ in pairs])


class PositivePracticeImporter(Importer):
    kind, model = POSITIVE_PRACTICE, PositivePractice
    fields = ("case_type", "team", "recorded_on", "practitioner_name", "what_happened")
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
        self._replace_links("children", {pp.pk: [children[ref].pk for ref in data["children"]]
                                         for pp, data in pairs})
        PpEvent.objects.bulk_create(
            [PpEvent(positive_practice=pp, actor=self.actor, action=PpEvent.Action.IMPORTED,
                     note=self.reason) for pp, _ in pairs])


class LadoImporter(Importer):
    kind, model = LADO, Enquiry
    fields = ("received_at", "received_on", "decision_due", "target_1_due", "target_2_due",
              "target_3_due", "sector", "setting", "category", "referral_source", "threshold_met",
              "decided_on", "outcome", "closed_on", "cancel_reason", "status", "retention_review_on")

    def __init__(self, actor, filename):
        super().__init__(actor, filename)
        self.retention_rules = {rule.closure: rule for rule in RetentionRule.objects.all()}

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

    def new(self, data):
        # bulk_create skips Enquiry.save(), which keeps the subject match keys: set them here.
        return Enquiry(reference=data["reference"], logged_by=self.actor, summary=self.reason,
                       subject_name_key=name_key(""), subject_employer_key=name_key(""))

    def fill(self, enquiry, data, children):
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
            enquiry.retention_review_on = retention_review_date(
                enquiry, self.retention_rules.get(enquiry.closure))

    def after_write(self, pairs, children):
        lado_models.TimelineEvent.objects.bulk_create(
            [lado_models.TimelineEvent(enquiry=enquiry, actor=self.actor, note=self.reason,
                                       action=lado_models.TimelineEvent.Action.IMPORTED,
                                       to_stage=enquiry.status) for enquiry, _ in pairs])


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
    every ``PROGRESS_EVERY`` rows checked ("checked") and after each chunk written ("written")."""
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
            if progress and not result.errors:
                progress("checked", result.rows)
            if result.rows == 0 and not result.errors:
                result.errors.append({"row": 2, "column": "", "message": "The file has no records under the header."})
            if result.errors:
                return result
            references.clear()
            written = 0
            chunk: list[dict] = []
            for number, row in _records(kind, upload, filename, result):
                chunk.append(importer.parse(row, RowErrors(result, number)))
                if result.errors:  # the data changed since pass 1: stop, write nothing
                    break
                if len(chunk) == CHUNK_SIZE:
                    result.created += importer.write_chunk(chunk)
                    written += len(chunk)
                    chunk = []
                    if progress:
                        progress("written", written)
            if chunk and not result.errors:
                result.created += importer.write_chunk(chunk)
                written += len(chunk)
            result.updated = written - result.created
            if result.errors:  # the data changed between the passes: write nothing
                result.created = result.updated = 0
                transaction.set_rollback(True)
                return result
            importer.finish()
    except readers.FileRefused as exc:
        result.errors = [{"row": 0, "column": "", "message": str(exc)}]
        result.created = result.updated = 0
    return result


# --- Large files: a background job the page follows --------------------------------------


def runs_in_background(upload) -> bool:
    """Files over ``FOOTPRINT_IMPORT_INLINE_MAX_BYTES`` are imported by a job with a progress
    page; smaller ones while the page waits."""
    return (upload.size or 0) > settings.FOOTPRINT_IMPORT_INLINE_MAX_BYTES


def start_import_job(*, kind: str, upload, actor: User) -> ImportJob:
    """Keep the file and queue its import: a Celery task when there is a broker; with none
    (the demo), a thread in this process, or inline when FOOTPRINT_IMPORT_IN_THREAD is off."""
    require_importer(actor, kind)
    readers.file_type(upload.name)
    job = ImportJob(kind=kind, filename=upload.name[:255], size=upload.size or 0, uploaded_by=actor)
    job.file.save(upload.name, upload, save=False)
    job.save()
    transaction.on_commit(lambda: _dispatch(job.pk))
    return job


def _dispatch(job_id: int) -> None:
    from .tasks import run_import_job as task

    if settings.CELERY_TASK_ALWAYS_EAGER and settings.FOOTPRINT_IMPORT_IN_THREAD:
        threading.Thread(target=_run_in_thread, args=(job_id,), daemon=True,
                         name=f"import-job-{job_id}").start()
    else:
        task.delay(job_id)


def _run_in_thread(job_id: int) -> None:
    try:
        run_import_job(job_id)
    finally:
        connection.close()  # this thread's own connection


def _progress_key(job_id: int) -> str:
    return f"imports:job:{job_id}:progress"


def run_import_job(job_id: int) -> str:
    """Run a queued job once: claim it, import its file, record the outcome, delete the file."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return "not queued"
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    key = _progress_key(job_id)
    state = {"checked": 0, "written": 0}

    def progress(phase: str, rows: int) -> None:
        state[phase] = rows
        cache.set(key, dict(state), timeout=24 * 3600)

    try:
        with job.file.open("rb") as upload:
            result = run_import(kind=job.kind, upload=upload, filename=job.filename,
                                actor=job.uploaded_by, progress=progress)
    except Exception:
        logger.exception("Import job %s failed", job_id)
        job.status = ImportJob.Status.FAILED
        job.errors = [{"row": 0, "column": "", "message":
                       "The import stopped because of an error on our side; nothing was imported. "
                       "Try again, and tell the system administrator if it happens again."}]
    else:
        job.status = ImportJob.Status.DONE if result.ok else ImportJob.Status.REFUSED
        job.rows, job.created, job.updated, job.errors = (result.rows, result.created,
                                                          result.updated, result.errors)
    job.finished_at = timezone.now()
    job.file.delete(save=False)
    job.save()
    cache.delete(key)
    return job.status


def job_progress(job: ImportJob) -> dict:
    """Where a job has got to, for its page and the page's script."""
    live = cache.get(_progress_key(job.pk)) or {}
    return {"status": job.status, "status_display": job.get_status_display(),
            "finished": job.finished, "rows": job.rows or live.get("checked", 0),
            "checked": live.get("checked", job.rows), "written": live.get("written", 0),
            "created": job.created, "updated": job.updated, "errors": len(job.errors)}


def job_for(user, job_id: int) -> ImportJob:
    """A job its uploader may follow; anyone else gets ImportJob.DoesNotExist."""
    return ImportJob.objects.get(pk=job_id, uploaded_by=user)


# --- The upload limit ------------------------------------------------------------------------

def too_large(upload) -> bool:
    """Bigger than the page and API take (``FOOTPRINT_IMPORT_MAX_BYTES``)."""
    return (upload.size or 0) > settings.FOOTPRINT_IMPORT_MAX_BYTES


def too_large_message() -> str:
    limit = settings.FOOTPRINT_IMPORT_MAX_BYTES / 2**20
    return (f"The file must be smaller than {limit:g} MB. Split it into smaller files, or ask "
            "for it to be imported with the import_records command.")
