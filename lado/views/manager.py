"""The DO Manager's pages: the access log, retention review and destruction log, who holds a DO role, the yearly access review, retention rules."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from people import roles
from people.models import Role
from workflows.audit import record_read, record_reads, record_reads_by_id
from workflows.clocks import today
from workflows.exceptions import TransitionRefused
from workflows.forms import add_errors

from .. import services
from ..access import require_do_manager, require_do_team
from ..alerts import enabled as alerts_enabled
from ..forms import (
    AccessReviewForm,
    CategoryRetentionForm,
    ReasonForm,
    RetentionRuleForm,
    RoleGrantForm,
)
from ..models import Category, CategoryRetention, DestructionLog, RetentionRule
from ..selectors import (
    ENQUIRY_KIND,
    access_log_for,
    category_retention_rows,
    do_role_holders,
    enquiry_for,
    enquiry_id_from_link,
    enquiry_opened_alerts,
    last_access_review,
    on_legal_hold,
    readers,
    reads_by,
    references_for,
    retention_due,
    retention_rule_changes,
    retention_rules,
    role_changes,
)

# --- DO Manager: access log and retention ---------------------------------------------------


def access_log(request, pk):
    """Who read this enquiry, when, through which page or API call."""
    require_do_team(request.user)
    require_do_manager(request.user)
    enquiry = enquiry_for(request.user, pk)
    record_read(request.user, enquiry, "lado:access-log")
    page = Paginator(access_log_for(enquiry), 100).get_page(request.GET.get("page"))
    return render(request, "lado/access_log.html", {"enquiry": enquiry, "page": page})


def reads_by_user(request):
    """Every read of a DO enquiry by one person (DO Manager)."""
    require_do_team(request.user)
    require_do_manager(request.user)
    username = request.GET.get("user", "")
    reader = get_user_model().objects.filter(username=username).first() if username else None
    page = rows = None
    if reader is not None:
        page = Paginator(reads_by(reader), 100).get_page(request.GET.get("page"))
        references = references_for(read.case_id for read in page)
        rows = [(read, *references.get(read.case_id, ("", False))) for read in page]
        # The page names each enquiry read: that too is a read (of the enquiries that still exist).
        record_reads_by_id(request.user, ENQUIRY_KIND, [pk for pk, (_, exists) in references.items() if exists],
                           "lado:reads-by-user")
    return render(request, "lado/reads_by_user.html", {
        "readers": readers(), "reader": reader, "username": username, "page": page, "rows": rows,
    })


def opened_alerts(request):
    """Enquiries opened by someone other than their officer and the DO Manager (DO Manager): the
    alerts sent to the person looking, newest first. Each names an enquiry, so showing it is a read."""
    require_do_team(request.user)
    require_do_manager(request.user)
    page = Paginator(enquiry_opened_alerts(request.user), 50).get_page(request.GET.get("page"))
    enquiry_ids = {alert.pk: enquiry_id_from_link(alert.link) for alert in page}
    references = references_for(pk for pk in enquiry_ids.values() if pk is not None)
    rows = [(alert, enquiry_ids[alert.pk], *references.get(enquiry_ids[alert.pk], ("", False))) for alert in page]
    record_reads_by_id(request.user, ENQUIRY_KIND, [pk for pk, (_, exists) in references.items() if exists],
                       "lado:alerts")
    return render(request, "lado/alerts.html", {"page": page, "rows": rows, "enabled": alerts_enabled()})


def retention_review(request):
    """Closed enquiries due for retention review, and enquiries on legal hold (DO Manager)."""
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
    """The DO Manager lets a system account read DO enquiries, or stops it (DO area only: the
    system accounts page made by IRO Managers never offers it)."""
    from people.models import ServiceAccount
    from people.services import service_account_set_do_reading

    require_verified_do_manager(request)
    if request.method != "POST":
        return redirect("lado:access-review")
    account = get_object_or_404(ServiceAccount.objects.select_related("user"), pk=account_id, active=True)
    allowed = request.POST.get("allow") == "1"
    service_account_set_do_reading(account=account, actor=request.user, allowed=allowed)
    messages.success(request, f"{account.name} {'may now read' if allowed else 'can no longer read'} DO enquiries")
    return redirect("lado:access-review")


def retention_rules_page(request):
    """How long closed enquiries are kept, per closure and (longer) per category, and every change
    to the rules (DO Manager)."""
    require_verified_do_manager(request)
    page = Paginator(retention_rule_changes(), 50).get_page(request.GET.get("page"))
    return render(request, "lado/retention_rules.html", {
        "rules": retention_rules(), "categories": category_retention_rows(), "page": page})


def category_retention_edit(request, category_id):
    """Give one category of allegation a longer period, change or remove it, with a reason;
    closed enquiries of that category under the statutory outcomes get their new review date."""
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
                                          f"{change.cases_changed} closed {'enquiry' if change.cases_changed == 1 else 'enquiries'}.")
                return redirect("lado:retention-rules")
    return render(request, "lado/category_retention_form.html",
                  {"category": category, "period": period, "form": form}, status=status)


def retention_rule_edit(request, rule_id):
    """Change one retention rule with a reason; closed enquiries under it get their new review date."""
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
                                          f"{change.cases_changed} closed {'enquiry' if change.cases_changed == 1 else 'enquiries'}.")
                return redirect("lado:retention-rules")
    return render(request, "lado/retention_rule_form.html", {"rule": rule, "form": form}, status=status)
