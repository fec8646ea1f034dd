"""Designated Officer pages: the work tray, logging an enquiry, and the enquiry with its move forms."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from children.selectors import children_visible_to
from workflows.audit import record_reads
from workflows.clocks import today
from workflows.concurrency import PreconditionFailed
from workflows.exceptions import TransitionRefused
from workflows.forms import add_errors
from workflows.moves import MoveForm, submit
from workflows.page_versions import changed_since, expecting_version, version_to_carry
from workflows.transitions import available, gate

from .. import services
from ..access import is_do_manager, require_do_manager, require_do_team
from ..alerts import read_enquiry
from ..flows import EnquiryFlow
from ..forms import (
    ActionForm,
    ActionUpdateForm,
    ConcludeForm,
    ConcludeWithoutMeetingForm,
    DecisionForm,
    DelayForm,
    DestroyForm,
    EnquiryForm,
    MeetingForm,
    ReasonForm,
    RetentionForm,
)
from ..models import Action, Enquiry
from ..selectors import (
    action_for,
    enquiry_for,
    subject_history,
    work_tray,
)

STATUS_NAMES = dict(Enquiry.Status.choices)

RENAMED_ERRORS = {"received_at": "received_on"}


# --- Work tray and logging -------------------------------------------------------------------


def tray(request):
    """Open enquiries, soonest due first with their RAG; closed enquiries one click away."""
    require_do_team(request.user)
    closed = request.GET.get("closed") == "1"
    mine = request.GET.get("mine") == "1"
    search = request.GET.get("q", "")
    on = today()
    qs = work_tray(request.user, closed=closed, search=search, mine=mine, on=on)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [(enquiry, enquiry.next_clock(on)) for enquiry in page]
    # Every enquiry on the page is a read; the search words are not logged (they may be a name).
    record_reads(request.user, page.object_list, "lado:tray" + (" closed" if closed else "")
                 + (" mine" if mine else "") + (" search" if search.strip() else ""))
    return render(request, "lado/tray.html", {
        "page": page, "rows": rows, "closed": closed, "mine": mine, "q": search,
        "is_manager": is_do_manager(request.user),
    })


def log_enquiry(request):
    """Log an enquiry, often while the call is happening: only the summary must be filled in."""
    require_do_team(request.user)
    children_qs = children_visible_to(request.user)
    if request.method == "POST":
        form = EnquiryForm(request.POST, children_qs=children_qs)
        if form.is_valid():
            try:
                enquiry = services.enquiry_log(actor=request.user, **form.service_data())
            except ValidationError as exc:
                add_errors(form, exc, RENAMED_ERRORS)
            else:
                messages.success(request, f"{enquiry.reference} logged")
                earlier, later = subject_history(enquiry)
                others = earlier + later
                if others:
                    messages.warning(request, f"{enquiry.subject_name} appears in {len(others)} other "
                                              f"enquir{'y' if len(others) == 1 else 'ies'}: "
                                              + ", ".join(e.reference for e in others))
                return redirect("lado:detail", pk=enquiry.pk)
        status = 400
    else:
        form = EnquiryForm(children_qs=children_qs)
        status = 200
    return render(request, "lado/log.html", {"form": form, "is_manager": is_do_manager(request.user)},
                  status=status)


# --- The enquiry --------------------------------------------------------------------------------


def _hold_transition(enquiry):
    return "release_legal_hold" if enquiry.legal_hold else "set_legal_hold"


def _hold_call(enquiry, actor, form):
    call = services.enquiry_release_legal_hold if enquiry.legal_hold else services.enquiry_set_legal_hold
    return call(enquiry=enquiry, actor=actor, **form.cleaned_data)


#: The forms of the DO enquiry's moves (``workflows.moves``), one page each.
MOVE_FORMS: dict[str, MoveForm] = {
    "edit": MoveForm(
        "update_details", "Update details",
        lambda data, enquiry, request: EnquiryForm(data, children_qs=children_visible_to(request.user),
                                                   instance=enquiry),
        lambda enquiry, actor, form: services.enquiry_update(enquiry=enquiry, actor=actor, **form.service_data()),
        "Details updated"),
    "decide": MoveForm(
        "meet_threshold", "Record the threshold decision",
        lambda data, enquiry, request: DecisionForm(data),
        lambda enquiry, actor, form: services.enquiry_decide(enquiry=enquiry, actor=actor, **form.cleaned_data),
        "Threshold decision recorded",
        intro="The harm test (Keeping Children Safe in Education Part 4): the person has, or may have, done "
              "one or more of the following."),
    "meeting": MoveForm(
        "hold_meeting", "Record a meeting",
        lambda data, enquiry, request: MeetingForm(data, enquiry=enquiry),
        lambda enquiry, actor, form: services.enquiry_record_meeting(enquiry=enquiry, actor=actor,
                                                                     **form.cleaned_data),
        "Meeting recorded"),
    "action": MoveForm(
        "add_action", "Record an action",
        lambda data, enquiry, request: ActionForm(data),
        lambda enquiry, actor, form: services.enquiry_add_action(enquiry=enquiry, actor=actor, **form.cleaned_data),
        "Action recorded"),
    "conclude": MoveForm(
        "conclude", "Conclude the enquiry",
        lambda data, enquiry, request: ConcludeForm(data, enquiry=enquiry),
        lambda enquiry, actor, form: services.enquiry_conclude(enquiry=enquiry, actor=actor, **form.service_data()),
        "Enquiry concluded"),
    "conclude-without-meeting": MoveForm(
        "conclude_without_meeting", "Conclude without a meeting",
        lambda data, enquiry, request: ConcludeWithoutMeetingForm(data, enquiry=enquiry),
        lambda enquiry, actor, form: services.enquiry_conclude_without_meeting(enquiry=enquiry, actor=actor,
                                                                               **form.service_data()),
        "Enquiry concluded without a meeting",
        intro="Keeping Children Safe in Education (Part 4): an allegation that is clearly unfounded or malicious "
              "may be concluded without an allegation management meeting. Say why none is needed."),
    "cancel": MoveForm(
        "cancel", "Cancel the enquiry",
        lambda data, enquiry, request: ReasonForm(data, button="Cancel enquiry", warning=True,
                                                  hint="For example, the referral was withdrawn."),
        lambda enquiry, actor, form: services.enquiry_cancel(enquiry=enquiry, actor=actor, **form.cleaned_data),
        "Enquiry cancelled", warning=True),
    "delay": MoveForm(
        "record_delay", "Record the reason for delay",
        lambda data, enquiry, request: DelayForm(data, enquiry=enquiry),
        lambda enquiry, actor, form: services.enquiry_record_delay(
            enquiry=enquiry, actor=actor, delay_reason=form.cleaned_data["delay_reason"],
            note=form.cleaned_data["note"]),
        "Reason for delay recorded",
        intro="The enquiry is open past its first target. The annual report counts the reasons for delay."),
    "legal-hold": MoveForm(
        _hold_transition, "Legal hold",
        lambda data, enquiry, request: ReasonForm(
            data, button="Release legal hold" if enquiry.legal_hold else "Place legal hold",
            hint="" if enquiry.legal_hold else "For example, litigation or an inquiry needs the record kept."),
        _hold_call, "Legal hold updated"),
    "retention": MoveForm(
        "extend_retention", "Keep the enquiry and review it later",
        lambda data, enquiry, request: RetentionForm(data),
        lambda enquiry, actor, form: services.enquiry_extend_retention(enquiry=enquiry, actor=actor,
                                                                       **form.cleaned_data),
        "Retention review date changed"),
    "destroy": MoveForm(
        "destroy", "Destroy the enquiry",
        lambda data, enquiry, request: DestroyForm(data),
        lambda enquiry, actor, form: services.enquiry_destroy(enquiry=enquiry, actor=actor,
                                                              reason=form.cleaned_data["reason"]),
        "Enquiry destroyed", warning=True,
        intro="Destroying an enquiry removes it with its meetings, actions, timeline and history. Only an entry in "
              "the destruction log remains: the reference, how it closed, the dates, who destroyed it and why."),
}
#: The forms only the DO Manager opens (refused before the enquiry is looked up).
MANAGER_FORMS = frozenset({"retention", "destroy"})
# The order "What you can do" lists them in.
MOVE_LINKS = ["decide", "meeting", "action", "conclude", "conclude-without-meeting", "delay", "edit", "legal-hold",
                "retention", "destroy", "cancel"]


def _available(enquiry: Enquiry, user) -> list[dict]:
    allowed = available(EnquiryFlow(enquiry), [MOVE_FORMS[slug].transition_for(enquiry) for slug in MOVE_LINKS],
                        user, check_conditions=False)
    links = []
    for slug in MOVE_LINKS:
        spec = MOVE_FORMS[slug]
        if slug == "delay" and not enquiry.past_target():
            continue  # asked only once the case is past its first target
        if spec.transition_for(enquiry) in allowed:
            heading = spec.heading
            if slug == "legal-hold":
                heading = "Release the legal hold" if enquiry.legal_hold else "Place a legal hold"
            links.append({"slug": slug, "heading": heading, "url": reverse(f"lado:{slug}", args=[enquiry.pk]),
                          "warning": spec.warning})
    return links


def _timeline(enquiry: Enquiry) -> list[dict]:
    return [{"event": event, "from_state": STATUS_NAMES.get(event.from_status, event.from_status),
             "to_state": STATUS_NAMES.get(event.to_status, event.to_status)}
            for event in reversed(enquiry.timeline.all())]


def detail(request, pk):
    require_do_team(request.user)
    enquiry = enquiry_for(request.user, pk)
    on = today()
    earlier, later = subject_history(enquiry)
    read_enquiry(request.user, enquiry, "lado:detail", shown=earlier + later)
    return render(request, "lado/detail.html", {
        "enquiry": enquiry,
        "decision_clock": enquiry.decision_clock(on),
        "first_meeting_clock": enquiry.first_meeting_clock(on),
        "first_meeting_held_on": enquiry.first_meeting_held_on,
        "review_clock": enquiry.review_clock(on),
        "targets": enquiry.targets(on),
        "past_target": enquiry.past_target(on),
        "actions": [(action, action.clock(on)) for action in enquiry.actions.all()],
        "meetings": enquiry.meetings.all(),
        "earlier": earlier,
        "later": later,
        "links": _available(enquiry, request.user),
        "is_manager": is_do_manager(request.user),
        "timeline": _timeline(enquiry),
        "can_update_actions": enquiry.status in (Enquiry.Status.AWAITING_MEETING, Enquiry.Status.IN_PROGRESS,
                                                 Enquiry.Status.CONCLUDED),
    })


def enquiry_form(request, pk, form_slug):
    """A form on one enquiry (decide, meeting, action, conclude, cancel, legal hold, retention, destroy,
    edit). A move the enquiry's status does not allow is named, not ignored (409 on POST)."""
    require_do_team(request.user)
    spec = MOVE_FORMS[form_slug]
    if form_slug in MANAGER_FORMS:
        require_do_manager(request.user)
    enquiry = enquiry_for(request.user, pk)
    # What a decision needs first (a category, a subject's name) is fixed on "Update details":
    # those messages link there.
    edit = None if form_slug == "edit" else (lambda: (
        reverse("lado:edit", args=[enquiry.pk]),
        EnquiryForm(children_qs=children_visible_to(request.user), instance=enquiry)))
    submitted = submit(EnquiryFlow(enquiry), spec, enquiry, request, renamed_errors=RENAMED_ERRORS, fixed_at=edit)
    if submitted.done:
        messages.success(request, spec.success)
        if form_slug == "destroy":
            messages.success(request, f"{submitted.result.reference} destroyed. The destruction log keeps its entry.")
            return redirect("lado:retention-review")
        return redirect("lado:detail", pk=enquiry.pk)
    read_enquiry(request.user, enquiry, f"lado:{form_slug}")
    heading = spec.heading
    if form_slug == "legal-hold":
        heading = "Release the legal hold" if enquiry.legal_hold else "Place a legal hold"
    return render(request, "lado/enquiry_form.html", {
        "enquiry": enquiry, "form": submitted.form, "heading": heading, "intro": spec.intro,
        "refusal": submitted.refusal, "form_slug": form_slug, "action_url": request.path,
        "version_read": submitted.version,
    }, status=submitted.status)


def action_update(request, pk, action_pk):
    """Change an action's due date, or record it done (and the employer's outcome)."""
    require_do_team(request.user)
    enquiry = enquiry_for(request.user, pk)
    action = action_for(enquiry, action_pk)
    refusal, status, form, carried = None, 200, None, version_to_carry(request, action)
    try:  # the one gate every move passes (workflows.transitions): status 409, person 403, conditions 409
        gate(EnquiryFlow(enquiry), "update_action", request.user)
    except TransitionRefused as exc:
        refusal = exc.message
    else:
        form = ActionUpdateForm(request.POST if request.method == "POST" else None, action=action)
    if request.method == "POST":
        status = 409 if refusal else 400
        if form is not None and form.is_valid():
            try:
                with expecting_version(request, action):
                    services.enquiry_update_action(action=action, actor=request.user, **form.cleaned_data)
            except TransitionRefused as exc:
                refusal, status, form = exc.message, 409, None
            except PreconditionFailed:  # changed since it was opened (workflows.page_versions)
                form.add_error(None, changed_since(action))
                status, carried = 409, Action._base_manager.get(pk=action.pk).version
            except ValidationError as exc:
                add_errors(form, exc, RENAMED_ERRORS)
            else:
                messages.success(request, "Action updated")
                return redirect("lado:detail", pk=enquiry.pk)
    read_enquiry(request.user, enquiry, "lado:action-update")
    return render(request, "lado/enquiry_form.html", {
        "enquiry": enquiry, "form": form, "heading": f"Update action: {action.description}",
        "intro": f"Owner: {action.owner}.", "refusal": refusal, "form_slug": "action-update",
        "action_url": request.path, "version_read": carried,
    }, status=status)
