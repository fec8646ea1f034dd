from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from workflows.exceptions import TransitionRefused

from . import jobs, readers, registry, services, tasks
from .models import ImportJob


def _kinds(user) -> list[dict]:
    return [{"value": kind.name, "name": kind.label, "columns": kind.columns,
             "help": services.columns_help(kind.name, user), "children": "child_references" in kind.columns}
            for kind in registry.kinds_for(user)]


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
    context = {"kinds": kinds, "chosen": kinds[0]["value"] if len(kinds) == 1 else "", "errors": [],
               "offer_children": any(kind["children"] for kind in kinds)}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        upload = request.FILES.get("file")
        create_children = request.POST.get("create_children") == "yes"
        context.update(chosen=kind, create_children=create_children)
        if registry.get(kind) is None:
            context["errors"].append({"href": "#kind", "text": "Choose what you are importing."})
        else:
            registry.require_importer(request.user, kind)
        if upload is None:
            context["errors"].append({"href": "#file", "text": "Choose a CSV or XLSX file."})
        elif services.too_large(upload):
            context["errors"].append({"href": "#file", "text": services.too_large_message()})
        preview = request.POST.get("step") == "preview"
        if not context["errors"]:
            try:
                services.check_upload(upload)
                if preview:
                    return _preview(request, context, kind, upload, create_children)
                if services.runs_in_background(upload):
                    job = jobs.create(kind=kind, upload=upload, actor=request.user, create_children=create_children)
                    tasks.queue(job)
                    return redirect(job)
            except readers.FileRefused as exc:
                context["errors"].append({"href": "#file", "text": str(exc)})
        if not context["errors"]:
            result = services.run_import(kind=kind, upload=upload, filename=upload.name, actor=request.user,
                                         create_children=create_children)
            if result.ok:
                return render(request, "imports/result.html", {"result": result,
                                                                "kind_name": registry.get(kind).label})
            context["result"] = result
            context["errors"] = _summary(result.errors)
        return render(request, "imports/upload.html", context, status=400)
    return render(request, "imports/upload.html", context)


def _preview(request, context, kind, upload, create_children):
    """Keep the file (a job waiting for "Import") and show what importing it would do; a file
    with problems is not kept, and its problems are listed as an import's are."""
    if services.runs_in_background(upload):  # checked by a worker: "Checking the file", then the preview
        job = jobs.create(kind=kind, upload=upload, actor=request.user, create_children=create_children,
                          dry_run=True)
        tasks.queue(job)
        return redirect(job)
    job = jobs.create(kind=kind, upload=upload, actor=request.user, create_children=create_children,
                      status=ImportJob.Status.PREVIEWED)
    result = jobs.preview(job)
    if not result.ok:
        context["result"] = result
        context["errors"] = _summary(result.errors)
        return render(request, "imports/upload.html", context, status=400)
    return _preview_page(request, job, result)


def _preview_page(request, job: ImportJob, result):
    """What importing a checked file would do (``result``: the preview's Result, or the job that
    kept it), with "Import"."""
    spec = registry.get(job.kind)
    for row in result.preview:
        row["cells"] = [row["values"].get(column, "") for column in spec.columns]
        row["labelled"] = list(zip(spec.columns, row["cells"]))  # each cell led by its column on a phone
    return render(request, "imports/preview.html", {"job": job, "result": result, "kind_name": spec.label,
                                                    "columns": spec.columns})


@require_POST
def job_confirm(request, job_id):
    """"Import" on a preview: a small file is imported while the page waits, a large one by a
    job with its progress page."""
    try:
        job = jobs.confirm(job_id=job_id, actor=request.user)
    except ImportJob.DoesNotExist:
        raise Http404("No such import of yours.") from None
    except TransitionRefused as exc:
        return _job_page(request, _job(request, job_id), refusal=exc.message, status=409)
    if job.size > settings.FOOTPRINT_IMPORT_INLINE_MAX_BYTES:
        tasks.queue(job)
        return redirect(job)
    jobs.run(job.pk, heartbeat=False)
    job.refresh_from_db()
    if job.status != ImportJob.Status.DONE:
        return _job_page(request, job, status=400 if job.status == ImportJob.Status.REFUSED else 200)
    return render(request, "imports/result.html", {"result": job, "kind_name": registry.get(job.kind).label})


def template(request, kind, extension="csv"):
    """The template of a kind, as CSV or XLSX: the header row and an example row."""
    if registry.get(kind) is None:
        raise Http404
    registry.require_importer(request.user, kind)
    if extension == "xlsx":
        response = HttpResponse(services.template_xlsx(kind, request.user), content_type=XLSX)
    else:
        response = HttpResponse(services.template_csv(kind, request.user), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{kind}-import-template.{extension}"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _job(request, job_id) -> ImportJob:
    try:
        return jobs.job_for(request.user, job_id)
    except ImportJob.DoesNotExist:
        raise Http404("No such import of yours.") from None


def _job_page(request, job: ImportJob, *, refusal: str = "", status: int = 200):
    kind = registry.get(job.kind)
    context = {"job": job, "progress": jobs.progress(job), "kind_name": kind.label if kind else job.kind,
               "refusal": refusal}
    if job.status == ImportJob.Status.REFUSED:
        context["errors"] = _summary(job.errors)
    return render(request, "imports/job.html", context, status=status)


@require_GET
def job(request, job_id):
    """A large import's progress, then its outcome. Without JavaScript, "Check progress"
    reloads it; static/js/import-progress.js updates it in place. An import whose worker died
    shows as failed, nothing written, with "Try again". A large file's preview shows "Checking
    the file" the same way, then what importing it would do."""
    job = _job(request, job_id)
    if job.status == ImportJob.Status.PREVIEWED and job.file:
        return _preview_page(request, job, job)
    return _job_page(request, job)


@require_GET
def job_progress(request, job_id):
    """The same as JSON, for the page's script."""
    return JsonResponse(jobs.progress(_job(request, job_id)))


@require_POST
def job_retry(request, job_id):
    """Its uploader tries a failed import again with the same file."""
    try:
        job = jobs.retry(job_id=job_id, actor=request.user)
    except ImportJob.DoesNotExist:
        raise Http404("No such import of yours.") from None
    except TransitionRefused as exc:
        return _job_page(request, _job(request, job_id), refusal=exc.message, status=409)
    tasks.queue(job)
    return redirect(job)
