"""Subject access request pages. Thin: reads through selectors, writes through services.

Every page checks the handler's role first (403 for everyone else, superusers included), and the
preview logs a read of every case it shows, as any other page showing a case does."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from lado.selectors import ENQUIRY_KIND
from workflows.audit import record_reads, record_reads_by_id
from workflows.exceptions import TransitionRefused
from workflows.forms import add_errors

from . import selectors, services
from .forms import DecisionForm, RedactionForm, StartForm
from .models import SubjectAccessRequest
from .records import Redactor

Kind = SubjectAccessRequest.Kind


def request_list(request):
    selectors.require_handler(request.user)
    page = Paginator(selectors.requests_visible_to(request.user), 50).get_page(request.GET.get("page"))
    # A DO subject's request names them: showing it is a read of the enquiry they were found by.
    record_reads_by_id(request.user, ENQUIRY_KIND, [sar.enquiry_id for sar in page if sar.enquiry_id],
                       "subject_access:list")
    return render(request, "subject_access/list.html", {"page": page})


def request_start(request):
    """Who asked, when, about whom. Several people match the name or reference: choose one."""
    selectors.require_handler(request.user)
    kinds = selectors.kinds_for(request.user)
    form = StartForm(request.POST or None, kinds=kinds)
    candidates, status = [], 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            is_child = data["kind"] == Kind.CHILD
            find = selectors.find_children if is_child else selectors.find_do_subjects
            candidates = find(request.user, data["subject"])
            if not is_child:  # each DO subject offered is shown with the enquiry it was found in
                record_reads(request.user, candidates, "subject_access:start")
            chosen = request.POST.get("choice", "")
            picked = [c for c in candidates if str(c.pk) == chosen] or (candidates if len(candidates) == 1 else [])
            if not candidates:
                form.add_error("subject", "No child has that case reference or name" if is_child
                               else "No DO enquiry has that reference or subject name")
            elif picked:
                try:
                    sar = services.request_start(
                        actor=request.user, requester_name=data["requester_name"], received_on=data["received_on"],
                        **({"child": picked[0]} if is_child else {"enquiry": picked[0]}))
                except ValidationError as exc:
                    add_errors(form, exc)
                else:
                    messages.success(request, f"{sar.reference} started")
                    return redirect("subject_access:detail", pk=sar.pk)
            else:
                status = 200  # several match: the page asks which one
    return render(request, "subject_access/start.html", {
        "form": form, "candidates": candidates, "is_child": form.data.get("kind") == Kind.CHILD
        if form.is_bound else kinds == [Kind.CHILD],
    }, status=status)


def _log_reads(user, found, view: str) -> None:
    """Every case whose records (or third parties' names) the page shows, in one insert."""
    record_reads(user, found.cases, view)


def _closed(request, sar):
    """A request closed when a DO enquiry it covered was destroyed: nothing more can be done (409)."""
    return render(request, "subject_access/refused.html", {
        "sar": sar, "heading": "This request is closed",
        "refusal": f"{sar.reference} was closed when {sar.anonymised_because}: its records and names were "
                   "removed, so nothing more can be done with it."}, status=409)


def request_detail(request, pk):
    """Every record found about the subject, shown as it would be released with the redactions
    chosen now (or without them, to check what is taken out)."""
    selectors.require_handler(request.user)
    sar = selectors.request_for(request.user, pk)
    found = selectors.records_for(request.user, sar)
    _log_reads(request.user, found, "subject_access:detail")
    snapshot = selectors.redactions_snapshot(sar, found.third_parties)
    original = request.GET.get("show") == "original"
    redactor = Redactor([]) if original else selectors.redactor_for(snapshot)
    latest = selectors.latest_decision(sar)
    return render(request, "subject_access/detail.html", {
        "sar": sar, "records": redactor.apply(found.records), "third_parties": found.third_parties,
        "snapshot": snapshot, "original": original, "latest": latest,
        "decisions": sar.decisions.select_related("decided_by").order_by("-decided_at", "-id"),
        "downloads": sar.downloads.select_related("downloaded_by", "decision").order_by("-downloaded_at", "-id"),
        "changed_since_decision": bool(latest and latest.releases and latest.redactions != snapshot),
    })


def request_redactions(request, pk):
    selectors.require_handler(request.user)
    sar = selectors.request_for(request.user, pk)
    if sar.anonymised_at is not None:
        return _closed(request, sar)
    found = selectors.records_for(request.user, sar)
    _log_reads(request.user, found, "subject_access:redactions")
    initial = {"redact": sorted(selectors.chosen_keys(sar, found.third_parties)), "terms": sar.redaction_terms}
    form = RedactionForm(request.POST or None, initial=initial, third_parties=found.third_parties)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.request_set_redactions(actor=request.user, sar=sar, keys=form.cleaned_data["redact"],
                                                terms=form.cleaned_data["terms"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Redactions saved")
                return redirect("subject_access:detail", pk=sar.pk)
    return render(request, "subject_access/redactions.html", {
        "sar": sar, "form": form, "third_parties": found.third_parties}, status=status)


def request_decision(request, pk):
    selectors.require_handler(request.user)
    sar = selectors.request_for(request.user, pk)
    if sar.anonymised_at is not None:
        return _closed(request, sar)
    found = selectors.records_for(request.user, sar)
    _log_reads(request.user, found, "subject_access:decision")
    snapshot = selectors.redactions_snapshot(sar, found.third_parties)
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                decision = services.decision_record(actor=request.user, sar=sar, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"Decision recorded: {decision.get_decision_display().lower()}")
                return redirect("subject_access:detail", pk=sar.pk)
    return render(request, "subject_access/decision.html", {
        "sar": sar, "form": form, "snapshot": snapshot, "record_count": len(found.records)}, status=status)


def request_download(request, pk):
    """The ZIP, only under a decision to release; every download is logged."""
    selectors.require_handler(request.user)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    sar = selectors.request_for(request.user, pk)
    try:
        filename, content, cases = services.download_prepare(actor=request.user, sar=sar)
    except TransitionRefused as exc:
        return render(request, "subject_access/refused.html", {"sar": sar, "refusal": exc.message}, status=409)
    record_reads(request.user, cases, "subject_access:download")
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
