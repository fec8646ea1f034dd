"""DRP pages. Thin: reads go through selectors, writes through services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from children.selectors import children_visible_to
from people import roles
from workflows import transitions
from workflows.audit import record_read
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.forms import add_errors
from workflows.transitions import available

from . import clocks, services
from .filters import DisputeResolutionFilter
from .flows import DisputeResolutionFlow
from .forms import EscalateForm, RaiseForm, ReasonForm, ResolveForm, RespondForm
from .models import DisputeResolution, Stage, Theme
from .selectors import awaiting_response_from, drp_for, drps_visible_to, with_list_data

TRANSITIONS = {
    # slug: (flow transition, form factory, service call, success message)
    "respond": ("respond", lambda data, drp: RespondForm(data),
                lambda drp, actor, d: services.drp_respond(drp=drp, actor=actor, **d), "Response sent"),
    "escalate": ("escalate", lambda data, drp: EscalateForm(data, drp=drp),
                 lambda drp, actor, d: services.drp_escalate(drp=drp, actor=actor, **d), "DRP escalated"),
    "resolve": ("resolve", lambda data, drp: ResolveForm(data),
                lambda drp, actor, d: services.drp_resolve(drp=drp, actor=actor, **d), "DRP resolved"),
    "withdraw": ("withdraw", lambda data, drp: ReasonForm(data, button="Withdraw DRP", slug="withdraw"),
                 lambda drp, actor, d: services.drp_withdraw(drp=drp, actor=actor, **d), "DRP withdrawn"),
    "refer-to-cafcass": (
        "refer_to_cafcass", lambda data, drp: ReasonForm(data, button="Refer to Cafcass", slug="refer-to-cafcass"),
        lambda drp, actor, d: services.drp_refer_to_cafcass(drp=drp, actor=actor, **d),
        "Referral to Cafcass recorded"),
}
ACTION_HEADINGS = {
    "respond": "Respond", "escalate": "Escalate", "resolve": "Resolve",
    "withdraw": "Withdraw", "refer-to-cafcass": "Refer to Cafcass",
}


def _require_drp_reader(user):
    if not user.has_role(*roles.READ_ALL_DRPS, *roles.SOCIAL_CARE):
        raise PermissionDenied("DRPs are for the reviewing team and social-care managers.")


def drp_list(request):
    """My DRPs (IROs) or all visible DRPs, open ones first; closed one click away."""
    _require_drp_reader(request.user)
    params = request.GET.copy()
    showing_closed = params.get("closed") == "1"
    qs = drps_visible_to(request.user)
    if request.user.has_role(roles.IRO, roles.CHAIR) and params.get("all") != "1" \
            and not request.user.has_role(roles.IRO_MANAGER):
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
        "can_raise": request.user.has_role(*roles.CHALLENGERS),
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
    if not request.user.has_role(*roles.CHALLENGERS):
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
    allowed = available(flow, [t[0] for t in TRANSITIONS.values()], request.user)
    forms = forms or {}
    actions = []
    for slug, (name, make_form, _, _) in TRANSITIONS.items():
        if name in allowed:
            actions.append({"slug": slug, "heading": ACTION_HEADINGS[slug],
                            "form": forms.get(slug) or make_form(None, drp)})
    stage_names = {stage.key: stage.name for stage in ladder}
    on = today()
    return {
        "drp": drp,
        "actions": actions,
        "refusal": refusal,
        "stage_clock": drp.stage_clock(on),
        "overall_clock": drp.overall_clock(on),
        "review_clock": drp.review_clock(on),
        "timescale": clocks.timescale_description(),
        "agreed": [record for record in drp.stage_records.all() if record.agreed_by],
        "stage_names": stage_names,
        "timeline": [
            {"event": event, "from_stage": stage_names.get(event.from_stage, event.from_stage),
             "to_stage": stage_names.get(event.to_stage, event.to_stage)}
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
    with the person's text kept and the reason named."""
    _require_drp_reader(request.user)
    if transition not in TRANSITIONS:
        raise Http404("No such action.")
    drp = drp_for(request.user, pk)
    if request.method != "POST":
        return redirect("drp:detail", pk=drp.pk)
    move, make_form, call, success = TRANSITIONS[transition]
    form = make_form(request.POST, drp)
    status = 200
    refusal = None
    try:
        # The DRP's status (409), then the person's role (403), before the form (400).
        transitions.check(DisputeResolutionFlow(drp), move, request.user,
                          refusal=services.refusal(drp, services.MOVE_VERBS[move]))
    except TransitionRefused as exc:
        return render(request, "drp/detail.html",
                      _detail_context(request, drp, refusal=exc.message), status=409)
    if form.is_valid():
        try:
            call(drp, request.user, form.cleaned_data)
        except TransitionRefused as exc:
            refusal, status = exc.message, 409
        except ValidationError as exc:
            add_errors(form, exc)
            status = 400
        else:
            messages.success(request, success)
            return redirect("drp:detail", pk=drp.pk)
    else:
        status = 400
    drp = drp_for(request.user, pk)
    return render(request, "drp/detail.html",
                  _detail_context(request, drp, forms={transition: form}, refusal=refusal), status=status)


def awaiting_response(request):
    """Challenges addressed to me, soonest due first, each with a respond form."""
    if not request.user.has_role(*roles.SOCIAL_CARE):
        raise PermissionDenied("This list is for the social-care managers DRPs are addressed to.")
    qs = with_list_data(awaiting_response_from(request.user))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    on = today()
    rows = [(drp, drp.stage_clock(on), drp.overall_clock(on)) for drp in page]
    return render(request, "drp/awaiting_response.html", {"page": page, "rows": rows})
