"""The DRP API: thin views over selectors (reads) and services (writes)."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from children.selectors import children_visible_to
from workflows.audit import record_read
from workflows.transitions import read_input

from . import access, services
from .filters import DisputeResolutionFilter
from .flows import DisputeResolutionFlow
from .models import DisputeResolution, ImpactCode, Stage, Theme
from .selectors import drp_for, drps_visible_to, with_list_data
from .serializers import (
    DisputeResolutionListSerializer,
    DisputeResolutionSerializer,
    EscalateSerializer,
    ImpactCodeSerializer,
    RaiseSerializer,
    ReasonSerializer,
    ResolveSerializer,
    RespondSerializer,
    StageSerializer,
    ThemeSerializer,
)


class StageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The local DRP ladder, lowest stage first."""

    serializer_class = StageSerializer
    queryset = Stage.objects.prefetch_related("addressed_to")
    pagination_class = None


class ThemeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Themes a DRP can be about."""

    serializer_class = ThemeSerializer
    queryset = Theme.objects.filter(active=True)
    pagination_class = None


class ImpactCodeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """What a resolved DRP can have changed for the child (chosen when resolving)."""

    serializer_class = ImpactCodeSerializer
    queryset = ImpactCode.objects.filter(active=True)
    pagination_class = None


class DisputeResolutionViewSet(viewsets.GenericViewSet):
    """DRPs the signed-in person may see; transitions are POSTs on a DRP."""

    filterset_class = DisputeResolutionFilter
    serializer_class = DisputeResolutionSerializer
    transitions_may_be_refused = True  # a move the DRP's status does not allow is a 409
    queryset = DisputeResolution.objects.none()  # for the schema; get_queryset() filters by user

    def get_queryset(self):
        return with_list_data(drps_visible_to(self.request.user)).order_by("-raised_on", "-id")

    def _detail(self, drp, status_code=status.HTTP_200_OK):
        drp = drp_for(self.request.user, drp.pk)
        return Response(DisputeResolutionSerializer(drp).data, status=status_code)

    def _input(self, serializer_class, drp, move):
        """The move's input, read only once the move passes ``workflows.transitions.gate``
        (409, 403, 409, then 400 naming the field)."""
        serializer = serializer_class(data=self.request.data)
        read_input(DisputeResolutionFlow(drp), move, self.request.user,
                   lambda: serializer.is_valid(raise_exception=True))
        return serializer.validated_data

    @extend_schema(responses=DisputeResolutionListSerializer(many=True))
    def list(self, request):
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DisputeResolutionListSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        drp = drp_for(request.user, pk)
        record_read(request.user, drp, "api:drp-detail")
        return Response(DisputeResolutionSerializer(drp).data)

    @extend_schema(request=RaiseSerializer, responses={201: DisputeResolutionSerializer})
    def create(self, request):
        # Who may raise is decided before the input is read: a refusal is 403, never a 400.
        if not access.can_raise_drp(request.user):
            raise PermissionDenied("Only IROs, Conference Chairs and IRO Managers can raise a DRP.")
        serializer = RaiseSerializer(data=request.data, children_qs=children_visible_to(request.user))
        serializer.is_valid(raise_exception=True)
        drp = services.drp_raise(actor=request.user, **serializer.validated_data)
        return self._detail(drp, status.HTTP_201_CREATED)

    @extend_schema(request=RespondSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        drp = drp_for(request.user, pk)
        return self._detail(services.drp_respond(drp=drp, actor=request.user, **self._input(RespondSerializer, drp, "respond")))

    @extend_schema(request=EscalateSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        drp = drp_for(request.user, pk)
        return self._detail(services.drp_escalate(drp=drp, actor=request.user, **self._input(EscalateSerializer, drp, "escalate")))

    @extend_schema(request=ResolveSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        drp = drp_for(request.user, pk)
        return self._detail(services.drp_resolve(drp=drp, actor=request.user, **self._input(ResolveSerializer, drp, "resolve")))

    @extend_schema(request=ReasonSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        drp = drp_for(request.user, pk)
        return self._detail(services.drp_withdraw(drp=drp, actor=request.user, **self._input(ReasonSerializer, drp, "withdraw")))

    @extend_schema(request=ReasonSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"], url_path="refer-to-cafcass")
    def refer_to_cafcass(self, request, pk=None):
        drp = drp_for(request.user, pk)
        return self._detail(
            services.drp_refer_to_cafcass(drp=drp, actor=request.user,
                                          **self._input(ReasonSerializer, drp, "refer_to_cafcass"))
        )
