from django.db.models import Q, QuerySet

from people.selectors import team_ids_in_scope

from . import access
from .models import Child


def children_visible_to(user) -> QuerySet[Child]:
    """Children this person may see: all for the reviewing team, auditors, business support
    and the DO team (to link enquiries); their teams' children for social-care staff."""
    qs = Child.objects.select_related("social_worker", "team")
    if access.reads_every_child(user):
        return qs
    if access.reads_own_teams_children(user):
        return qs.filter(Q(team_id__in=team_ids_in_scope(user)) | Q(social_worker=user))
    return qs.none()


def search(qs: QuerySet[Child], term: str) -> QuerySet[Child]:
    term = (term or "").strip()
    if not term:
        return qs
    return qs.filter(Q(reference__iexact=term) | Q(reference__istartswith=term) | Q(name__icontains=term))


def children_by_references(qs: QuerySet[Child], text: str) -> tuple[list[Child], list[str]]:
    """The children named by comma-separated case references (any case), in the order given
    and without repeats, and the references that matched no child in ``qs``."""
    references = [ref.strip() for ref in (text or "").split(",") if ref.strip()]
    query = Q()
    for ref in references:
        query |= Q(reference__iexact=ref)
    found = {child.reference.lower(): child for child in qs.filter(query)} if references else {}
    missing = [ref for ref in references if ref.lower() not in found]
    chosen = {found[ref.lower()].pk: found[ref.lower()] for ref in references if ref.lower() in found}
    return list(chosen.values()), missing


def children_by_ids(qs: QuerySet[Child], ids: list[int]) -> tuple[list[Child], list[int]]:
    """The children with these ids that ``qs`` holds, in the order given, and the ids it lacks."""
    found = {child.pk: child for child in qs.filter(pk__in=ids)}
    return [found[pk] for pk in dict.fromkeys(ids) if pk in found], [pk for pk in ids if pk not in found]
