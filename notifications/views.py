from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import services
from .forms import PreferenceForm
from .models import EmailFrequency, Preference
from .selectors import (
    filtered_notifications,
    kinds_for,
    log_enquiry_reads,
    notifications_for,
    unread_count,
)


def _filters(data) -> dict:
    return {"unread": data.get("unread") == "1", "kind": (data.get("kind") or "")[:40],
            "case": (data.get("case") or "")[:500]}


def notification_list(request):
    """Notifications, newest first and grouped by day (or by case), filtered by unread, kind
    or case; "Mark all as read" marks what the filters show."""
    filters = _filters(request.GET)
    by_case = request.GET.get("group") == "case"
    qs = filtered_notifications(request.user, **filters)
    if by_case:
        qs = qs.order_by("link", "-created_at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    log_enquiry_reads(request.user, page, "notifications:list")
    query = {key: value for key, value in request.GET.items() if key in ("unread", "kind", "case", "group")}
    return render(request, "notifications/list.html", {
        "page": page, "filters": filters, "by_case": by_case, "kinds": kinds_for(request.user),
        "unread_total": unread_count(request.user), "query": urlencode(query),
        "case_query": urlencode({k: v for k, v in query.items() if k != "case"}),
    })


@require_POST
def notification_read(request, pk):
    """Mark one read and go to the case it is about."""
    notification = get_object_or_404(notifications_for(request.user), pk=pk)
    services.mark_read(notification=notification, user=request.user)
    if request.POST.get("next") == "case" and notification.link.startswith("/"):
        return redirect(notification.link)
    return redirect("notifications:list")


@require_POST
def notification_read_all(request):
    """Mark as read every unread notification the filters show (all of them, unfiltered)."""
    filters = _filters(request.POST)
    filters["unread"] = True
    count = services.mark_read_many(notifications=filtered_notifications(request.user, **filters))
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read")
    back = urlencode({k: v for k, v in request.POST.items() if k in ("kind", "case", "group", "unread") and v})
    return redirect(reverse("notifications:list") + (f"?{back}" if back else ""))


def preferences(request):
    current = Preference.objects.filter(user=request.user).values_list("email", flat=True).first()
    form = PreferenceForm(request.POST or None, initial={"email": current or EmailFrequency.IMMEDIATE})
    if request.method == "POST" and form.is_valid():
        services.set_email_frequency(user=request.user, frequency=form.cleaned_data["email"])
        messages.success(request, "Email preference saved")
        return redirect("notifications:list")
    return render(request, "notifications/preferences.html", {"form": form})
