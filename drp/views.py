"""DRP pages. Thin: reads go through selectors, writes through services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from children.selectors import children_visible_to
from workflows.audit import record_read
from workflows.clocks import today
from workflows.forms import add_errors
from workflows.moves import MoveForm, submit
from workflows.transitions import available

from . import access, clocks, services
from .filters import DisputeResolutionFilter
from .flows import DisputeResolutionFlow
from .forms import EscalateForm, RaiseForm, ReasonForm, ResolveForm, RespondForm
from .models import DisputeResolution, Stage, Theme
from .selectors import awaiting_response_from, drp_for, drps_visible_to, with_list_data

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
        "resolve", "Resolve", lambda data, drp, request: ResolveForm(data),
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
}


def _require_drp_reader(user):
    if not access.can_read_drps(user):
        raise PermissionDenied("DRPs are for the reviewing team and social-care managers.")


def drp_list(request):
    """My DRPs (IROs) or all visible DRPs, open ones first; closed one click away."""
    _require_drp_reader(request.user)
    params = request.GET.copy()
    showing_closed = params.get("closed") == "1"
    qs = drps_visible_to(request.user)
    if access.lists_own_drps_first(request.user) and params.get("all") != "1":
        qs = qs.filter(raised_by=request.user)
    if not params.getlist("status"):
        qs = qs.filter(status__in=[DisputeResolution.Status.RESOLVED, DisputeResolution.Status.WITHDRAWN]
                       if showing_closed else DisputeResolution.OPEN_STATUSES)
    filterset = DisputeResolutionFilter(params, queryset=with_list_data(qs))
    ordered = filterset.qs.order_by("-closed_on", "-id") if showing_closed else \
        filterset.qs.order_by("stage_due_date", "id")
    page = Paginator(ordered, 50).get_page(request.GET.get("page"))
    on = today()
    rows = [(drp, drp.stage_clock(on), drp.overall_clock(on)) for drp in page]
    return render(request, "drp/list.html", {
        "filterset": filterset, "page": page, "rows": rows, "showing_closed": showing_closed,
        "can_raise": access.can_raise_drp(request.user),
        "filter_checkbox_fields": _checkbox_filters(params, showing_closed),
    })


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
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{drp.reference} raised")
                return redirect("drp:detail", pk=drp.pk)
    else:
        initial = {}
        child = children_qs.filter(pk=request.GET.get("child") or 0).first() \
            if (request.GET.get("child") or "").isdigit() else None
        if child:
            initial = {"children": child.reference, "case_type": child.case_type}
        form = RaiseForm(initial=initial, children_qs=children_qs)
    return render(request, "drp/raise.html", {"form": form})


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
    return render(request, "drp/detail.html",
                  _detail_context(request, drp, forms=forms, refusal=submitted.refusal), status=submitted.status)


def awaiting_response(request):
    """Challenges addressed to me, soonest due first, each with a respond form."""
    if not access.answers_drps(request.user):
        raise PermissionDenied("This list is for the social-care managers DRPs are addressed to.")
    qs = with_list_data(awaiting_response_from(request.user))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    on = today()
    rows = [(drp, drp.stage_clock(on), drp.overall_clock(on)) for drp in page]
    return render(request, "drp/awaiting_response.html", {"page": page, "rows": rows})
