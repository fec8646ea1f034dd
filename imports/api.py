from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services

_error = inline_serializer("ImportRowError", {"row": serializers.IntegerField(),
                                           "column": serializers.CharField(),
                                           "message": serializers.CharField()})
_result = inline_serializer("ImportResult", {"created": serializers.IntegerField(),
                                             "updated": serializers.IntegerField(),
                                             "errors": _error.__class__(many=True)})


class ImportView(APIView):
    """Import historical records from a CSV or XLSX file: all rows or none. IRO Managers and
    Business Support import DRPs and positive practice; the DO Manager imports DO cases."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("ImportUpload", {
            "kind": serializers.ChoiceField(choices=list(services.COLUMNS)),
            "file": serializers.FileField()})},
        responses={201: _result, 200: _result, 400: _result},
    )
    def post(self, request):
        kind = request.data.get("kind", "")
        upload = request.FILES.get("file")
        if kind not in services.COLUMNS:
            return Response({"created": 0, "updated": 0, "errors": [
                {"row": 0, "column": "kind", "message": "Choose drp, positive_practice or lado."}]},
                status=status.HTTP_400_BAD_REQUEST)
        services.require_importer(request.user, kind)
        if upload is None:
            return Response({"created": 0, "updated": 0, "errors": [
                {"row": 0, "column": "file", "message": "Attach a CSV or XLSX file."}]},
                status=status.HTTP_400_BAD_REQUEST)
        if services.too_large(upload):
            return Response({"created": 0, "updated": 0, "errors": [
                {"row": 0, "column": "file", "message": services.too_large_message()}]},
                status=status.HTTP_400_BAD_REQUEST)
        result = services.run_import(kind=kind, upload=upload, filename=upload.name, actor=request.user)
        if result.errors:
            code = status.HTTP_400_BAD_REQUEST
        else:
            code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(result.as_dict(), status=code)
