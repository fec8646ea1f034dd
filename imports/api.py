from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.problems import MEDIA_TYPE, problem
from api.schema import FieldErrorSerializer, ProblemSerializer
from api.views import ApiContract

from . import jobs, readers, registry, services, tasks
from .models import ImportJob

_error = inline_serializer("ImportRowError", {"row": serializers.IntegerField(),
                                           "column": serializers.CharField(),
                                           "message": serializers.CharField()})
_preview_row = inline_serializer("ImportPreviewRow", {
    "row": serializers.IntegerField(), "reference": serializers.CharField(),
    "action": serializers.ChoiceField(choices=["create", "update"]),
    "values": serializers.DictField(child=serializers.CharField())})
_result = inline_serializer("ImportResult", {
    "created": serializers.IntegerField(help_text="Records created (a preview: that would be)."),
    "updated": serializers.IntegerField(help_text="Records updated (a preview: that would be)."),
    "errors": _error.__class__(many=True),
    "dry_run": serializers.BooleanField(required=False, help_text="Only in a preview's answer."),
    "rows": serializers.IntegerField(required=False, help_text="A preview: the file's record rows."),
    "new_children": serializers.IntegerField(required=False,
                                             help_text="A preview: child records the import would add."),
    "preview": _preview_row.__class__(many=True, required=False,
                                      help_text="A preview: the first rows and what each would do.")})
_job = inline_serializer("ImportJob", {
    "id": serializers.IntegerField(), "url": serializers.CharField(),
    "kind": serializers.CharField(), "filename": serializers.CharField(),
    "status": serializers.ChoiceField(choices=ImportJob.Status.choices),
    "status_display": serializers.CharField(), "finished": serializers.BooleanField(),
    "rows": serializers.IntegerField(), "checked": serializers.IntegerField(),
    "written": serializers.IntegerField(), "created": serializers.IntegerField(),
    "updated": serializers.IntegerField(), "can_retry": serializers.BooleanField(),
    "dry_run": serializers.BooleanField(help_text="A preview job: checks the file and writes nothing; it ends "
                                                  "previewed (with created, updated, new_children and preview) or "
                                                  "refused."),
    "new_children": serializers.IntegerField(help_text="A preview: child records the import would add."),
    "preview": _preview_row.__class__(many=True, help_text="A preview: the first rows and what each would do."),
    "errors": _error.__class__(many=True)})


class ImportFieldErrorSerializer(FieldErrorSerializer):
    row = serializers.IntegerField(required=False, help_text=(
        "The file's row (1 is the header); 0 for the upload as a whole. Only on import_refused."))


class ImportProblemSerializer(ProblemSerializer):
    """A refused import (400, ``code`` ``import_refused``): nothing was written; each error
    names the row and column (``field``)."""

    # Only on import_refused (other 400s here, such as an unknown query parameter, are plain problems).
    created = serializers.IntegerField(required=False)
    updated = serializers.IntegerField(required=False)
    errors = ImportFieldErrorSerializer(many=True)


def _problem(errors: list[dict], **extensions) -> Response:
    """400 in the problem shape: each row error names its column as the field."""
    listed = [{"field": e["column"], "detail": e["message"], "code": "invalid", "row": e["row"]}
              for e in errors]
    detail = (f"Nothing was imported: {len(listed)} error{'s' if len(listed) != 1 else ''} "
              f"(first: row {listed[0]['row']}, {listed[0]['field']}: {listed[0]['detail']})")
    extensions = {"created": 0, "updated": 0, **extensions}
    return Response(problem(400, "import_refused", detail, errors=listed, **extensions),
                    status=status.HTTP_400_BAD_REQUEST, content_type=MEDIA_TYPE)


def _refused(column: str, message: str) -> Response:
    return _problem([{"row": 0, "column": column, "message": message}])


def job_data(job: ImportJob) -> dict:
    return {"id": job.pk, "url": reverse("api:import-job", args=[job.pk]), "kind": job.kind,
            "filename": job.filename, **jobs.progress(job), "new_children": job.new_children,
            "preview": job.preview, "errors": job.errors}


def _job_response(job: ImportJob, code=status.HTTP_200_OK) -> Response:
    data = job_data(job)
    headers = {"Location": data["url"]} if code == status.HTTP_202_ACCEPTED else None
    return Response(data, status=code, headers=headers)


class ImportView(ApiContract, APIView):
    """Import historical records from a CSV or XLSX file: all rows or none. IRO Managers and
    Business Support import DRPs and positive practice; the DO Manager imports DO enquiries.

    An import creates records, or corrects records an import created that are closed and
    untouched since; it never changes a record made in Footprint, nor an open one. A child
    reference with no child is an error unless ``create_children`` is true. A file over the
    inline limit (FOOTPRINT_IMPORT_INLINE_MAX_BYTES) is imported by a background job: the answer
    is 202 with the job, whose URL (``GET /api/v1/imports/jobs/{id}/``) says how it is going.

    ``?dry_run=true`` previews: the whole file is checked the same way and nothing is written;
    the answer (200, or 400 with every error) says how many records would be created and
    updated, how many children added, and the first rows. A file over the inline limit is
    checked by a background job: 202 with the job (``dry_run`` true), which ends ``previewed``
    with the same figures, or ``refused`` with every error."""

    parser_classes = [MultiPartParser]  # the one operation that takes a file

    @extend_schema(
        request={"multipart/form-data": inline_serializer("ImportUpload", {
            "kind": serializers.ChoiceField(choices=registry.names()),
            "file": serializers.FileField(),
            "create_children": serializers.BooleanField(required=False, default=False)})},
        parameters=[OpenApiParameter("dry_run", bool, description="Check and preview; write nothing.")],
        responses={201: _result, 200: _result, 202: _job, 400: ImportProblemSerializer},
    )
    def post(self, request):
        kind = request.data.get("kind", "")
        upload = request.FILES.get("file")
        if registry.get(kind) is None:
            return _refused("kind", f"Choose {', '.join(registry.names()[:-1])} or {registry.names()[-1]}.")
        registry.require_importer(request.user, kind)
        if upload is None:
            return _refused("file", "Attach a CSV or XLSX file.")
        if services.too_large(upload):
            return _refused("file", services.too_large_message())
        flag = serializers.BooleanField(required=False, default=False)
        try:
            create_children = flag.run_validation(request.data.get("create_children", False))
        except serializers.ValidationError:
            return _refused("create_children", "Give create_children as true or false.")
        try:
            dry_run = flag.run_validation(request.query_params.get("dry_run", False))
        except serializers.ValidationError:
            return _refused("dry_run", "Give dry_run as true or false.")
        try:
            services.check_upload(upload)
            if dry_run and services.runs_in_background(upload):
                job = jobs.create(kind=kind, upload=upload, actor=request.user, create_children=create_children,
                                  dry_run=True)
                tasks.queue(job)
                return _job_response(job, status.HTTP_202_ACCEPTED)
            if dry_run:
                result = services.run_import(kind=kind, upload=upload, filename=upload.name, actor=request.user,
                                             create_children=create_children, dry_run=True)
                if result.errors:  # the preview's figures too, in the problem
                    return _problem(result.errors, **{k: v for k, v in result.as_dict().items() if k != "errors"})
                return Response(result.as_dict(), status=status.HTTP_200_OK)
            if services.runs_in_background(upload):
                job = jobs.create(kind=kind, upload=upload, actor=request.user, create_children=create_children)
                tasks.queue(job)
                return _job_response(job, status.HTTP_202_ACCEPTED)
        except readers.FileRefused as exc:
            return _refused("file", str(exc))
        result = services.run_import(kind=kind, upload=upload, filename=upload.name, actor=request.user,
                                     create_children=create_children)
        if result.errors:
            return _problem(result.errors)
        return Response(result.as_dict(), status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def _own_job(request, job_id) -> ImportJob:
    try:
        return jobs.job_for(request.user, job_id)
    except ImportJob.DoesNotExist:
        raise Http404("No such import of yours.") from None


class ImportJobView(ApiContract, APIView):
    """A background import: its progress, then its outcome (every error when refused). Only
    the person who uploaded the file sees it."""

    @extend_schema(responses={200: _job})
    def get(self, request, job_id):
        return _job_response(_own_job(request, job_id))


class ImportJobRetryView(ApiContract, APIView):
    """Try a failed background import again with the same file (its uploader only; 409 when
    it did not fail, or its file has been deleted since)."""

    transitions_may_be_refused = True

    @extend_schema(request=None, responses={202: _job})
    def post(self, request, job_id):
        try:
            job = jobs.retry(job_id=job_id, actor=request.user)
        except ImportJob.DoesNotExist:
            raise Http404("No such import of yours.") from None
        tasks.queue(job)
        return _job_response(job, status.HTTP_202_ACCEPTED)
