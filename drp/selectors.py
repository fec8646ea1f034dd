"""Reads of DRPs, always through the person asking, so no view can forget the check."""

from __future__ import annotations

from django.db import connections
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from people import roles
from people.selectors import holder_of_role_for_team, team_ids_in_scope
from workflows.clocks import today

from . import access
from .models import AgreedAction, Cover, DisputeResolution, Stage, StageRecord, TimelineEvent


def covers_running(on=None) -> QuerySet[Cover]:
    """Covers in force on ``on``: begun, not past their last day, and not ended early by then."""
    on = on or today()
    return Cover.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on), starts_on__lte=on, ends_on__gte=on)


def absentees_covered_by(user, on=None) -> list[int]:
    """Whom this person covers for today: their DRPs are in this person's inbox too."""
    if not user.is_authenticated:
        return []
    return list(covers_running(on).filter(colleague=user).values_list("absent_id", flat=True).distinct())


def covers_for(user, absent_id: int, on=None) -> bool:
    return covers_running(on).filter(colleague=user, absent_id=absent_id).exists()


def colleagues_covering(absent_ids, on=None) -> dict[int, list]:
    """{absent person's id: the colleagues covering for them today}, in one query: reminders
    and notifications go to both."""
    found: dict[int, list] = {}
    ids = {pk for pk in absent_ids if pk is not None}
    if not ids:
        return found
    for cover in covers_running(on).filter(absent_id__in=ids).select_related("colleague"):
        found.setdefault(cover.absent_id, []).append(cover.colleague)
    return found


def covers_visible_to(user) -> QuerySet[Cover]:
    """Covers this person set up, takes part in, or (as a line manager) oversees: current and
    coming ones first."""
    line = Q(absent__team__manager=user) | Q(absent__managed_teams__parent__manager=user)  # their line manager
    return (Cover.objects.filter(Q(absent=user) | Q(colleague=user) | Q(set_up_by=user) | line)
            .filter(ends_on__gte=today(), ended_on__isnull=True).distinct()
            .select_related("absent", "colleague", "set_up_by")
            .order_by("starts_on", "id"))


def drps_visible_to(user) -> QuerySet[DisputeResolution]:
    """The reviewing team, business support and auditors see every DRP; social-care staff
    see DRPs about children in their teams or addressed to them; nobody else sees any."""
    qs = DisputeResolution.objects.all()
    if access.reads_every_drp(user):
        return qs
    if access.answers_drps(user):
        scope = team_ids_in_scope(user)
        about_their_children = DisputeResolution.children.through.objects.filter(
            Q(child__team_id__in=scope) | Q(child__social_worker=user), disputeresolution_id=OuterRef("pk"))
        covered = absentees_covered_by(user)
        return qs.filter(Q(team_id__in=scope) | Q(addressee=user) | Q(addressee_id__in=covered)
                         | Exists(about_their_children))
    return qs.none()


def with_list_data(qs: QuerySet[DisputeResolution]) -> QuerySet[DisputeResolution]:
    """Everything a list row shows, in a fixed number of queries."""
    return qs.select_related("stage", "team", "raised_by", "iro", "addressee", "closed_at_stage").prefetch_related(
        "children", "themes"
    )


def drp_for(user, pk) -> DisputeResolution:
    """One DRP with all its detail, or 404 if it does not exist or the user may not see it."""
    qs = with_list_data(drps_visible_to(user)).select_related("addressee_contact__agency").prefetch_related(
        "stage__addressed_to",
        Prefetch("timeline", queryset=TimelineEvent.objects.select_related("actor", "on_behalf_of")),
        "stage_records__stage",
        "stage_records__addressee",
        "stage_records__responded_by",
        "impact_codes",
        Prefetch("agreed_actions", queryset=AgreedAction.objects.select_related(
            "stage", "owner", "owner_contact__agency")),
    )
    return _one(qs, pk)


def drp_to_move(user, pk) -> DisputeResolution:
    """One DRP the person may see, read for a move: its row, its stage and whom the stage is
    addressed to, and its children, which is what a move's checks read (anything else they
    need they read themselves). The move's service locks the row and reads it again, and the
    answer reads the whole detail afresh, so reading it all here too doubled every move's reads."""
    qs = drps_visible_to(user).select_related("stage", "team", "iro", "addressee").prefetch_related(
        "stage__addressed_to", "children")
    return _one(qs, pk)


def _one(qs: QuerySet[DisputeResolution], pk) -> DisputeResolution:
    try:
        return qs.get(pk=pk)
    except (DisputeResolution.DoesNotExist, ValueError, TypeError):
        raise Http404("No such DRP.")


def awaiting_response_from(user) -> QuerySet[DisputeResolution]:
    """Open challenges addressed to this person, soonest due first: those naming them, and
    those at a stage addressed to a role they hold for the child's team.

    Every condition is on the DRP's own row or a subquery, never a join: joining the stage's
    roles and the children multiplied the rows and made the database read the whole inbox
    before the first page (at 1M DRPs, 500 a child: 9.5 s a page, issue 15)."""
    held = [slug for slug in user.role_slugs if slug in roles.SOCIAL_CARE]
    condition = Q(addressee=user)
    covered = absentees_covered_by(user)
    if covered:
        condition |= Q(addressee_id__in=covered)
    stages = Stage.addressed_to.through.objects
    if held:
        condition |= Q(stage_id__in=stages.filter(role_id__in=held).values("stage_id"),
                       team_id__in=team_ids_in_scope(user))
    if roles.SOCIAL_WORKER in held:
        their_child = DisputeResolution.children.through.objects.filter(
            disputeresolution_id=OuterRef("pk"), child__social_worker=user)
        condition |= Q(Q(stage_id__in=stages.filter(role_id=roles.SOCIAL_WORKER).values("stage_id")),
                       Exists(their_child))
    return DisputeResolution.objects.filter(
        condition, status=DisputeResolution.Status.AWAITING_RESPONSE).order_by("stage_due_date", "id")


def ladder() -> list[Stage]:
    return list(Stage.objects.prefetch_related("addressed_to"))


def open_drp_references(user, children, excluding=None) -> dict[int, list[str]]:
    """Each child's open DRPs (references, oldest first), in one query."""
    qs = drps_visible_to(user).filter(status__in=DisputeResolution.OPEN_STATUSES, children__in=children)
    if excluding is not None:
        qs = qs.exclude(pk=excluding.pk)
    found: dict[int, list[str]] = {}
    for child_id, reference in qs.values_list("children", "reference").order_by("raised_on", "id"):
        if reference not in found.setdefault(child_id, []):
            found[child_id].append(reference)
    return found


def open_drp_warnings(user, children, excluding=None) -> list[str]:
    """"Amy Example already has an open DRP: DRP-2026-0001": a warning, never a refusal,
    when a DRP is raised for a child who has one (the IRO may mean a second concern)."""
    found = open_drp_references(user, children, excluding)
    return [f"{child.name} already has an open DRP: {', '.join(found[child.pk])}"
            for child in children if child.pk in found]


def overdue_condition(on) -> Q:
    """Any clock ``DisputeResolution.clocks`` shows as running (stage response, IRO review,
    overall limit) past its date on ``on``."""
    Status = DisputeResolution.Status
    return (Q(status=Status.AWAITING_RESPONSE, stage_due_date__lt=on)
            | Q(status=Status.AWAITING_REVIEW, review_due_date__lt=on)
            | Q(status__in=DisputeResolution.OPEN_STATUSES, overall_due_date__lt=on))


def _agreed_by_passed(on):
    return StageRecord.objects.filter(drp_id=OuterRef("pk"), agreed_by__lt=on)


def needs_my_action(user, on) -> dict[str, QuerySet[DisputeResolution]]:
    """An IRO's open DRPs that wait on them: responses to review (with the day the response
    came), agreed-by dates that have passed (to check it happened) and clocks that have run
    out (the reminders: consider escalating). Each list soonest due first."""
    mine = with_list_data(DisputeResolution.objects.filter(
        iro=user, status__in=DisputeResolution.OPEN_STATUSES))
    responded = StageRecord.objects.filter(drp_id=OuterRef("pk"), responded_on__isnull=False) \
        .order_by("-responded_on", "-id").values("responded_on")[:1]
    agreed = StageRecord.objects.filter(drp_id=OuterRef("pk"), agreed_by__lt=on) \
        .order_by("agreed_by").values("agreed_by")[:1]
    return {
        "review": mine.filter(status=DisputeResolution.Status.AWAITING_REVIEW).annotate(
            responded_on=Subquery(responded)).order_by("review_due_date", "id"),
        "agreed": mine.filter(Exists(_agreed_by_passed(on))).annotate(
            agreed_by=Subquery(agreed)).order_by("agreed_by", "id"),
        "overdue": mine.filter(overdue_condition(on)).order_by("stage_due_date", "id"),
    }


def needs_my_action_counts(user, on) -> dict[str, int]:
    """How many of each list ``needs_my_action`` holds, in one query."""
    return DisputeResolution.objects.filter(
        iro=user, status__in=DisputeResolution.OPEN_STATUSES).aggregate(
        review=Count("pk", filter=Q(status=DisputeResolution.Status.AWAITING_REVIEW)),
        agreed=Count("pk", filter=Q(Exists(_agreed_by_passed(on)))),
        overdue=Count("pk", filter=overdue_condition(on)))


def needs_my_action_count(user, on, up_to: int) -> int:
    """The number beside "Needs my action" in the navigation, counted no further than past
    ``up_to``: each list is counted to ``up_to + 1`` rows (one statement), so an IRO with a
    long list costs every page a few rows, not their whole caseload; a sum past ``up_to`` is
    shown as "more than". At or below ``up_to`` it equals ``needs_my_action_counts``' sum."""
    return sum(_counted_up_to(needs_my_action(user, on).values(), up_to + 1))


def awaiting_response_count(user, up_to: int) -> int:
    """The number beside "Awaiting my response", counted to ``up_to + 1`` at most."""
    return awaiting_response_from(user).order_by().values("pk")[: up_to + 1].count()


def _counted_up_to(querysets, limit: int) -> list[int]:
    """Each queryset's rows counted no further than ``limit``, in one statement (on the
    database the querysets would read from)."""
    parts, params, querysets = [], [], list(querysets)
    for n, queryset in enumerate(querysets):
        sql, more = queryset.order_by().values("pk")[:limit].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS list_{n})")
        params.extend(more)
    with connections[querysets[0].db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return list(cursor.fetchone())


def addressed_people(drp: DisputeResolution) -> list[tuple]:
    """Each person the current stage is addressed to, with the role they answer in, as the
    child's allocation finds them: [(Sam Ellis, "Social Worker"), (Alex Reed, "Team Manager")]."""
    people, seen = [], set()
    ranked = sorted(drp.stage.addressed_to.all(),
                    key=lambda role: roles.SOCIAL_CARE.index(role.slug) if role.slug in roles.SOCIAL_CARE else 99)
    for role in ranked:
        if role.slug == roles.SOCIAL_WORKER:
            found = [child.social_worker for child in drp.children.all() if child.social_worker_id]
        else:
            found = [holder_of_role_for_team(role.slug, drp.team_id)]
        for person in found:
            if person is not None and (person.pk, role.slug) not in seen:
                seen.add((person.pk, role.slug))
                people.append((person, role.name))
    return people
