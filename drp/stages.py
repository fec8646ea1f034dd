"""The pieces every DRP move is built from, shared by ``services``, ``holding``, ``recount``
and ``agreed_actions`` (one recipe, not copies): the DRP's row lock, the check that a move
meets the stage it expected, pointing a DRP at a stage with its clocks and addressee, and
opening and closing the record of each stage."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from children.models import Child
from people import roles
from people.models import User
from people.selectors import holder_of_role_for_team
from workflows.exceptions import TransitionRefused
from workflows.history import save_with_history
from workflows.locks import lock

from . import clocks
from .models import AgencyContact, DisputeResolution, Stage, StageRecord


def find_addressee(stage: Stage, team_id: int | None, children: Iterable[Child]) -> User | None:
    """The person a stage is addressed to, from the child's allocation: the allocated social
    worker for a social-worker stage, else the nearest manager holding the addressed role."""
    addressed = {role.slug for role in stage.addressed_to.all()}
    for role in roles.SOCIAL_CARE:
        if role not in addressed:
            continue
        if role == roles.SOCIAL_WORKER:
            for child in children:
                if child.social_worker_id:
                    return child.social_worker
            continue
        holder = holder_of_role_for_team(role, team_id)
        if holder is not None:
            return holder
    return None


def lock_drp(drp: DisputeResolution) -> DisputeResolution:
    """The DRP's row locked for a change (``workflows.locks``), with its stage."""
    return lock(DisputeResolution.objects.select_related("stage"), drp.pk)


def expect_stage(drp: DisputeResolution, from_stage: str | None) -> None:
    """The move names the stage it expects (``from_stage``); under the lock, refuse it (409) when
    the DRP has moved on, so a move made on an old reading (or sent twice) never moves it again."""
    if from_stage and drp.stage.key != from_stage:
        raise TransitionRefused(f"{drp.reference} is now at {drp.stage.name}, not the stage this "
                                f"move expected ({from_stage}): read it again before you move it.")


def current_stage_record(drp: DisputeResolution) -> StageRecord | None:
    """The record of the stage the DRP is at (not yet ended), if any."""
    return drp.stage_records.filter(ended_on__isnull=True).order_by("-started_on", "-id").first()


def start_stage_clocks(drp: DisputeResolution, stage: Stage, started_on: date) -> None:
    """Point the DRP at ``stage`` with its clocks (``drp.clocks``): the overall limit once it
    starts, then the stage's own deadline, never after the overall one. The importer counts
    with the same ``drp.clocks`` functions, so an imported DRP's clocks follow the same rule."""
    drp.stage = stage
    drp.stage_started_on = started_on
    drp.review_due_date = None
    if stage.is_formal and drp.formal_started_on is None:
        drp.formal_started_on = started_on
    if drp.overall_due_date is None:
        drp.overall_due_date = clocks.overall_due(clocks.overall_start(
            raised_on=drp.raised_on, formal_started_on=drp.formal_started_on))
    drp.stage_due_date = clocks.stage_due(working_days=stage.working_days, is_formal=stage.is_formal,
                                          started_on=started_on, overall_due_date=drp.overall_due_date)


def start_stage(drp: DisputeResolution, stage: Stage, started_on: date, children: list[Child],
                 contact: AgencyContact | None = None) -> None:
    """Point the DRP at ``stage`` with fresh clocks and the addressee found for it, or the
    partner agency's contact it is addressed to."""
    start_stage_clocks(drp, stage, started_on)
    drp.addressee_contact = contact
    drp.addressee = None if contact is not None else find_addressee(stage, drp.team_id, children)


def open_stage_record(drp: DisputeResolution, actor: User, reason: str, asked: str = "") -> StageRecord:
    """Open the record of the stage the DRP has just entered."""
    record = StageRecord(
        drp=drp, stage=drp.stage, addressee=drp.addressee, addressee_contact=drp.addressee_contact,
        asked=asked, started_on=drp.stage_started_on, due_date=drp.stage_due_date,
    )
    save_with_history(record, actor, reason)
    return record


def close_stage_record(drp: DisputeResolution, actor: User, reason: str, **changes) -> None:
    """Write ``changes`` (an end date, a response) on the current stage's record, with history."""
    record = current_stage_record(drp)
    if record is None:
        return
    for field, value in changes.items():
        setattr(record, field, value)
    save_with_history(record, actor, reason)
