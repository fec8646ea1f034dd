"""The DRP API: thin views over selectors (reads) and services (writes)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.pagination import KeysetPagination
from api.views import ApiContract
from children.selectors import children_visible_to
from people import roles
from workflows.audit import record_read
from workflows.exceptions import TransitionRefused
from workflows.transitions import read_input

from . import access, cover, holding, services
from .filters import DisputeResolutionFilter
from .flows import DisputeResolutionFlow
from .list_rows import list_rows, list_values
from .models import (
    AgencyContact,
    AgreedAction,
    Cover,
    DisputeResolution,
    ImpactCode,
    PartnerAgency,
    Stage,
    Theme,
)
from .selectors import (
    covers_visible_to,
    drp_for,
    drp_to_move,
    drps_visible_to,
    open_drp_warnings,
    with_list_data,
)
from .serializers import (
    AgencyContactSerializer,
    AgreeActionSerializer,
    AgreedActionSerializer,
    CoverEndSerializer,
    CoverOutSerializer,
    CoverSerializer,
    DisputeResolutionListSerializer,
    DisputeResolutionSerializer,
    EscalateSerializer,
    ImpactCodeSerializer,
    PartnerAgencySerializer,
    RaisedSerializer,
    RaiseSerializer,
    ReasonSerializer,
    ReassignSerializer,
    RecordActionSerializer,
    ResolveSerializer,
    RespondSerializer,
    StageSerializer,
    ThemeSerializer,
)


class StageViewSet(ApiContract, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The local DRP ladder, lowest stage first."""

    serializer_class = StageSerializer
    queryset = Stage.objects.prefetch_related("addressed_to")
    pagination_class = None


class ThemeViewSet(ApiContract, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Themes a DRP can be about."""

    serializer_class = ThemeSerializer
    queryset = Theme.objects.filter(active=True)
    pagination_class = None


class ImpactCodeViewSet(ApiContract, mixins.ListModelMixin, viewsets.GenericViewSet):
    """What a resolved DRP can have changed for the child (chosen when resolving)."""

    serializer_class = ImpactCodeSerializer
    queryset = ImpactCode.objects.filter(active=True)
    pagination_class = None


class PartnerAgencyViewSet(ApiContract, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Agencies outside social care a DRP's actions can be addressed to (health, education, police...)."""

    serializer_class = PartnerAgencySerializer
    queryset = PartnerAgency.objects.filter(active=True)
    pagination_class = None


class AgencyContactViewSet(ApiContract, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Named contacts at partner agencies: they own agreed actions and are emailed about them."""

    serializer_class = AgencyContactSerializer
    queryset = AgencyContact.objects.filter(active=True).select_related("agency")
    pagination_class = None

    def get_queryset(self):
        _require_drp_reader(self.request.user)
        return super().get_queryset()


def _require_drp_reader(user):
    if not access.can_read_drps(user):
        raise PermissionDenied("DRPs are for the reviewing team and social-care managers.")


class DisputeResolutionViewSet(ApiContract, viewsets.GenericViewSet):
    """DRPs the signed-in person may see; transitions are POSTs on a DRP."""

    filterset_class = DisputeResolutionFilter
    serializer_class = DisputeResolutionSerializer
    transitions_may_be_refused = True  # a move the DRP's status does not allow is a 409
    queryset = DisputeResolution.objects.none()  # for the schema; get_queryset() filters by user
    # A million DRPs nationally: pages by cursor (index range scans), counts bounded.
    pagination_class = KeysetPagination
    keyset_ordering = ("-raised_on", "-id")
    keyset_rows = staticmethod(list_values)  # the list's rows are read as plain values (drp.list_rows)

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
        # Plain values, not model rows through the serializer: at 1M DRPs that was most of the
        # request (drp.list_rows; its test holds the two equal).
        page = self.paginate_queryset(self.filter_queryset(drps_visible_to(request.user)))
        return self.get_paginated_response(list_rows(page))

    def retrieve(self, request, pk=None):
        drp = drp_for(request.user, pk)
        record_read(request.user, drp, "api:drp-detail")
        return Response(DisputeResolutionSerializer(drp).data)

    @extend_schema(request=RaiseSerializer, responses={201: RaisedSerializer})
    def create(self, request):
        # Who may raise is decided before the input is read: a refusal is 403, never a 400.
        if not access.can_raise_drp(request.user):
            raise PermissionDenied("Only IROs, Conference Chairs and IRO Managers can raise a DRP.")
        serializer = RaiseSerializer(data=request.data, children_qs=children_visible_to(request.user))
        serializer.is_valid(raise_exception=True)
        drp = services.drp_raise(actor=request.user, **serializer.validated_data)
        raised = drp_for(request.user, drp.pk)
        raised.warnings = open_drp_warnings(request.user, serializer.validated_data["children"], excluding=drp)
        return Response(RaisedSerializer(raised).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RespondSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        drp = drp_to_move(request.user, pk)
        return self._detail(services.drp_respond(drp=drp, actor=request.user, **self._input(RespondSerializer, drp, "respond")))

    @extend_schema(request=EscalateSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        drp = drp_to_move(request.user, pk)
        return self._detail(services.drp_escalate(drp=drp, actor=request.user, **self._input(EscalateSerializer, drp, "escalate")))

    @extend_schema(request=ResolveSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        drp = drp_to_move(request.user, pk)
        return self._detail(services.drp_resolve(drp=drp, actor=request.user, **self._input(ResolveSerializer, drp, "resolve")))

    @extend_schema(request=ReasonSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        drp = drp_to_move(request.user, pk)
        return self._detail(services.drp_withdraw(drp=drp, actor=request.user, **self._input(ReasonSerializer, drp, "withdraw")))

    @extend_schema(request=ReasonSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"], url_path="refer-to-cafcass")
    def refer_to_cafcass(self, request, pk=None):
        drp = drp_to_move(request.user, pk)
        return self._detail(
            services.drp_refer_to_cafcass(drp=drp, actor=request.user,
                                          **self._input(ReasonSerializer, drp, "refer_to_cafcass"))
        )

    @extend_schema(request=AgreeActionSerializer, responses={201: AgreedActionSerializer})
    @action(detail=True, methods=["post"], url_path="actions")
    def agree_action(self, request, pk=None):
        """Record an action agreed while the DRP is open: 409 once it is closed, 403 for anyone
        but the IRO, the IRO Manager or the person it is addressed to, then 400 naming the field."""
        drp = drp_to_move(request.user, pk)
        if not drp.is_open:
            raise TransitionRefused(services.closed_refusal(drp))
        if not services.may_agree_actions(drp, request.user):
            raise PermissionDenied("Only the IRO, the IRO Manager or the person the DRP is addressed to "
                                   "can record an agreed action.")
        serializer = AgreeActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agreed = services.drp_agree_action(drp=drp, actor=request.user, **serializer.validated_data)
        return Response(AgreedActionSerializer(agreed).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RecordActionSerializer, responses=AgreedActionSerializer)
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_pk>[0-9]+)/record")
    def record_action(self, request, pk=None, action_pk=None):
        """Mark an agreed action done or not done (409 if already recorded, 403 for anyone but
        the IRO, the IRO Manager or its owner, then 400 naming the field)."""
        drp = drp_to_move(request.user, pk)
        agreed = AgreedAction.objects.filter(drp=drp, pk=action_pk).first()
        if agreed is None:
            raise Http404("No such action on this DRP.")
        if not agreed.is_open:
            raise TransitionRefused(f"This action on {drp.reference} is already recorded as "
                                    f"{agreed.get_status_display().lower()}.")
        if not services.may_record_action(agreed, request.user):
            raise PermissionDenied("Only the IRO, the IRO Manager or the action's owner can record what happened.")
        serializer = RecordActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agreed = services.drp_record_action(action=agreed, actor=request.user, **serializer.validated_data)
        return Response(AgreedActionSerializer(agreed).data)

    @extend_schema(request=ReassignSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        drp = drp_to_move(request.user, pk)
        return self._detail(holding.drp_reassign(drp=drp, actor=request.user,
                                                  **self._input(ReassignSerializer, drp, "reassign")))

    @extend_schema(request=ReasonSerializer, responses=DisputeResolutionSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        drp = drp_to_move(request.user, pk)
        return self._detail(holding.drp_reopen(drp=drp, actor=request.user,
                                                **self._input(ReasonSerializer, drp, "reopen")))


class CoverViewSet(ApiContract, viewsets.GenericViewSet):
    """Cover for an absent responder's DRPs: the covers I am part of, arranging one, ending one early."""

    transitions_may_be_refused = True  # ending a cover that has ended is a 409
    serializer_class = CoverOutSerializer
    pagination_class = None
    queryset = DisputeResolution.objects.none()  # for the schema

    def list(self, request):
        if not request.user.has_role(*roles.SOCIAL_CARE):
            raise PermissionDenied("Cover is for the social-care managers DRPs are addressed to.")
        return Response(CoverOutSerializer(covers_visible_to(request.user), many=True).data)

    @extend_schema(request=CoverSerializer, responses={201: CoverOutSerializer})
    def create(self, request):
        if not request.user.has_role(*roles.SOCIAL_CARE):
            raise PermissionDenied("Cover is for the social-care managers DRPs are addressed to.")
        serializer = CoverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        absent = data.pop("absent", request.user)
        made = cover.cover_set_up(actor=request.user, absent=absent, **data)
        return Response(CoverOutSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CoverEndSerializer, responses=CoverOutSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End a cover before its last day (its arranger or the covered person's line manager):
        409 once it has ended, 403 for anyone else, then 400 naming ``reason``."""
        found = Cover.objects.filter(pk=pk).select_related("absent").first() if str(pk).isdigit() else None
        if found is None:
            raise Http404("No such cover.")
        serializer = CoverEndSerializer(data=request.data)
        read_input(cover.CoverFlow(found), "end_early", request.user,
                   lambda: serializer.is_valid(raise_exception=True))
        ended = cover.cover_end_early(cover=found, actor=request.user, **serializer.validated_data)
        return Response(CoverOutSerializer(ended).data)
