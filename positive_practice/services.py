"""Recording positive practice: one transaction that saves it with history, appends the
timeline event and notifies the social worker, their team manager and the complaints team."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from children.models import CaseType, Child
from notifications.services import notify
from people import roles
from people.models import Team, User
from people.selectors import users_with_role
from workflows.clocks import today
from workflows.history import save_with_history
from workflows.models import ReferenceSequence
from workflows.timeline import record_event

from . import access
from .models import PositivePractice, TimelineEvent

PRACTITIONER_MESSAGE = "Choose a social worker or manager in children's social care."


def recipients_for(pp: PositivePractice, children: list[Child]) -> list[User]:
    """The social worker recognised (or the child's allocated one), their team manager, and
    the Customer Feedback and Complaints Team."""
    social_worker = pp.practitioner or next((c.social_worker for c in children if c.social_worker_id), None)
    team = pp.team or (social_worker.team if social_worker and social_worker.team_id else None) \
        or next((c.team for c in children if c.team_id), None)
    team_manager = team.manager if team and team.manager_id else None
    return [social_worker, team_manager, *users_with_role(roles.COMPLAINTS)]


@transaction.atomic
def positive_practice_record(
    *, actor: User, children: list[Child], case_type: str, what_happened: str, impact: str,
    practitioner: User | None = None, team: Team | None = None, practitioner_name: str = "",
    drp=None, recorded_on: date | None = None,
) -> PositivePractice:
    if not access.can_record_positive_practice(actor):
        raise PermissionDenied("Only IROs, Conference Chairs and IRO Managers record positive practice.")
    recorded_on = recorded_on or today()
    errors = {}
    if not children:
        errors["children"] = "Choose at least one child."
    if case_type not in CaseType.values:
        errors["case_type"] = "Choose child protection (CP) or looked after (CLA)."
    if not (what_happened or "").strip():
        errors["what_happened"] = "Describe what they did."
    if not (impact or "").strip():
        errors["impact"] = "Describe the impact for the child."
    if recorded_on > today():
        errors["recorded_on"] = "The date must be today or in the past."
    if practitioner is not None and not access.may_be_named_practitioner(practitioner):
        errors["practitioner"] = PRACTITIONER_MESSAGE
    if errors:
        raise ValidationError(errors)
    if practitioner is None and team is None and not practitioner_name.strip():
        practitioner = next((c.social_worker for c in children if c.social_worker_id), None)
    pp = PositivePractice(
        reference=f"PP-{ReferenceSequence.next('positive-practice'):05d}", case_type=case_type,
        practitioner=practitioner, team=team or (practitioner.team if practitioner else None),
        practitioner_name=practitioner_name.strip(), what_happened=what_happened.strip(),
        impact=impact.strip(), drp=drp, recorded_by=actor, recorded_on=recorded_on,
    )
    save_with_history(pp, actor, "Recorded")
    pp.children.set(children)
    record_event(pp, actor, TimelineEvent.Action.RECORDED, note=pp.what_happened)
    # Names no child and quotes nothing recorded: the page has it (drp/notifications.py says why).
    pp.told = notify(recipients=recipients_for(pp, children), kind="positive-practice",
                     link=reverse("positive_practice:detail", args=[pp.pk]), context={"pp": pp, "actor": actor})
    return pp
