"""What waits on me: the IRO's "Needs my action", the responder's inbox (with why each DRP
came to them) and cover for an absent responder."""


from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render

from people import roles
from workflows.calendar import working_days_between
from workflows.clocks import Rag, today
from workflows.forms import add_errors
from workflows.moves import MoveForm, submit

from . import access, selectors
from .cover import CoverFlow, cover_end_early, cover_set_up, covers_endable_by
from .forms import (
    CoverForm,
    EndCoverForm,
)
from .models import Cover, Stage, TimelineEvent
from .selectors import (
    absentees_covered_by,
    awaiting_response_from,
    covers_visible_to,
    with_list_data,
)

#: Rows shown in each list of "Needs my action": the soonest due; the rest are counted and
#: one link away in the DRP list, so the page costs the same however much waits.
NEEDS_MY_ACTION_SHOWN = 50


def needs_my_action(request):
    """The IRO's home: what waits on them today: responses to review (and how long each has
    waited), agreed-by dates that have passed, and DRPs whose clocks have run out."""
    if not access.can_raise_drp(request.user):
        raise PermissionDenied("This page is for IROs, Conference Chairs and IRO Managers.")
    on = today()
    lists = selectors.needs_my_action(request.user, on)
    counts = selectors.needs_my_action_counts(request.user, on)
    request.nav_counts = {"Needs my action": sum(counts.values())}  # the navigation's number too
    shown = NEEDS_MY_ACTION_SHOWN
    review = [(drp, working_days_between(drp.responded_on, on) if drp.responded_on else None,
               drp.review_clock(on)) for drp in lists["review"][:shown]]
    agreed = [(drp, working_days_between(drp.agreed_by, on)) for drp in lists["agreed"][:shown]]
    overdue = [(drp, [clock for clock in drp.clocks(on) if clock.rag == Rag.OVERDUE])
               for drp in lists["overdue"][:shown]]
    return render(request, "drp/needs_my_action.html", {
        "review": review, "agreed": agreed, "overdue": overdue, "counts": counts,
        "total": sum(counts.values()), "shown": shown})


def awaiting_response(request):
    """Challenges addressed to me, soonest due first, each with a respond form."""
    if not access.answers_drps(request.user):
        raise PermissionDenied("This list is for the social-care managers DRPs are addressed to.")
    on = today()
    inbox = awaiting_response_from(request.user)
    # One pass over the inbox for the page's count and the figures above it.
    counts = inbox.aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(stage_due_date__lt=on)),
                             due_today=Count("pk", filter=Q(stage_due_date=on)))
    request.nav_counts = {"Awaiting my response": counts["total"]}  # the navigation's number too
    # Why each came to this person: the escalation reasons and earlier responses, in order.
    history = TimelineEvent.objects.filter(
        action__in=[TimelineEvent.Action.ESCALATED, TimelineEvent.Action.RESPONDED]).select_related("actor")
    qs = with_list_data(inbox).prefetch_related(Prefetch("timeline", queryset=history, to_attr="why"))
    paginator = Paginator(qs, 50)
    paginator.count = counts["total"]  # known already: the paginator need not count again
    page = paginator.get_page(request.GET.get("page"))
    names = {stage.key: stage.name for stage in Stage.objects.all()}
    # A card here because I cover for its addressee says so: I answer "for" them.
    covered = set(absentees_covered_by(request.user, on)) - {request.user.pk}
    rows = [(drp, drp.stage_clock(on), drp.overall_clock(on),
             [{"event": event, "stage": names.get(event.to_stage or event.from_stage, "")} for event in drp.why],
             drp.addressee if drp.addressee_id in covered else None)
            for drp in page]
    return render(request, "drp/awaiting_response.html", {"page": page, "rows": rows, "counts": counts})


def cover(request):
    """Arrange cover for my DRPs while I am away; the covers I am part of."""
    if not request.user.has_role(*roles.SOCIAL_CARE):
        raise PermissionDenied("Cover is for the social-care managers DRPs are addressed to.")
    status = 200
    if request.method == "POST":
        form = CoverForm(request.POST, absent=request.user)
        if form.is_valid():
            try:
                made = cover_set_up(actor=request.user, absent=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{made.colleague} will cover your DRPs from "
                                          f"{made.starts_on:%-d %B %Y} to {made.ends_on:%-d %B %Y}")
                return redirect("drp:cover")
        status = 400
    else:
        form = CoverForm(absent=request.user)
    covers = list(covers_visible_to(request.user))
    return render(request, "drp/cover.html", {"form": form, "covers": covers,
                                              "endable": covers_endable_by(request.user, covers)},
                  status=status)


END_COVER = MoveForm(transition="end_early", heading="End cover early", make=lambda data, c, r: EndCoverForm(data),
                     call=lambda c, actor, form: cover_end_early(cover=c, actor=actor, **form.cleaned_data),
                     success="Cover ended")


def end_cover(request, pk):
    """End a cover before its last day, with a reason (its arranger or the covered person's line
    manager): from today the colleague no longer sees, answers or is reminded of the DRPs."""
    found = Cover.objects.select_related("absent", "colleague").filter(pk=pk).first()
    if found is None:
        raise Http404("No such cover.")
    done = submit(CoverFlow(found), END_COVER, found, request)
    if done.done:
        messages.success(request, f"{found.colleague} no longer covers for {found.absent}")
        return redirect("drp:cover")
    return render(request, "drp/end_cover.html", {"cover": found, "form": done.form, "refusal": done.refusal},
                  status=done.status)
