"""DRP pages. Thin: reads go through selectors, writes through services."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from api.pagination import BoundedPaginator
from children.selectors import (
    children_by_references,
    children_to_choose,
    children_visible_to,
    chooser_label,
)
from workflows.audit import record_read
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.exports import table_response
from workflows.forms import add_errors
from workflows.moves import MoveForm, submit
from workflows.transitions import available

from . import access, clocks, holding, services, summary
from .filters import DisputeResolutionFilter
from .flows import DisputeResolutionFlow
from .forms import (
    AgreeActionForm,
    EscalateForm,
    RaiseForm,
    ReasonForm,
    ReassignForm,
    RecordActionForm,
    ResolveForm,
    RespondForm,
)
from .models import AgreedAction, DisputeResolution, Stage, Theme
from .selectors import (
    addressed_people,
    drp_for,
    drps_visible_to,
    open_drp_references,
    open_drp_warnings,
    with_list_data,
)

#: The forms of the DRP's moves (``workflows.moves``), in the order the case page shows them.
MOVE_FORMS = {
    "respond": MoveForm(
        "respond", "Respond", lambda data, drp, request: RespondForm(data),
        lambda drp, actor, form: services.drp_respond(drp=drp, actor=actor, **form.cleaned_data),
        "Response sent"),
    "escalate": MoveForm(
        "escalate", "Escalate", lambda data, drp, request: EscalateForm(data, drp=drp),
        lambda drp, actor, form: services.drp_escalate(drp=drp, actor=actor, **form.cleaned_data),
        "DRP escalated"),
    "resolve": MoveForm(
        "resolve", "Resolve", lambda data, drp, request: ResolveForm(data, drp=drp),
        lambda drp, actor, form: services.drp_resolve(drp=drp, actor=actor, **form.cleaned_data),
        "DRP resolved"),
    "withdraw": MoveForm(
        "withdraw", "Withdraw", lambda data, drp, request: ReasonForm(data, button="Withdraw DRP", slug="withdraw"),
        lambda drp, actor, form: services.drp_withdraw(drp=drp, actor=actor, **form.cleaned_data),
        "DRP withdrawn"),
    "refer-to-cafcass": MoveForm(
        "refer_to_cafcass", "Refer to Cafcass",
        lambda data, drp, request: ReasonForm(data, button="Refer to Cafcass", slug="refer-to-cafcass"),
        lambda drp, actor, form: services.drp_refer_to_cafcass(drp=drp, actor=actor, **form.cleaned_data),
        "Referral to Cafcass recorded"),
    "reassign": MoveForm(
        "reassign", "Reassign to another IRO", lambda data, drp, request: ReassignForm(data, drp=drp),
        lambda drp, actor, form: holding.drp_reassign(drp=drp, actor=actor, **form.cleaned_data),
        "DRP reassigned"),
    "reopen": MoveForm(
        "reopen", "Reopen", lambda data, drp, request: ReasonForm(data, button="Reopen DRP", slug="reopen"),
        lambda drp, actor, form: holding.drp_reopen(drp=drp, actor=actor, **form.cleaned_data),
        "DRP reopened"),
}


def _require_drp_reader(user):
    if not access.can_read_drps(user):
        raise PermissionDenied("DRPs are for the reviewing team and social-care managers.")


def drp_list(request):
    """My DRPs (IROs) or all visible DRPs (IRO Managers and everyone else), open ones first;
    closed one click away. Search and filters are the API's (``GET /api/drps/``); CSV and XLSX
    download exactly the filtered list."""
    _require_drp_reader(request.user)
    params = request.GET.copy()
    showing_closed = params.get("closed") == "1"
    qs = drps_visible_to(request.user)
    mine_only = access.lists_own_drps_first(request.user) and params.get("all") != "1" and not params.get("iro")
    if mine_only:
        qs = qs.filter(iro=request.user)
    if not params.getlist("status"):
        qs = qs.filter(status__in=[DisputeResolution.Status.RESOLVED, DisputeResolution.Status.WITHDRAWN]
                       if showing_closed else DisputeResolution.OPEN_STATUSES)
    filterset = DisputeResolutionFilter(params, queryset=with_list_data(qs))
    ordered = filterset.qs.order_by("-closed_on", "-id") if showing_closed else \
        filterset.qs.order_by("stage_due_date", "id")
    if params.get("format") in ("csv", "xlsx") and filterset.is_valid():
        return _export(params["format"], ordered)
    page = BoundedPaginator(ordered, 50).get_page(request.GET.get("page"))
    on = today()
    rows = [(drp, drp.stage_clock(on), drp.overall_clock(on)) for drp in page]
    export_query = params.copy()
    export_query.pop("page", None)
    return render(request, "drp/list.html", {
        "filterset": filterset, "page": page, "rows": rows, "showing_closed": showing_closed,
        "mine_only": mine_only,
        "can_raise": access.can_raise_drp(request.user),
        "filter_checkbox_fields": _checkbox_filters(params, showing_closed),
        "export_query": export_query.urlencode(),
    })


def _export(fmt, qs):
    """The filtered list as a spreadsheet: one row a DRP, its clocks as dates."""
    header = ["reference", "children", "case_references", "case_type", "stage", "status", "iro", "team",
              "raised_on", "stage_due_date", "review_due_date", "overall_due_date", "closed_on"]

    def rows():
        for drp in qs.iterator(chunk_size=500):  # prefetches a chunk at a time
            children = list(drp.children.all())
            yield [drp.reference, "; ".join(c.name for c in children), "; ".join(c.reference for c in children),
                   drp.case_type, drp.stage.name, drp.get_status_display(), drp.iro.get_full_name()
                   or drp.iro.username, drp.team.name if drp.team else "",
                   drp.raised_on, drp.stage_due_date, drp.review_due_date, drp.overall_due_date, drp.closed_on]

    return table_response(fmt, "drps", header, ([_iso(v) for v in row] for row in rows()))


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _checkbox_filters(params, showing_closed):
    """Options for the filter panel, ticked as the person chose them."""
    Status = DisputeResolution.Status
    statuses = [Status.RESOLVED, Status.WITHDRAWN] if showing_closed else list(DisputeResolution.OPEN_STATUSES)
    groups = [
        ("status", "Status", [(s.value, s.label) for s in statuses]),
        ("stage", "Stage", [(s.key, s.name) for s in Stage.objects.all()]),
        ("theme", "Theme", [(t.slug, t.name) for t in Theme.objects.filter(active=True)]),
    ]
    return [
        {"name": name, "label": label, "options": [
            {"value": value, "label": text, "checked": value in params.getlist(name)}
            for value, text in options
        ]}
        for name, label, options in groups
    ]


def drp_raise(request):
    """Raise a DRP in under a minute: from a child's page the reference is filled in."""
    if not access.can_raise_drp(request.user):
        raise PermissionDenied("Only IROs, Conference Chairs and IRO Managers can raise a DRP.")
    children_qs = children_visible_to(request.user)
    if request.method == "POST":
        form = RaiseForm(request.POST, children_qs=children_qs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                drp = services.drp_raise(
                    actor=request.user, children=data["children"], case_type=data["case_type"],
                    themes=list(data["themes"]), concern=data["concern"],
                    stage=data["stage"], raised_on=data["raised_on"], team=data["team"],
                    agency_contact=data["agency_contact"], asked=data["asked"],
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{drp.reference} raised")
                for warning in open_drp_warnings(request.user, data["children"], excluding=drp):
                    messages.warning(request, warning)
                return redirect("drp:detail", pk=drp.pk)
    else:
        initial = {}
        child = children_qs.filter(pk=request.GET.get("child") or 0).first() \
            if (request.GET.get("child") or "").isdigit() else None
        chosen, _ = children_by_references(children_qs, request.GET.get("children", "")[:500])
        if child:
            chosen = [child]
        if chosen:
            initial = {"children": ", ".join(c.reference for c in chosen), "case_type": chosen[0].case_type}
        form = RaiseForm(initial=initial, children_qs=children_qs)
    chosen_refs = form["children"].value() or ""
    return render(request, "drp/raise.html", {
        "form": form, "choose_url": f"{reverse('drp:choose-child')}?{urlencode({'chosen': chosen_refs})}"})


def choose_child(request):
    """Find a child by name and choose them, then another for a sibling group: the page the
    "Find a child by name" autocomplete stands in for without JavaScript. Each child shows
    their date of birth and case reference, and any open DRP, so two Amys can be told apart."""
    if not access.can_raise_drp(request.user):
        raise PermissionDenied("Only IROs, Conference Chairs and IRO Managers can raise a DRP.")
    children_qs = children_visible_to(request.user)
    chosen, _ = children_by_references(children_qs, request.GET.get("chosen", "")[:500])
    term = request.GET.get("q", "")[:200]
    found = [child for child in children_to_choose(children_qs, term) if child not in chosen]
    open_refs = open_drp_references(request.user, chosen + found)
    chosen_refs = [c.reference for c in chosen]
    return render(request, "drp/choose_child.html", {
        "q": term, "searched": bool(term.strip()),
        "chosen": [(c, open_refs.get(c.pk, []),
                    "?" + urlencode({"chosen": ", ".join(r for r in chosen_refs if r != c.reference)}))
                   for c in chosen],
        "results": [(c, chooser_label(c), open_refs.get(c.pk, []),
                     reverse("drp:raise") + "?" + urlencode({"children": ", ".join(chosen_refs + [c.reference])}))
                    for c in found],
        "chosen_value": ", ".join(chosen_refs),
        "raise_url": reverse("drp:raise") + ("?" + urlencode({"children": ", ".join(chosen_refs)}) if chosen else ""),
    })


def _agreed_actions(request, drp, on, forms):
    """Each agreed action with its clock and, where this person may record it, its form."""
    rows = []
    for action in drp.agreed_actions.all():
        form = None
        if action.is_open and services.may_record_action(action, request.user):
            form = forms.get(f"record-action-{action.pk}") or RecordActionForm(action=action)
        rows.append({"action": action, "clock": action.clock(on), "form": form})
    return rows


def _detail_context(request, drp, forms=None, refusal=None):
    ladder = list(Stage.objects.all())
    flow = DisputeResolutionFlow(drp, ladder=ladder)
    allowed = available(flow, [spec.transition_for(drp) for spec in MOVE_FORMS.values()], request.user)
    forms = forms or {}
    moves = []
    for slug, spec in MOVE_FORMS.items():
        if spec.transition_for(drp) in allowed:
            moves.append({"slug": slug, "heading": spec.heading,
                          "form": forms.get(slug) or spec.make(None, drp, request)})
    stage_names = {stage.key: stage.name for stage in ladder}
    on = today()
    return {
        "drp": drp,
        "moves": moves,
        "refusal": refusal,
        "stage_clock": drp.stage_clock(on),
        "overall_clock": drp.overall_clock(on),
        "review_clock": drp.review_clock(on),
        "timescale": clocks.timescale_description(),
        "agreed": [record for record in drp.stage_records.all() if record.agreed_by],
        "agreed_actions": _agreed_actions(request, drp, on, forms),
        "agree_action_form": (forms.get("agree-action") or AgreeActionForm())
        if drp.is_open and services.may_agree_actions(drp, request.user) else None,
        "addressed_people": addressed_people(drp),
        "stage_names": stage_names,
        "timeline": [
            {"event": event, "from_state": stage_names.get(event.from_stage, event.from_stage),
             "to_state": stage_names.get(event.to_stage, event.to_stage)}
            for event in reversed(drp.timeline.all())
        ],
    }


def drp_detail(request, pk):
    _require_drp_reader(request.user)
    drp = drp_for(request.user, pk)
    record_read(request.user, drp, "drp:detail")
    return render(request, "drp/detail.html", _detail_context(request, drp))


def _summary_context(request, pk, view):
    """The DRP as its detail page would show it (same access, and the read is logged)."""
    _require_drp_reader(request.user)
    drp = drp_for(request.user, pk)
    record_read(request.user, drp, view)
    stage_names = {stage.key: stage.name for stage in Stage.objects.all()}
    return {"drp": drp, "text": summary.as_text(drp, stage_names), **summary.context(drp, stage_names)}


def drp_summary(request, pk):
    """The DRP's story as text to paste into the child's file (LCS, Mosaic): a textarea to
    select and copy, with a copy button where JavaScript runs."""
    return render(request, "drp/summary.html", _summary_context(request, pk, "drp:summary"))


def drp_print(request, pk):
    """The same story laid out for printing (or saving as PDF) for the child's file."""
    return render(request, "drp/print.html", _summary_context(request, pk, "drp:print"))


def drp_transition(request, pk, transition):
    """POST a respond/escalate/resolve/withdraw/refer form; on a problem, show the page again
    with the person's text kept and the reason named (``workflows.moves.submit``)."""
    _require_drp_reader(request.user)
    if transition not in MOVE_FORMS:
        raise Http404("No such action.")
    drp = drp_for(request.user, pk)
    if request.method != "POST":
        return redirect("drp:detail", pk=drp.pk)
    spec = MOVE_FORMS[transition]
    submitted = submit(DisputeResolutionFlow(drp), spec, drp, request)
    if submitted.done:
        messages.success(request, spec.success)
        return redirect("drp:detail", pk=drp.pk)
    drp = drp_for(request.user, pk)
    forms = {transition: submitted.form} if submitted.form is not None else None
    context = _detail_context(request, drp, forms=forms, refusal=submitted.refusal)
    context["version_read"] = submitted.version  # the version the person's answers are for
    return render(request, "drp/detail.html", context, status=submitted.status)


def _action_move(request, drp, form, call, success):
    """Run an agreed-action service with the form's data: 409, 403, then 400, as the moves."""
    try:
        if form.is_valid():
            call(form)
            messages.success(request, success)
            return redirect("drp:detail", pk=drp.pk)
        status, refusal = 400, None
    except TransitionRefused as exc:
        status, refusal = 409, exc.message
    except ValidationError as exc:
        add_errors(form, exc)
        status, refusal = 400, None
    drp = drp_for(request.user, drp.pk)
    return render(request, "drp/detail.html",
                  _detail_context(request, drp, forms={form.slug: form}, refusal=refusal), status=status)


def drp_agree_action(request, pk):
    """POST the "record an agreed action" form."""
    _require_drp_reader(request.user)
    drp = drp_for(request.user, pk)
    if request.method != "POST":
        return redirect("drp:detail", pk=drp.pk)
    if not drp.is_open:
        return render(request, "drp/detail.html", _detail_context(
            request, drp, refusal=services.closed_refusal(drp)), status=409)
    if not services.may_agree_actions(drp, request.user):
        raise PermissionDenied("Only the IRO, the IRO Manager or the person the DRP is addressed to "
                               "can record an agreed action.")
    form = AgreeActionForm(request.POST)
    return _action_move(request, drp, form, lambda f: services.drp_agree_action(
        drp=drp, actor=request.user, **f.service_arguments()), "Agreed action recorded")


def drp_record_action(request, pk, action_pk):
    """POST an agreed action's "done or not done" form."""
    _require_drp_reader(request.user)
    drp = drp_for(request.user, pk)
    action = AgreedAction.objects.filter(drp=drp, pk=action_pk).first()
    if action is None:
        raise Http404("No such action on this DRP.")
    if request.method != "POST":
        return redirect("drp:detail", pk=drp.pk)
    if not action.is_open:
        return render(request, "drp/detail.html", _detail_context(
            request, drp, refusal=f"This action is already recorded as {action.get_status_display().lower()}."),
            status=409)
    if not services.may_record_action(action, request.user):
        raise PermissionDenied("Only the IRO, the IRO Manager or the action's owner can record what happened.")
    form = RecordActionForm(request.POST, action=action)
    return _action_move(request, drp, form, lambda f: services.drp_record_action(
        action=action, actor=request.user, **f.cleaned_data), "Action recorded")
