from django.db.models import Q, QuerySet

from people import roles
from people.selectors import team_ids_in_scope

from .models import Child


def children_visible_to(user) -> QuerySet[Child]:
    """Children this person may see: all for the reviewing team, auditors, business support
    and the DO team (to link enquiries); their teams' children for social-care staff."""
    qs = Child.objects.select_related("social_worker", "team")
    if user.has_role(*roles.READ_ALL_DRPS, *roles.DO_TEAM):
        return qs
    if user.has_role(*roles.SOCIAL_CARE):
        return qs.filter(Q(team_id__in=team_ids_in_scope(user)) | Q(social_worker=user))
    return qs.none()


def search(qs: QuerySet[Child], term: str) -> QuerySet[Child]:
    term = (term or "").strip()
    if not term:
        return qs
    return qs.filter(Q(reference__iexact=term) | Q(reference__istartswith=term) | Q(name__icontains=term))
