"""The DRP's story for the child's file, as plain text to paste into the case recording system
(LCS, Mosaic) and as a print page.

The IRO Handbook (6.1) asks that the IRO "place a record of this initial informal resolution
process on the child's file": the team's known problem is challenges resolved through
relationships and never recorded, which leave no footprint on the child's record. The summary
tells the whole story in order (concern, each stage with its dates, reasons and responses,
the outcome and the impact for the child) so one paste puts it there.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.clocks import today

from .models import DisputeResolution, TimelineEvent

Action = TimelineEvent.Action
#: Bookkeeping, not part of the child's story.
LEFT_OUT = {Action.DEADLINES_RECALCULATED}


def _day(value) -> str:
    return f"{value:%-d %B %Y}" if value else "not recorded"


@dataclass
class Step:
    """One dated step of the story: a heading line and the words recorded with it."""

    on: str
    heading: str
    text: str = ""


def _by(event: TimelineEvent) -> str:
    if event.actor is None:
        return "Footprint"
    return f"{event.actor} for {event.on_behalf_of}" if event.on_behalf_of_id else str(event.actor)


def steps(drp: DisputeResolution, stage_names: dict[str, str]) -> list[Step]:
    """What happened, oldest first, from the timeline (prefetched by ``drp_for``)."""
    result = []
    for event in drp.timeline.all():
        if event.action in LEFT_OUT:
            continue
        stage = stage_names.get(event.to_stage or event.from_stage, "")
        on = f"{event.at:%-d %B %Y}"
        text = event.note
        if event.action == Action.RAISED:
            heading = f"Raised at {stage} by {_by(event)}"
            text = ""  # the concern has its own section
        elif event.action == Action.ESCALATED:
            heading = (f"Escalated from {stage_names.get(event.from_stage, event.from_stage)} to "
                       f"{stage_names.get(event.to_stage, event.to_stage)} by {_by(event)}. Reason:")
        elif event.action == Action.RESPONDED:
            heading = f"Response at {stage} from {_by(event)}:"
        elif event.action == Action.RESOLVED:
            heading = f"Resolved at {stage} by {_by(event)} (outcome below)"
            text = ""
        elif event.action == Action.WITHDRAWN:
            heading = f"Withdrawn at {stage} by {_by(event)}. Reason:"
        else:
            heading = f"{event.get_action_display()}{f' at {stage}' if stage else ''} by {_by(event)}:"
        result.append(Step(on=on, heading=heading, text=text.strip()))
    return result


def stages(drp: DisputeResolution) -> list[str]:
    """Each stage the DRP went through: to whom, from when, due when, answered when."""
    lines = []
    for record in drp.stage_records.all():
        answered = (f"responded {_day(record.responded_on)}"
                    + (" (on time)" if record.responded_on <= record.due_date else " (late)")
                    if record.responded_on else "no response recorded")
        agreed = f"; actions agreed by {_day(record.agreed_by)}" if record.agreed_by else ""
        lines.append(f"{record.stage.name}: addressed to {record.addressee or 'no one found'}, "
                     f"from {_day(record.started_on)}, response due {_day(record.due_date)}; "
                     f"{answered}{agreed}.")
    return lines


def context(drp: DisputeResolution, stage_names: dict[str, str]) -> dict:
    """What the summary page and the print page show."""
    return {"steps": steps(drp, stage_names), "stage_lines": stages(drp),
            "children": list(drp.children.all()), "themes": list(drp.themes.all()),
            "impact_codes": list(drp.impact_codes.all()), "written_on": today()}


def as_text(drp: DisputeResolution, stage_names: dict[str, str]) -> str:
    """The summary as plain text: short headed sections, blank lines between, no markup, so it
    pastes cleanly into any case recording system."""
    data = context(drp, stage_names)
    status = drp.get_status_display()
    if not drp.is_open:
        status += f" on {_day(drp.closed_on)} at {drp.closed_at_stage or drp.stage}"
    else:
        status += f", at {drp.stage.name}"
    lines = [
        f"Dispute Resolution Procedure (DRP) {drp.reference}: record for the child's file",
        "",
        f"Child{'ren' if len(data['children']) > 1 else ''}: "
        + "; ".join(f"{child.name} ({child.reference})" for child in data["children"]),
        f"Case type: {drp.get_case_type_display()}",
        f"Team: {drp.team or 'not allocated'}",
        f"Raised: {_day(drp.raised_on)} by {drp.raised_by}"
        + (f" (held now by {drp.iro})" if drp.iro_id != drp.raised_by_id else ""),
        f"Themes: {', '.join(theme.name for theme in data['themes'])}",
        f"Status: {status}",
    ]
    if drp.referred_to_cafcass:
        lines.append(f"Referred to Cafcass: {_day(drp.referred_to_cafcass_on)}")
    lines += ["", "Concern", drp.concern.strip(), "", "Stages"]
    lines += [f"- {line}" for line in data["stage_lines"]]
    lines += ["", "What happened"]
    for step in data["steps"]:
        lines.append(f"{step.on}: {step.heading}")
        if step.text:
            lines.append(step.text)
    if drp.outcome:
        lines += ["", "Outcome", drp.outcome.strip()]
    if drp.impact or data["impact_codes"]:
        lines += ["", "Impact for the child"]
        if data["impact_codes"]:
            lines.append(", ".join(code.name for code in data["impact_codes"]))
        if drp.impact:
            lines.append(drp.impact.strip())
    if drp.child_informed is not None:
        lines.append(f"Child told of the outcome: {'yes' if drp.child_informed else 'no'}; "
                     f"offered an advocate: {'yes' if drp.advocacy_offered else 'no'}.")
    lines += ["", f"Summary written by Footprint on {_day(data['written_on'])}."]
    return "\n".join(lines) + "\n"
