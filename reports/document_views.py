"""The annual report document's pages: the document (page, print, Word, publication version)
and the commentary each section's manager writes. Thin: ``reports.document`` builds it,
``reports.services.commentary_save`` writes commentary."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from . import document as builder
from .access import can_write_commentary
from .models import ReportCommentary
from .services import COMMENTARY_MAX_LENGTH, commentary_save
from .views import report_years, requested_year, require_report_reader
from .word import annual_document_docx, docx_response, publication_note


def annual_document(request):
    """One reporting year's annual report as one document; ``publication=1`` for the version to
    publish (small numbers suppressed), ``print=1`` to print, ``format=docx`` for Word."""
    require_report_reader(request.user)
    year, error = requested_year(request)
    publication = request.GET.get("publication") == "1"
    document = builder.annual_document(request.user, year, publication=publication)
    if not error and request.GET.get("format") == "docx":
        name = f"annual-report-{year}" + ("-for-publication" if publication else "")
        return docx_response(name, annual_document_docx(document, settings.FOOTPRINT_AUTHORITY_NAME))
    query = f"year={year}" + ("&publication=1" if publication else "")
    template = "reports/document_print.html" if request.GET.get("print") == "1" else "reports/document.html"
    return render(request, template, {
        "document": document, "year": year, "years": report_years(year), "error": error, "query": query,
        "heading": document["heading"], "publication_note": publication_note(document["threshold"]),
    }, status=400 if error else 200)


def commentary(request, section_key: str):
    """A section's commentary for a year: read and written by the manager the section names."""
    require_report_reader(request.user)
    section = builder.section(section_key)
    if section is None:
        raise Http404("No such section of the annual report.")
    if not can_write_commentary(request.user, section):
        raise PermissionDenied(f"The {section.title} commentary is written by its manager.")
    year, error = requested_year(request)
    current = ReportCommentary.objects.filter(year=year, section=section.key).select_related("updated_by").first()
    text, field, status = current.text if current else "", "year", 200
    if error:
        status = 400
    elif request.method == "POST":
        text = request.POST.get("text", "")
        try:
            commentary_save(year=year, section_key=section.key, text=text, actor=request.user)
        except ValidationError as exc:
            field, messages_ = next(iter(exc.message_dict.items()))
            error, status = messages_[0], 400
        else:
            messages.success(request, f"{section.title} commentary saved")
            return redirect(reverse("reports:document") + f"?year={year}#section-{section.key}")
    return render(request, "reports/commentary.html", {
        "section": section, "year": year, "text": text, "current": current, "error": error,
        "error_field": field, "max_length": COMMENTARY_MAX_LENGTH,
    }, status=status)
