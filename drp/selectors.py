"""Reads of DRPs, always through the person asking, so no view can forget the check."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from people import roles
from people.selectors import team_ids_in_scope

from . import access
from .models import DisputeResolution, Stage, TimelineEvent


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
        return qs.filter(Q(team_id__in=scope) | Q(addressee=user) | Exists(about_their_children))
    return qs.none()


def with_list_data(qs: QuerySet[DisputeResolution]) -> QuerySet[DisputeResolution]:
    """Everything a list row shows, in a fixed number of queries."""
    return qs.select_related("stage", "team", "raised_by", "addressee", "closed_at_stage").prefetch_related(
        "children", "themes"
    )


def drp_for(user, pk) -> DisputeResolution:
    """One DRP with all its detail, or 404 if it does not exist or the user may not see it."""
    qs = with_list_data(drps_visible_to(user)).prefetch_related(
        "stage__addressed_to",
        Prefetch("timeline", queryset=TimelineEvent.objects.select_related("actor")),
        "stage_records__stage",
        "stage_records__addressee",
        "stage_records__responded_by",
        "impact_codes",
    )
    try:
        return qs.get(pk=pk)
    except (DisputeResolution.DoesNotExist, ValueError, TypeError):
        raise Http404("No such DRP.")


def awaiting_response_from(user) -> QuerySet[DisputeResolution]:
    """Open challenges addressed to this person, soonest due first: those naming them, and
    those at a stage addressed to a role they hold for the child's team."""
    held = [slug for slug in user.role_slugs if slug in roles.SOCIAL_CARE]
    condition = Q(addressee=user)
    if held:
        condition |= Q(stage__addressed_to__slug__in=held, team_id__in=team_ids_in_scope(user))
    if roles.SOCIAL_WORKER in held:
        condition |= Q(stage__addressed_to__slug=roles.SOCIAL_WORKER, children__social_worker=user)
    ids = DisputeResolution.objects.filter(
        condition, status=DisputeResolution.Status.AWAITING_RESPONSE
    ).values("pk")
    return DisputeResolution.objects.filter(pk__in=ids).order_by("stage_due_date", "id")


def ladder() -> list[Stage]:
    return list(Stage.objects.prefetch_related("addressed_to"))
