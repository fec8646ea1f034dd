"""Reads for subject access requests, always through the person asking.

A child's request belongs to the IRO Managers and holds no DO data; a DO subject's request
belongs to the DO Manager and is never shown to anyone outside the DO team. Someone holding
both roles sees both kinds."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from children.models import Child
from children.selectors import children_visible_to, search
from drp.selectors import drps_visible_to
from lado.models import Enquiry, name_key
from lado.selectors import enquiries_visible_to, subject_matches
from people import roles
from positive_practice.selectors import positive_practice_visible_to

from .models import SubjectAccessRequest
from .records import Redactor, ThirdParties, ThirdParty, child_records, enquiry_records

Kind = SubjectAccessRequest.Kind
MANAGER_FOR = {Kind.CHILD: roles.IRO_MANAGER, Kind.DO_SUBJECT: roles.DO_MANAGER}


def kinds_for(user) -> list[str]:
    """The kinds of request this person handles: none for anyone but the two managers."""
    if not (user and user.is_authenticated):
        return []
    return [kind for kind, role in MANAGER_FOR.items() if user.has_role(role)]


def require_handler(user, kind: str | None = None) -> None:
    kinds = kinds_for(user)
    if not kinds or (kind is not None and kind not in kinds):
        raise PermissionDenied("Subject access requests are handled by IRO Managers (children) and the DO "
                               "Manager (subjects of DO enquiries).")


def requests_visible_to(user) -> QuerySet[SubjectAccessRequest]:
    return SubjectAccessRequest.objects.filter(kind__in=kinds_for(user)).select_related("started_by", "child")


def request_for(user, pk) -> SubjectAccessRequest:
    try:
        return requests_visible_to(user).select_related("enquiry").get(pk=pk)
    except (SubjectAccessRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("No such request.")


# --- Finding the subject ---------------------------------------------------------------------------


def find_children(user, term: str) -> list[Child]:
    """Children matching a case reference or name, for an IRO Manager starting a request."""
    require_handler(user, Kind.CHILD)
    if not (term or "").strip():
        return []
    return list(search(children_visible_to(user), term).order_by("name", "id")[:20])


def find_do_subjects(user, term: str) -> list[Enquiry]:
    """Enquiries by reference or subject name (one per distinct subject), for the DO Manager."""
    require_handler(user, Kind.DO_SUBJECT)
    term = (term or "").strip()
    if not term:
        return []
    found = (enquiries_visible_to(user)
             .filter(Q(reference__iexact=term) | Q(subject_name_key=name_key(term)) | Q(subject_name__icontains=term))
             .exclude(subject_name_key="").order_by("-received_at", "-id")[:50])
    subjects: dict[tuple, Enquiry] = {}
    for enquiry in found:  # the same person is one choice, by lado's own matching rule
        key = (enquiry.subject_name_key, enquiry.subject_date_of_birth or enquiry.subject_employer_key)
        subjects.setdefault(key, enquiry)
    return list(subjects.values())[:20]


def subject_enquiries(user, sar: SubjectAccessRequest) -> QuerySet[Enquiry]:
    """The enquiry the subject was found by and every enquiry lado matches to the same subject."""
    if sar.enquiry_id is None:
        return Enquiry.objects.none()
    ids = [sar.enquiry_id, *subject_matches(sar.enquiry).values_list("pk", flat=True)]
    return enquiries_visible_to(user).filter(pk__in=ids)


# --- What was found, and what will be redacted --------------------------------------------------


@dataclass
class Found:
    """Every record about the subject, the cases they came from, and the third parties named."""

    records: list[dict]
    cases: list  # model instances, for logging the reads
    third_parties: list[ThirdParty]


def records_for(user, sar: SubjectAccessRequest) -> Found:
    require_handler(user, sar.kind)
    if sar.anonymised_at is not None:  # closed when a DO enquiry it covered was destroyed
        return Found(records=[], cases=[], third_parties=[])
    if sar.kind == Kind.CHILD:
        people = ThirdParties(subject_child=sar.child)
        drps = drps_visible_to(user)
        pps = positive_practice_visible_to(user)
        records = child_records(sar.child, drps, pps, people)
        cases = [sar.child, *drps.filter(children=sar.child).only("id"),
                 *pps.filter(children=sar.child).only("id")]
    else:
        people = ThirdParties(subject_name=sar.subject_name)
        enquiries = subject_enquiries(user, sar)
        records = enquiry_records(enquiries, people)
        cases = list(enquiries.only("id"))
    return Found(records=records, cases=cases, third_parties=people.all())


def chosen_keys(sar: SubjectAccessRequest, third_parties: list[ThirdParty]) -> set[str]:
    """Who is redacted: the manager's choice once saved; before that, every other child."""
    if sar.redactions_chosen:
        return set(sar.redacted_keys)
    return {party.key for party in third_parties if party.redact_by_default}


def redactions_snapshot(sar: SubjectAccessRequest, third_parties: list[ThirdParty]) -> dict:
    """What a decision records as redacted: each chosen third party with its words, and the
    free-text terms."""
    keys = chosen_keys(sar, third_parties)
    return {
        "names": [{"key": p.key, "name": p.name, "description": p.description, "terms": p.terms}
                  for p in third_parties if p.key in keys],
        "terms": sar.terms(),
    }


def redactor_for(snapshot: dict) -> Redactor:
    terms = [term for name in snapshot.get("names", []) for term in name.get("terms", [])]
    return Redactor(terms + list(snapshot.get("terms", [])))


def latest_decision(sar: SubjectAccessRequest):
    return sar.decisions.select_related("decided_by").order_by("-decided_at", "-id").first()
