from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from children.selectors import children_visible_to
from drp.selectors import drps_visible_to
from workflows.audit import record_read

from . import access, services
from .filters import PositivePracticeFilter
from .models import PositivePractice
from .selectors import positive_practice_for, positive_practice_visible_to, with_list_data
from .serializers import PositivePracticeSerializer, RecordSerializer


class PositivePracticeViewSet(viewsets.GenericViewSet):
    """Positive practice the signed-in person may see; IROs and Chairs record it."""

    serializer_class = PositivePracticeSerializer
    queryset = PositivePractice.objects.none()  # for the schema; get_queryset() filters by user
    filterset_class = PositivePracticeFilter

    def get_queryset(self):
        return with_list_data(positive_practice_visible_to(self.request.user)).prefetch_related(
            "timeline__actor").order_by("-recorded_on", "-id")

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(PositivePracticeSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        pp = positive_practice_for(request.user, pk)
        record_read(request.user, pp, "api:positive-practice-detail")
        return Response(PositivePracticeSerializer(pp).data)

    @extend_schema(request=RecordSerializer, responses={201: PositivePracticeSerializer})
    def create(self, request):
        # Who may record is decided before the input is read: a refusal is 403, never a 400.
        if not access.can_record_positive_practice(request.user):
            raise PermissionDenied("Only IROs, Conference Chairs and IRO Managers record positive practice.")
        serializer = RecordSerializer(data=request.data, children_qs=children_visible_to(request.user),
                                      drps_qs=drps_visible_to(request.user))
        serializer.is_valid(raise_exception=True)
        pp = services.positive_practice_record(actor=request.user, **serializer.validated_data)
        return Response(PositivePracticeSerializer(positive_practice_for(request.user, pp.pk)).data,
                        status=status.HTTP_201_CREATED)
