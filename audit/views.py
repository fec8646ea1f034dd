"""The access log page and its exports. Thin: the log is read by ``selectors.log_entries``."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from lado.models import Enquiry
from workflows.audit import record_reads_by_id

from . import exports
from .forms import AccessLogFilterForm
from .models import AccessLogView
from .selectors import enquiry_ids, entries, iter_entries, log_entries, require_log_reader

ENQUIRY_KIND = Enquiry._meta.label_lower

PAGE_SIZE = 50


def access_log(request):
    """Who read or changed which case: IRO Managers see non-DO records, the DO Manager enquiries.
    Every look at the log (page or export) is itself logged, and each DO enquiry it names (the
    changes carry their reasons: an outcome, why a case was cancelled) is logged as read."""
    scopes = require_log_reader(request.user)
    form = AccessLogFilterForm(request.GET or None, scopes=scopes)
    valid = form.is_valid() if request.GET else True
    filters = form.filters() if request.GET and valid else None
    export = request.GET.get("format", "")
    qs = log_entries(request.user, filters) if valid else None
    scope_text = "+".join(sorted(scopes))
    filter_dict = filters.as_dict() if filters else {}
    stamp = timezone.localdate().isoformat()
    if qs is not None and export in ("csv", "xlsx"):
        total = qs.count()
        if export == "xlsx" and total > exports.XLSX_MAX_ROWS:
            form.add_error(None, f"{total:,} entries are too many for a spreadsheet "
                                 f"(at most {exports.XLSX_MAX_ROWS:,}): narrow the filters or download CSV")
        else:
            AccessLogView.objects.create(user=request.user, scopes=scope_text, filters=filter_dict,
                                         format=export, rows=total)
            record_reads_by_id(request.user, ENQUIRY_KIND, enquiry_ids(request.user, filters), f"audit:access-log {export}")
            make = exports.csv_response if export == "csv" else exports.xlsx_response
            return make(f"access-log-{stamp}", iter_entries(qs))
    page = rows = None
    if qs is not None:
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = entries(page.object_list)
        record_reads_by_id(request.user, ENQUIRY_KIND, [row.case_id for row in rows
                                                   if row.kind and row.kind.key == ENQUIRY_KIND and row.exists],
                           "audit:access-log")
        AccessLogView.objects.create(user=request.user, scopes=scope_text, filters=filter_dict,
                                     format=AccessLogView.Format.PAGE, rows=page.paginator.count)
    return render(request, "audit/access_log.html", {
        "form": form, "page": page, "rows": rows, "scopes": scopes,
    }, status=400 if form.errors else 200)
