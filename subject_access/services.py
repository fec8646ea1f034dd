"""Every change to a subject access request: one transaction, the row locked, the handler's role
checked (IRO Manager for a child, DO Manager for a DO subject), history written with who and why.
Decisions and downloads are appended, never changed."""

from __future__ import annotations

import hashlib
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q

from children.models import Child
from lado.models import Enquiry
from people.models import User
from workflows.clocks import now as clock_now
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.history import save_with_history
from workflows.locks import lock
from workflows.models import ReferenceSequence
from workflows.validation import require_text

from . import package, selectors
from .models import DisclosureDecision, Download, SubjectAccessRequest

Kind = SubjectAccessRequest.Kind
Decision = DisclosureDecision.Decision
MAX_TERMS = 200


def _lock(sar: SubjectAccessRequest) -> SubjectAccessRequest:
    sar = lock(SubjectAccessRequest.objects.select_related("child", "enquiry"), sar.pk)
    if sar.anonymised_at is not None:
        raise TransitionRefused(f"{sar.reference} was closed when {sar.anonymised_because}: its records and "
                                "names were removed, so nothing more can be done with it.")
    return sar


@transaction.atomic
def request_start(*, actor: User, requester_name: str, received_on: date, child: Child | None = None,
                  enquiry: Enquiry | None = None) -> SubjectAccessRequest:
    """Start a request for a child's records (IRO Manager) or a DO subject's (DO Manager)."""
    if (child is None) == (enquiry is None):
        raise ValidationError("Choose the child or the DO subject the request is about.")
    kind = Kind.CHILD if child is not None else Kind.DO_SUBJECT
    selectors.require_handler(actor, kind)
    require_text(requester_name=requester_name)
    if received_on is None:
        raise ValidationError({"received_on": "Enter the date the request was received."})
    if received_on > today():
        raise ValidationError({"received_on": "The date received must be today or in the past."})
    sar = SubjectAccessRequest(
        reference=f"SAR-{ReferenceSequence.next('subject_access'):05d}", kind=kind,
        requester_name=requester_name.strip(), received_on=received_on,
        subject_name=child.name if child else enquiry.subject_name, child=child, enquiry=enquiry,
        started_by=actor,
    )
    save_with_history(sar, actor, "Request started")
    return sar


@transaction.atomic
def request_set_redactions(*, actor: User, sar: SubjectAccessRequest, keys: list[str],
                           terms: str) -> SubjectAccessRequest:
    """Choose the third parties to redact and any other words to take out."""
    selectors.require_handler(actor, sar.kind)
    sar = _lock(sar)
    lines = [line.strip() for line in (terms or "").splitlines() if line.strip()]
    if len(lines) > MAX_TERMS:
        raise ValidationError({"terms": f"Enter at most {MAX_TERMS} words or phrases to redact."})
    if any(len(line) < 2 for line in lines):
        raise ValidationError({"terms": "Each word or phrase to redact must be at least 2 characters."})
    sar.redacted_keys = sorted(set(keys))
    sar.redaction_terms = "\n".join(dict.fromkeys(lines))
    sar.redactions_chosen = True
    save_with_history(sar, actor, "Redactions chosen")
    return sar


@transaction.atomic
def decision_record(*, actor: User, sar: SubjectAccessRequest, decision: str, reason: str) -> DisclosureDecision:
    """Record the disclosure decision with the redactions as they stand now: the download uses
    exactly these. A release with redactions needs some; a release in full allows none."""
    selectors.require_handler(actor, sar.kind)
    sar = _lock(sar)
    if decision not in Decision.values:
        raise ValidationError({"decision": "Choose release in full, release with redactions or withhold."})
    require_text(reason=reason)
    found = selectors.records_for(actor, sar)
    snapshot = selectors.redactions_snapshot(sar, found.third_parties)
    redacting = bool(snapshot["names"] or snapshot["terms"])
    if decision == Decision.RELEASE_IN_FULL and redacting:
        raise ValidationError({"decision": "Redactions are chosen: release with redactions, or clear them "
                                           "before releasing in full."})
    if decision == Decision.RELEASE_WITH_REDACTIONS and not redacting:
        raise ValidationError({"decision": "No redactions are chosen: choose them first, or release in full."})
    if decision == Decision.WITHHOLD:
        snapshot = {"names": [], "terms": []}
    made = DisclosureDecision(request=sar, decision=decision, reason=reason.strip(), redactions=snapshot,
                              decided_by=actor)
    save_with_history(made, actor, f"Decision: {made.get_decision_display()}")
    return made


@transaction.atomic
def download_prepare(*, actor: User, sar: SubjectAccessRequest) -> tuple[str, bytes, list]:
    """Build the ZIP under the latest decision and log the download. Refused (409) before a
    decision, and after a decision to withhold."""
    selectors.require_handler(actor, sar.kind)
    sar = _lock(sar)
    decision = selectors.latest_decision(sar)
    if decision is None:
        raise TransitionRefused(f"{sar.reference} has no disclosure decision yet: record one before downloading.")
    if not decision.releases:
        raise TransitionRefused(f"{sar.reference} is withheld, so there is nothing to download.")
    found = selectors.records_for(actor, sar)
    redactor = selectors.redactor_for(decision.redactions)
    content, _ = package.build_zip(cover=package.cover_for(sar, decision, actor), records=found.records,
                                   redactor=redactor)
    filename = f"{sar.reference}-records.zip"
    Download.objects.create(request=sar, decision=decision, downloaded_by=actor, filename=filename,
                            sha256=hashlib.sha256(content).hexdigest(), size=len(content))
    return filename, content, found.cases



FORGET_FUNCTION = "footprint_forget_destroyed_do_case_requests"


def forget_destroyed_enquiry(enquiry: Enquiry, same_subject_ids: list[int]) -> int:
    """Called by ``lado.services.purge`` inside the destruction's transaction: every DO-subject
    request whose records included the destroyed enquiry (found by it, or by another enquiry about
    the same subject, ``same_subject_ids``) loses the names it holds, in its history too: the
    subject, the requester, the third parties chosen for redaction, the redaction words and the
    decisions' reasons and redaction lists. What stays is what the destruction log keeps: the
    reference, dates, the decisions made, who acted, and each download's file name and hash.
    The request is closed (every change and download is then refused). Returns how many."""
    requests = SubjectAccessRequest.objects.filter(kind=Kind.DO_SUBJECT).filter(
        Q(enquiry_id=enquiry.pk) | Q(enquiry_id__in=same_subject_ids))
    ids = list(requests.values_list("pk", flat=True))
    if not ids:
        return 0
    because = f"{enquiry.reference} was destroyed"
    if connection.vendor == "postgresql":
        # History and decisions are append-only and the application's role may not change them:
        # a function run with the owner's rights blanks them, for a destroyed enquiry only
        # (subject_access/migrations/0004).
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {FORGET_FUNCTION}(%s, %s, %s)", [enquiry.pk, ids, because])
            return cursor.fetchone()[0]
    blank = {"requester_name": "", "subject_name": "", "redacted_keys": [], "redaction_terms": ""}
    SubjectAccessRequest.objects.filter(pk__in=ids).update(
        **blank, anonymised_at=clock_now(), anonymised_because=because)
    SubjectAccessRequest.history.model.objects.filter(id__in=ids).update(**blank, anonymised_because=because)
    # Decisions are append-only for people; destruction is the one path that may blank them.
    DisclosureDecision._base_manager.filter(request_id__in=ids).update(reason="", redactions={})
    DisclosureDecision.history.model.objects.filter(request_id__in=ids).update(reason="", redactions={})
    return len(ids)
