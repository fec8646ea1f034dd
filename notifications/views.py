from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import services
from .forms import PreferenceForm
from .models import EmailFrequency, Preference
from .selectors import log_do_case_reads, notifications_for


def notification_list(request):
    page = Paginator(notifications_for(request.user), 50).get_page(request.GET.get("page"))
    log_do_case_reads(request.user, page, "notifications:list")
    return render(request, "notifications/list.html", {"page": page})


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
    count = services.mark_all_read(user=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read")
    return redirect("notifications:list")


def preferences(request):
    current = Preference.objects.filter(user=request.user).values_list("email", flat=True).first()
    form = PreferenceForm(request.POST or None, initial={"email": current or EmailFrequency.IMMEDIATE})
    if request.method == "POST" and form.is_valid():
        services.set_email_frequency(user=request.user, frequency=form.cleaned_data["email"])
        messages.success(request, "Email preference saved")
        return redirect("notifications:list")
    return render(request, "notifications/preferences.html", {"form": form})
