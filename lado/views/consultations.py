"""Advice-only consultations: the DO team logs a call below the threshold without the subject's
identity, and sees the list (each consultation shown is a logged read, as every DO read is)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from workflows.audit import record_reads
from workflows.forms import add_errors

from .. import services
from ..access import is_do_manager, require_do_team
from ..forms import ConsultationForm
from ..selectors import consultations_visible_to


def consultations(request):
    """The advice-only consultations logged, newest first."""
    require_do_team(request.user)
    page = Paginator(consultations_visible_to(request.user), 50).get_page(request.GET.get("page"))
    record_reads(request.user, page.object_list, "lado:consultations")
    return render(request, "lado/consultations.html", {"page": page, "is_manager": is_do_manager(request.user)})


def log_consultation(request):
    """Log an advice-only consultation while the call happens."""
    require_do_team(request.user)
    status = 200
    if request.method == "POST":
        form = ConsultationForm(request.POST)
        if form.is_valid():
            try:
                services.consultation_log(actor=request.user, **form.service_data())
            except ValidationError as exc:
                add_errors(form, exc, {"consulted_at": "consulted_on"})
            else:
                messages.success(request, "Consultation logged")
                return redirect("lado:consultations")
        status = 400
    else:
        form = ConsultationForm()
    return render(request, "lado/consultation_form.html", {"form": form, "is_manager": is_do_manager(request.user)},
                  status=status)
