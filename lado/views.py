"""Designated Officer pages. Thin: reads go through selectors, writes through services.

Default deny: every page first checks the DO role (403 for everyone else, superusers included,
before any case is looked up), and every page showing a case logs the read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from children.selectors import children_visible_to
from people import roles
from people.models import Role
from workflows.audit import record_read, record_reads, record_reads_by_id
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.forms import add_errors

from . import services
from .alerts import enabled as alerts_enabled
from .alerts import read_case
from .flows import EnquiryFlow, unmet_condition
from .forms import (
    AccessReviewForm,
    ActionForm,
    ActionUpdateForm,
    CategoryRetentionForm,
    ConcludeForm,
    ConcludeWithoutMeetingForm,
    DecisionForm,
    DestroyForm,
    EnquiryForm,
    MeetingForm,
    ReasonForm,
    RetentionForm,
    RetentionRuleForm,
    RoleGrantForm,
)
from .models import Category, CategoryRetention, DestructionLog, Enquiry, RetentionRule
from .selectors import (
    CASE_KIND,
    access_log_for,
    action_for,
    case_id_from_link,
    case_opened_alerts,
    category_retention_rows,
    do_role_holders,
    enquiry_for,
    is_do_manager,
    last_access_review,
    on_legal_hold,
    readers,
    reads_by,
    references_for,
    retention_due,
    retention_rule_changes,
    retention_rules,
    role_changes,
    subject_history,
    work_tray,
)
from .services import require_do_manager, require_do_team

STATUS_NAMES = dict(Enquiry.Status.choices)
#: The service checks the enquiry's received_at; the forms ask for the date it was received.
RENAMED_ERRORS = {"received_at": "received_on"}


# --- Work tray and logging -------------------------------------------------------------------


def tray(request):
    """Open cases, soonest due first with their RAG; closed cases one click away."""
    require_do_team(request.user)
    closed = request.GET.get("closed") == "1"
    mine = request.GET.get("mine") == "1"
    search = request.GET.get("q", "")
    on = today()
    qs = work_tray(request.user, closed=closed, search=search, mine=mine, on=on)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [(enquiry, enquiry.next_clock(on)) for enquiry in page]
    # Every case on the page is a read; the search words are not logged (they may be a name).
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


# --- The case --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseForm:
    """One form on a case: which transition it runs, how it is built, what it calls."""

    transition: str | Callable[[Enquiry], str]
    heading: str
    make: Callable[..., Any]
    call: Callable[[Enquiry, Any, Any], Any]
    success: str
    intro: str = ""
    warning: bool = False
    manager_only: bool = False

    def transition_for(self, enquiry: Enquiry) -> str:
        return self.transition(enquiry) if callable(self.transition) else self.transition


def _hold_transition(enquiry):
    return "release_legal_hold" if enquiry.legal_hold else "set_legal_hold"


def _hold_call(enquiry, actor, form):
    call = services.enquiry_release_legal_hold if enquiry.legal_hold else services.enquiry_set_legal_hold
    return call(enquiry=enquiry, actor=actor, **form.cleaned_data)


CASE_FORMS: dict[str, CaseForm] = {
    "edit": CaseForm(
        "update_details", "Update details",
        lambda data, enquiry, request: EnquiryForm(data, children_qs=children_visible_to(request.user),
                                                   instance=enquiry),
        lambda enquiry, actor, form: services.enquiry_update(enquiry=enquiry, actor=actor, **form.service_data()),
        "Details updated"),
    "decide": CaseForm(
        "meet_threshold", "Record the threshold decision",
        lambda data, enquiry, request: DecisionForm(data),
        lambda enquiry, actor, form: services.enquiry_decide(enquiry=enquiry, actor=actor, **form.cleaned_data),
        "Threshold decision recorded",
        intro="The harm test (Keeping Children Safe in Education Part 4): the person has, or may have, done "
              "one or more of the following."),
    "meeting": CaseForm(
        "hold_meeting", "Record a meeting",
        lambda data, enquiry, request: MeetingForm(data, enquiry=enquiry),
        lambda enquiry, actor, form: services.enquiry_record_meeting(enquiry=enquiry, actor=actor,
                                                                     **form.cleaned_data),
        "Meeting recorded"),
    "action": CaseForm(
        "add_action", "Record an action",
        lambda data, enquiry, request: ActionForm(data),
        lambda enquiry, actor, form: services.enquiry_add_action(enquiry=enquiry, actor=actor, **form.cleaned_data),
        "Action recorded"),
    "conclude": CaseForm(
        "conclude", "Conclude the case",
        lambda data, enquiry, request: ConcludeForm(data),
        lambda enquiry, actor, form: services.enquiry_conclude(enquiry=enquiry, actor=actor, **form.cleaned_data),
        "Case concluded"),
    "conclude-without-meeting": CaseForm(
        "conclude_without_meeting", "Conclude without a meeting",
        lambda data, enquiry, request: ConcludeWithoutMeetingForm(data),
        lambda enquiry, actor, form: services.enquiry_conclude_without_meeting(enquiry=enquiry, actor=actor,
                                                                               **form.cleaned_data),
        "Case concluded without a meeting",
        intro="Keeping Children Safe in Education (Part 4): an allegation that is clearly unfounded or malicious "
              "may be concluded without an allegation management meeting. Say why none is needed."),
    "cancel": CaseForm(
        "cancel", "Cancel the case",
        lambda data, enquiry, request: ReasonForm(data, button="Cancel case", warning=True,
                                                  hint="For example, the referral was withdrawn."),
        lambda enquiry, actor, form: services.enquiry_cancel(enquiry=enquiry, actor=actor, **form.cleaned_data),
        "Case cancelled", warning=True),
    "legal-hold": CaseForm(
        _hold_transition, "Legal hold",
        lambda data, enquiry, request: ReasonForm(
            data, button="Release legal hold" if enquiry.legal_hold else "Place legal hold",
            hint="" if enquiry.legal_hold else "For example, litigation or an inquiry needs the record kept."),
        _hold_call, "Legal hold updated"),
    "retention": CaseForm(
        "extend_retention", "Keep the case and review it later",
        lambda data, enquiry, request: RetentionForm(data),
        lambda enquiry, actor, form: services.enquiry_extend_retention(enquiry=enquiry, actor=actor,
                                                                       **form.cleaned_data),
        "Retention review date changed", manager_only=True),
    "destroy": CaseForm(
        "destroy", "Destroy the case",
        lambda data, enquiry, request: DestroyForm(data),
        lambda enquiry, actor, form: services.enquiry_destroy(enquiry=enquiry, actor=actor,
                                                              reason=form.cleaned_data["reason"]),
        "Case destroyed", warning=True, manager_only=True,
        intro="Destroying a case removes it with its meetings, actions, timeline and history. Only an entry in "
              "the destruction log remains: the reference, how it closed, the dates, who destroyed it and why."),
}
# The order "What you can do" lists them in.
ACTION_LINKS = ["decide", "meeting", "action", "conclude", "conclude-without-meeting", "edit", "legal-hold",
                "retention", "destroy", "cancel"]


def _available(enquiry: Enquiry, user) -> list[dict]:
    flow = EnquiryFlow(enquiry)
    links = []
    for slug in ACTION_LINKS:
        spec = CASE_FORMS[slug]
        bound = getattr(flow, spec.transition_for(enquiry))
        if bound.can_proceed(check_conditions=False) and bound.has_perm(user):
            heading = spec.heading
            if slug == "legal-hold":
                heading = "Release the legal hold" if enquiry.legal_hold else "Place a legal hold"
            links.append({"slug": slug, "heading": heading, "url": reverse(f"lado:{slug}", args=[enquiry.pk]),
                          "warning": spec.warning})
    return links


def _timeline(enquiry: Enquiry) -> list[dict]:
    return [{"event": event, "from_stage": STATUS_NAMES.get(event.from_stage, event.from_stage),
             "to_stage": STATUS_NAMES.get(event.to_stage, event.to_stage)}
            for event in reversed(enquiry.timeline.all())]


def detail(request, pk):
    require_do_team(request.user)
    enquiry = enquiry_for(request.user, pk)
    on = today()
    earlier, later = subject_history(enquiry)
    read_case(request.user, enquiry, "lado:detail", shown=earlier + later)
    return render(request, "lado/detail.html", {
        "enquiry": enquiry,
        "decision_clock": enquiry.decision_clock(on),
        "first_meeting_clock": enquiry.first_meeting_clock(on),
        "first_meeting_held_on": enquiry.first_meeting_held_on,
        "review_clock": enquiry.review_clock(on),
        "targets": enquiry.targets(on),
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


def case_form(request, pk, form_slug):
    """A form on one case (decide, meeting, action, conclude, cancel, legal hold, retention, destroy,
    edit). A move the case's status does not allow is named, not ignored (409 on POST)."""
    require_do_team(request.user)
    spec = CASE_FORMS[form_slug]
    if spec.manager_only:
        require_do_manager(request.user)
    enquiry = enquiry_for(request.user, pk)
    flow = EnquiryFlow(enquiry)
    bound = getattr(flow, spec.transition_for(enquiry))
    if bound.can_proceed(check_conditions=False) and not bound.has_perm(request.user):
        raise PermissionDenied("Only the DO Manager can do this.")
    refusal, status, form = None, 200, None
    if not bound.can_proceed(check_conditions=False):
        refusal = services.refusal_message(enquiry, f"you cannot {spec.heading[0].lower()}{spec.heading[1:]} now")
    else:
        refusal = unmet_condition(flow, spec.transition_for(enquiry))
    if refusal is None:
        form = spec.make(request.POST if request.method == "POST" else None, enquiry, request)
    if request.method == "POST":
        status = 409 if refusal else 400
        if form is not None and form.is_valid():
            try:
                result = spec.call(enquiry, request.user, form)
            except TransitionRefused as exc:
                refusal, status, form = exc.message, 409, None
            except ValidationError as exc:
                add_errors(form, exc, RENAMED_ERRORS)
            else:
                messages.success(request, spec.success)
                if form_slug == "destroy":
                    messages.success(request, f"{result.reference} destroyed. The destruction log keeps its entry.")
                    return redirect("lado:retention-review")
                return redirect("lado:detail", pk=enquiry.pk)
    read_case(request.user, enquiry, f"lado:{form_slug}")
    heading = spec.heading
    if form_slug == "legal-hold":
        heading = "Release the legal hold" if enquiry.legal_hold else "Place a legal hold"
    return render(request, "lado/case_form.html", {
        "enquiry": enquiry, "form": form, "heading": heading, "intro": spec.intro, "refusal": refusal,
        "form_slug": form_slug, "action_url": request.path,
    }, status=status)


def action_update(request, pk, action_pk):
    """Change an action's due date, or record it done (and the employer's outcome)."""
    require_do_team(request.user)
    enquiry = enquiry_for(request.user, pk)
    action = action_for(enquiry, action_pk)
    refusal, status = None, 200
    bound = EnquiryFlow(enquiry).update_action
    form = None
    if not bound.can_proceed(check_conditions=False):
        refusal = services.refusal_message(enquiry, "its actions can no longer be changed")
    else:
        form = ActionUpdateForm(request.POST if request.method == "POST" else None, action=action)
    if request.method == "POST":
        status = 409 if refusal else 400
        if form is not None and form.is_valid():
            try:
                services.enquiry_update_action(action=action, actor=request.user, **form.cleaned_data)
            except TransitionRefused as exc:
                refusal, status, form = exc.message, 409, None
            except ValidationError as exc:
                add_errors(form, exc, RENAMED_ERRORS)
            else:
                messages.success(request, "Action updated")
                return redirect("lado:detail", pk=enquiry.pk)
    read_case(request.user, enquiry, "lado:action-update")
    return render(request, "lado/case_form.html", {
        "enquiry": enquiry, "form": form, "heading": f"Update action: {action.description}",
        "intro": f"Owner: {action.owner}.", "refusal": refusal, "form_slug": "action-update",
        "action_url": request.path,
    }, status=status)


# --- DO Manager: access log and retention ---------------------------------------------------


def access_log(request, pk):
    """Who read this case, when, through which page or API call."""
    require_do_team(request.user)
    require_do_manager(request.user)
    enquiry = enquiry_for(request.user, pk)
    record_read(request.user, enquiry, "lado:access-log")
    page = Paginator(access_log_for(enquiry), 100).get_page(request.GET.get("page"))
    return render(request, "lado/access_log.html", {"enquiry": enquiry, "page": page})


def reads_by_user(request):
    """Every read of a DO case by one person (DO Manager)."""
    require_do_team(request.user)
    require_do_manager(request.user)
    username = request.GET.get("user", "")
    reader = get_user_model().objects.filter(username=username).first() if username else None
    page = rows = None
    if reader is not None:
        page = Paginator(reads_by(reader), 100).get_page(request.GET.get("page"))
        references = references_for(read.case_id for read in page)
        rows = [(read, *references.get(read.case_id, ("", False))) for read in page]
        # The page names each case read: that too is a read (of the cases that still exist).
        record_reads_by_id(request.user, CASE_KIND, [pk for pk, (_, exists) in references.items() if exists],
                           "lado:reads-by-user")
    return render(request, "lado/reads_by_user.html", {
        "readers": readers(), "reader": reader, "username": username, "page": page, "rows": rows,
    })


def opened_alerts(request):
    """Cases opened by someone other than their officer and the DO Manager (DO Manager): the
    alerts sent to the person looking, newest first. Each names a case, so showing it is a read."""
    require_do_team(request.user)
    require_do_manager(request.user)
    page = Paginator(case_opened_alerts(request.user), 50).get_page(request.GET.get("page"))
    case_ids = {alert.pk: case_id_from_link(alert.link) for alert in page}
    references = references_for(pk for pk in case_ids.values() if pk is not None)
    rows = [(alert, case_ids[alert.pk], *references.get(case_ids[alert.pk], ("", False))) for alert in page]
    record_reads_by_id(request.user, CASE_KIND, [pk for pk, (_, exists) in references.items() if exists],
                       "lado:alerts")
    return render(request, "lado/alerts.html", {"page": page, "rows": rows, "enabled": alerts_enabled()})


def retention_review(request):
    """Closed cases due for retention review, and cases on legal hold (DO Manager)."""
    require_do_team(request.user)
    require_do_manager(request.user)
    page = Paginator(retention_due(), 50).get_page(request.GET.get("page"))
    held = list(on_legal_hold())
    record_reads(request.user, page.object_list, "lado:retention-review", more={"lado:retention-review legal hold": held})
    return render(request, "lado/retention.html", {"page": page, "held": held})


def destruction_log(request):
    require_do_team(request.user)
    require_do_manager(request.user)
    page = Paginator(DestructionLog.objects.select_related("destroyed_by"), 50).get_page(request.GET.get("page"))
    return render(request, "lado/destruction_log.html", {"page": page})


# --- DO Manager: who holds a DO role, the yearly access review, retention rules --------------

#: How often the DO Manager reviews who holds DO roles.
ACCESS_REVIEW_DAYS = 365


def require_verified_do_manager(request) -> None:
    """The DO Manager, in a session where a code from their authenticator app was entered. The
    two-step middleware already sends DO roles to enter one; this page does not rely on it."""
    require_do_team(request.user)
    require_do_manager(request.user)
    if not getattr(request.user, "is_verified", lambda: False)():
        raise PermissionDenied("Enter a code from your authenticator app before changing the DO team.")


def do_team(request):
    """Who holds a DO role, giving someone one, and every grant and removal (DO Manager)."""
    require_verified_do_manager(request)
    refusal, status = None, 200
    form = RoleGrantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                change = services.do_role_grant(actor=request.user, person=data["person"], role=data["role"],
                                                reason=data["reason"])
            except TransitionRefused as exc:
                refusal, status = exc.message, 409
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{change.person} is now a {change.role.name}. They set up two-step "
                                          "verification when they next sign in.")
                return redirect("lado:do-team")
    page = Paginator(role_changes(), 50).get_page(request.GET.get("page"))
    return render(request, "lado/do_team.html", {
        "holders": do_role_holders(), "form": form, "refusal": refusal, "page": page,
    }, status=status)


def role_remove(request, user_id, role):
    """Take a DO role away, with a reason (DO Manager). A refusal (the last DO Manager removing
    their own role) is said before the form, not after it."""
    require_verified_do_manager(request)
    person = get_object_or_404(get_user_model(), pk=user_id)
    the_role = get_object_or_404(Role, slug=role, slug__in=roles.DO_TEAM)
    back = "lado:access-review" if request.GET.get("from") == "review" else "lado:do-team"
    refusal = services.role_removal_refusal(person, the_role.slug)
    form = None if refusal else ReasonForm(request.POST if request.method == "POST" else None,
                                           button="Remove role", warning=True,
                                           hint="For example, left the DO team on 31 March.")
    status = 200
    if request.method == "POST":
        status = 409 if refusal else 400
        if form is not None and form.is_valid():
            try:
                services.do_role_remove(actor=request.user, person=person, role=the_role.slug,
                                        reason=form.cleaned_data["reason"])
            except TransitionRefused as exc:
                refusal, status, form = exc.message, 409, None
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{person} is no longer a {the_role.name}.")
                return redirect(back)
    return render(request, "lado/role_remove.html", {
        "person": person, "role": the_role, "form": form, "refusal": refusal, "back": back,
        "action_url": request.get_full_path(),
    }, status=status)


def access_review(request):
    """The yearly review of who holds DO roles: when each last signed in, one click to remove a
    role, and a record that the review was done (DO Manager)."""
    require_verified_do_manager(request)
    form = AccessReviewForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            services.do_access_review_record(actor=request.user, note=form.cleaned_data["note"])
            messages.success(request, "Access review recorded")
            return redirect("lado:access-review")
    last = last_access_review()
    due = (timezone.localdate(last.at) + timedelta(days=ACCESS_REVIEW_DAYS)) if last else None
    return render(request, "lado/access_review.html", {
        "holders": do_role_holders(), "form": form, "last": last, "due": due,
        "overdue": due is None or due <= today(), "signed_in_since": today() - timedelta(days=90),
        "system_accounts": _system_accounts(),
    }, status=status)


def _system_accounts():
    from people.models import ServiceAccount

    return (ServiceAccount.objects.filter(active=True).select_related("owner", "do_granted_by")
            .annotate(reads_do=Exists(Role.users.through.objects.filter(
                user_id=OuterRef("user_id"), role_id=roles.SYSTEM_READ_DO))))


def system_account_do_reading(request, account_id):
    """The DO Manager lets a system account read DO cases, or stops it (DO area only: the
    system accounts page made by IRO Managers never offers it)."""
    from people.models import ServiceAccount
    from people.services import service_account_set_do_reading

    require_verified_do_manager(request)
    if request.method != "POST":
        return redirect("lado:access-review")
    account = get_object_or_404(ServiceAccount.objects.select_related("user"), pk=account_id, active=True)
    allowed = request.POST.get("allow") == "1"
    service_account_set_do_reading(account=account, actor=request.user, allowed=allowed)
    messages.success(request, f"{account.name} {'may now read' if allowed else 'can no longer read'} DO cases")
    return redirect("lado:access-review")


def retention_rules_page(request):
    """How long closed cases are kept, per closure and (longer) per category, and every change
    to the rules (DO Manager)."""
    require_verified_do_manager(request)
    page = Paginator(retention_rule_changes(), 50).get_page(request.GET.get("page"))
    return render(request, "lado/retention_rules.html", {
        "rules": retention_rules(), "categories": category_retention_rows(), "page": page})


def category_retention_edit(request, category_id):
    """Give one category of allegation a longer period, change or remove it, with a reason;
    closed cases of that category under the statutory outcomes get their new review date."""
    require_verified_do_manager(request)
    category = get_object_or_404(Category, pk=category_id)
    period = CategoryRetention.objects.filter(category=category).first()
    form = CategoryRetentionForm(request.POST if request.method == "POST" else None, period=period)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                change = services.category_retention_change(category=category, actor=request.user,
                                                            **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"Rule changed: {change.after}. Review dates recalculated for "
                                          f"{change.cases_changed} closed case{'s' if change.cases_changed != 1 else ''}.")
                return redirect("lado:retention-rules")
    return render(request, "lado/category_retention_form.html",
                  {"category": category, "period": period, "form": form}, status=status)


def retention_rule_edit(request, rule_id):
    """Change one retention rule with a reason; closed cases under it get their new review date."""
    require_verified_do_manager(request)
    rule = get_object_or_404(RetentionRule, pk=rule_id)
    form = RetentionRuleForm(request.POST if request.method == "POST" else None, rule=rule)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                change = services.retention_rule_change(rule=rule, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"Rule changed: {change.after}. Review dates recalculated for "
                                          f"{change.cases_changed} closed case{'s' if change.cases_changed != 1 else ''}.")
                return redirect("lado:retention-rules")
    return render(request, "lado/retention_rule_form.html", {"rule": rule, "form": form}, status=status)
