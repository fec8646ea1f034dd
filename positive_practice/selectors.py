from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from people.selectors import team_ids_in_scope

from . import access
from .models import PositivePractice, TimelineEvent


def positive_practice_visible_to(user) -> QuerySet[PositivePractice]:
    """The reviewing team, complaints, business support and auditors see all of it;
    social-care staff see what concerns their teams or recognises them."""
    qs = PositivePractice.objects.all()
    if access.reads_all_positive_practice(user):
        return qs
    if access.reads_own_teams_positive_practice(user):
        scope = team_ids_in_scope(user)
        about_their_children = PositivePractice.children.through.objects.filter(
            child__team_id__in=scope, positivepractice_id=OuterRef("pk"))
        return qs.filter(Q(practitioner=user) | Q(team_id__in=scope) | Exists(about_their_children))
    return qs.none()


def with_list_data(qs):
    return qs.select_related("practitioner", "team", "recorded_by", "drp").prefetch_related("children")


def positive_practice_for(user, pk) -> PositivePractice:
    qs = with_list_data(positive_practice_visible_to(user)).prefetch_related(
        Prefetch("timeline", queryset=TimelineEvent.objects.select_related("actor")))
    try:
        return qs.get(pk=pk)
    except (PositivePractice.DoesNotExist, ValueError, TypeError):
        raise Http404("No such record.")
