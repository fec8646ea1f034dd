"""The DRP state machine (viewflow.fsm). Services drive it; nothing else sets ``status``.

An import creates historical DRPs in the status its file gives; it changes an existing DRP only
through ``reimport``: a closed DRP that an import created and nobody has touched since.
"""

from viewflow import fsm

from children.models import CaseType
from people import roles
from people.selectors import holds_role_for_team

from . import access
from .models import DisputeResolution, TimelineEvent

Status = DisputeResolution.Status
OPEN = [Status.AWAITING_RESPONSE, Status.AWAITING_REVIEW]
CLOSED = [Status.RESOLVED, Status.WITHDRAWN]


def is_challenger(flow, user) -> bool:
    """IROs, Conference Chairs and IRO Managers raise and move DRPs on."""
    return access.can_raise_drp(user)


def is_addressee(flow, user) -> bool:
    """The named addressee of the current stage, or anyone holding an addressed role for
    the child's team (a team manager covering for a colleague, say)."""
    drp = flow.drp
    if not user.is_authenticated:
        return False
    if drp.addressee_id is not None and drp.addressee_id == user.pk:
        return True
    addressed = [role.slug for role in drp.stage.addressed_to.all()]
    if roles.SOCIAL_WORKER in addressed and user.has_role(roles.SOCIAL_WORKER):
        if drp.children.filter(social_worker=user).exists():
            return True
    return any(holds_role_for_team(user, role, drp.team_id) for role in addressed)


def is_importer(flow, user) -> bool:
    return access.can_import_drps(user)


def changed_in_footprint(drp: DisputeResolution) -> bool:
    """Whether anything but an import wrote the timeline (an importer annotates
    ``changed_in_footprint`` for a whole chunk in its query)."""
    if hasattr(drp, "changed_in_footprint"):
        return drp.changed_in_footprint
    return drp.timeline.exclude(action=TimelineEvent.Action.IMPORTED).exists()


def imported_and_untouched(flow):
    """Only what an import wrote may an import rewrite: not a DRP raised in Footprint, nor one
    anybody has moved on (responded, escalated, closed, referred) since it was imported."""
    drp = flow.drp
    if not drp.imported_from:
        return fsm.State.CONDITION(
            False, unmet=f"{drp.reference} was raised in Footprint: an import never changes it.")
    return fsm.State.CONDITION(
        not changed_in_footprint(drp),
        unmet=f"{drp.reference} has been changed in Footprint since it was imported: "
              "an import no longer changes it.")


def has_later_stage(flow):
    later = flow.later_stages()
    return fsm.State.CONDITION(
        bool(later), unmet=f"{flow.drp.stage.name} is the last stage: the DRP cannot be escalated further."
    )


def is_looked_after(flow):
    """Cafcass is for looked-after children (IRO Handbook 6.5): the DRP's type, and every
    child's record now, say so."""
    drp = flow.drp
    not_looked_after = [] if drp.pk is None else [
        child.name for child in drp.children.all() if child.case_type != CaseType.CLA]
    if drp.case_type != CaseType.CLA:
        unmet = "Only a looked-after child's DRP can be referred to Cafcass."
    else:
        unmet = (f"{', '.join(not_looked_after)} {'is' if len(not_looked_after) == 1 else 'are'} "
                 "no longer recorded as looked after: only looked-after children can be referred "
                 "to Cafcass.")
    return fsm.State.CONDITION(drp.case_type == CaseType.CLA and not not_looked_after, unmet=unmet)


def not_yet_referred(flow):
    return fsm.State.CONDITION(
        not flow.drp.referred_to_cafcass, unmet="This DRP has already been referred to Cafcass."
    )


class DisputeResolutionFlow:
    status = fsm.State(Status, default=Status.AWAITING_RESPONSE)

    def __init__(self, drp: DisputeResolution, ladder=None):
        self.drp = drp
        self._ladder = ladder

    @status.getter()
    def _get_status(self):
        return self.drp.status

    @status.setter()
    def _set_status(self, value):
        self.drp.status = value

    #: How each move reads in a refusal ("DRP-0001 is resolved, so it cannot be escalated.").
    MOVE_VERBS = {"respond": "responded to", "escalate": "escalated", "resolve": "resolved",
                  "withdraw": "withdrawn", "refer_to_cafcass": "referred to Cafcass"}

    def refusal(self, name: str) -> str:
        """The 409 sentence when the DRP's status does not allow move ``name``."""
        drp = self.drp
        verb = self.MOVE_VERBS.get(name, "changed this way")
        return f"{drp.reference} is {drp.get_status_display().lower()}, so it cannot be {verb}."

    def later_stages(self):
        from .models import Stage

        ladder = self._ladder if self._ladder is not None else list(Stage.objects.all())
        return [stage for stage in ladder if stage.order > self.drp.stage.order]

    @status.transition(source=Status.AWAITING_RESPONSE, target=Status.AWAITING_REVIEW,
                       label="Respond", permission=is_addressee)
    def respond(self):
        """The addressee answers: what will be done, and by when."""

    @status.transition(source=OPEN, target=Status.AWAITING_RESPONSE, label="Escalate",
                       permission=is_challenger, conditions=[has_later_stage])
    def escalate(self):
        """The IRO takes the challenge to the next (or a named later) stage."""

    @status.transition(source=OPEN, target=Status.RESOLVED, label="Resolve", permission=is_challenger)
    def resolve(self):
        """The IRO records the outcome and its impact for the child."""

    @status.transition(source=OPEN, target=Status.WITHDRAWN, label="Withdraw", permission=is_challenger)
    def withdraw(self):
        """The IRO withdraws the challenge, with a reason."""

    @status.transition(source=OPEN, label="Refer to Cafcass", permission=is_challenger,
                       conditions=[is_looked_after, not_yet_referred])
    def refer_to_cafcass(self):
        """For a looked-after child: refer to Cafcass, alongside or instead of escalating."""

    @status.transition(source=CLOSED, target=fsm.State.GET_STATE(lambda flow, status: status, states=CLOSED),
                       label="Correct by importing again", permission=is_importer,
                       conditions=[imported_and_untouched])
    def reimport(self, status):
        """A file imported again corrects a closed historical DRP; it stays closed."""
