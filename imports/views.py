from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import readers, services
from .models import ImportJob


def _kinds(user) -> list[dict]:
    return [{"value": kind, "name": services.KIND_NAMES[kind], "columns": services.COLUMNS[kind]}
            for kind in services.kinds_for(user)]


def _summary(errors: list[dict]) -> list[dict]:
    """An import's problems as GOV.UK error summary items, each linking to the full table."""
    return [{"href": "#import-errors",
             "text": (f"Row {e['row']}" if e["row"] else "File")
             + (f", {e['column']}" if e["column"] else "") + f": {e['message']}"}
            for e in errors]


def upload(request):
    """Choose a kind and a file; the import runs as the page is sent, then the result shows."""
    kinds = _kinds(request.user)
    if not kinds:
        raise PermissionDenied("Importing is for IRO Managers, the DO Manager and Business Support.")
    context = {"kinds": kinds, "chosen": kinds[0]["value"] if len(kinds) == 1 else "", "errors": []}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        upload = request.FILES.get("file")
        context["chosen"] = kind
        if kind not in services.COLUMNS:
            context["errors"].append({"href": "#kind", "text": "Choose what you are importing."})
        else:
            services.require_importer(request.user, kind)
        if upload is None:
            context["errors"].append({"href": "#file", "text": "Choose a CSV or XLSX file."})
        elif services.too_large(upload):
            context["errors"].append({"href": "#file", "text": services.too_large_message()})
        if not context["errors"] and services.runs_in_background(upload):
            try:
                job = services.start_import_job(kind=kind, upload=upload, actor=request.user)
            except readers.FileRefused as exc:
                context["errors"].append({"href": "#file", "text": str(exc)})
            else:
                return redirect(job)
        if not context["errors"]:
            result = services.run_import(kind=kind, upload=upload, filename=upload.name, actor=request.user)
            if result.ok:
                return render(request, "imports/result.html", {"result": result,
                                                                "kind_name": services.KIND_NAMES[kind]})
            context["result"] = result
            context["errors"] = _summary(result.errors)
        return render(request, "imports/upload.html", context, status=400)
    return render(request, "imports/upload.html", context)


def template(request, kind):
    """The CSV template of a kind: just the header row."""
    if kind not in services.COLUMNS:
        raise Http404
    services.require_importer(request.user, kind)
    response = HttpResponse(services.template_csv(kind), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{kind}-import-template.csv"'
    return response


def _job(request, job_id) -> ImportJob:
    try:
        return services.job_for(request.user, job_id)
    except ImportJob.DoesNotExist:
        raise Http404("No such import of yours.") from None


@require_GET
def job(request, job_id):
    """A large import's progress, then its outcome. Without JavaScript, "Check progress"
    reloads it; static/js/import-progress.js updates it in place."""
    job = _job(request, job_id)
    context = {"job": job, "progress": services.job_progress(job),
               "kind_name": services.KIND_NAMES.get(job.kind, job.kind)}
    if job.status == ImportJob.Status.REFUSED:
        context["errors"] = _summary(job.errors)
    return render(request, "imports/job.html", context)


@require_GET
def job_progress(request, job_id):
    """The same as JSON, for the page's script."""
    return JsonResponse(services.job_progress(_job(request, job_id)))
