"""DRP pages. Thin: reads go through selectors, writes through services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from api.pagination import BoundedPaginator
from children.selectors import children_visible_to
from people import roles
from workflows.audit import record_read
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.forms import add_errors
from workflows.moves import MoveForm, submit
from workflows.transitions import available

from . import access, clocks, services, summary
from .filters import DisputeResolutionFilter
from .flows import DisputeResolutionFlow
from .forms import (
    AgreeActionForm,
    CoverForm,
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
    awaiting_response_from,
    covers_visible_to,
    drp_for,
    drps_visible_to,
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
        lambda drp, actor, form: services.drp_reassign(drp=drp, actor=actor, **form.cleaned_data),
        "DRP reassigned"),
    "reopen": MoveForm(
        "reopen", "Reopen", lambda data, drp, request: ReasonForm(data, button="Reopen DRP", slug="reopen"),
        lambda drp, actor, form: services.drp_reopen(drp=drp, actor=actor, **form.cleaned_data),
        "DRP reopened"),
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
        qs = qs.filter(iro=request.user)
    if not params.getlist("status"):
        qs = qs.filter(status__in=[DisputeResolution.Status.RESOLVED, DisputeResolution.Status.WITHDRAWN]
                       if showing_closed else DisputeResolution.OPEN_STATUSES)
    filterset = DisputeResolutionFilter(params, queryset=with_list_data(qs))
    ordered = filterset.qs.order_by("-closed_on", "-id") if showing_closed else \
        filterset.qs.order_by("stage_due_date", "id")
    page = BoundedPaginator(ordered, 50).get_page(request.GET.get("page"))
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


def cover(request):
    """Arrange cover for my DRPs while I am away; the covers I am part of."""
    if not request.user.has_role(*roles.SOCIAL_CARE):
        raise PermissionDenied("Cover is for the social-care managers DRPs are addressed to.")
    status = 200
    if request.method == "POST":
        form = CoverForm(request.POST, absent=request.user)
        if form.is_valid():
            try:
                made = services.cover_set_up(actor=request.user, absent=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{made.colleague} will cover your DRPs from "
                                          f"{made.starts_on:%-d %B %Y} to {made.ends_on:%-d %B %Y}")
                return redirect("drp:cover")
        status = 400
    else:
        form = CoverForm(absent=request.user)
    return render(request, "drp/cover.html", {"form": form, "covers": covers_visible_to(request.user)},
                  status=status)
