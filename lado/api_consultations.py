"""Advice-only consultations in the API: the DO team lists and logs them (no subject identity);
every consultation returned is a logged read, as every DO read is."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from api.serializers import UTCDateTimeField
from api.views import ApiContract
from workflows.audit import record_reads

from . import services
from .api import DO_TEAM
from .models import Category, Consultation, SchoolPhase, Sector, SettingType
from .selectors import consultations_visible_to
from .serializers import vocabulary_field


def _slug():
    return serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)


class ConsultationSerializer(serializers.ModelSerializer):
    sector, setting, school_phase, category = _slug(), _slug(), _slug(), _slug()
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Consultation
        fields = ["id", "consulted_at", "consulted_on", "caller_name", "caller_organisation", "sector", "setting",
                  "school_phase", "category", "advice", "recorded_by", "recorded_at"]


class ConsultationInputSerializer(serializers.Serializer):
    """No subject's name and no children: a consultation that identifies someone is an enquiry."""

    consulted_at = UTCDateTimeField(required=False, help_text="Default: now.")
    caller_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    caller_organisation = serializers.CharField(max_length=200, required=False, allow_blank=True)
    sector = vocabulary_field(Sector, required=False, allow_null=True)
    setting = vocabulary_field(SettingType, required=False, allow_null=True)
    school_phase = vocabulary_field(SchoolPhase, required=False, allow_null=True,
                               help_text="Only with a setting that asks for one (education).")
    category = vocabulary_field(Category, required=False, allow_null=True)
    advice = serializers.CharField(max_length=20000)


class ConsultationViewSet(ApiContract, viewsets.GenericViewSet):
    """Advice-only consultations, newest first."""

    permission_classes = DO_TEAM
    throttle_scope = "designated-officer"
    serializer_class = ConsultationSerializer

    def get_queryset(self):
        return consultations_visible_to(self.request.user)

    @extend_schema(responses=ConsultationSerializer(many=True))
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        record_reads(request.user, page, "api:lado-consultation-list")
        return self.get_paginated_response(ConsultationSerializer(page, many=True).data)

    @extend_schema(request=ConsultationInputSerializer, responses={201: ConsultationSerializer})
    def create(self, request):
        serializer = ConsultationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consultation = services.consultation_log(actor=request.user, **serializer.validated_data)
        record_reads(request.user, [consultation], "api:lado-consultation-create")
        return Response(ConsultationSerializer(consultation).data, status=status.HTTP_201_CREATED)
