"""The Designated Officer API: thin views over selectors (reads) and services (writes).

Default deny: every endpoint needs a DO role (403 for everyone else, superusers included),
and every response carrying an enquiry is logged as a read of it."""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import ProblemSerializer
from api.views import ApiContract
from children.selectors import children_visible_to
from workflows.audit import record_read, record_reads, record_reads_by_id
from workflows.concurrency import expect_state
from workflows.transitions import read_input

from . import services
from .access import is_do_manager, is_do_team
from .alerts import read_enquiry
from .flows import EnquiryFlow
from .models import (
    Category,
    DelayReason,
    EmploymentBasis,
    Enquiry,
    ReferralSource,
    SchoolPhase,
    Sector,
    SettingType,
)
from .selectors import (
    ENQUIRY_KIND,
    access_log_for,
    action_for,
    enquiries_visible_to,
    enquiry_for,
    reads_by,
    references_for,
    retention_due,
    subject_history,
    with_list_data,
)
from .serializers import (
    AccessLogEntrySerializer,
    ActionInputSerializer,
    ActionUpdateSerializer,
    ConcludeSerializer,
    ConcludeWithoutMeetingSerializer,
    DecideSerializer,
    DelaySerializer,
    DestructionLogSerializer,
    DoReasonSerializer,
    EnquiryInputSerializer,
    EnquiryListSerializer,
    EnquirySerializer,
    LegalHoldSerializer,
    MeetingInputSerializer,
    RetentionItemSerializer,
    RetentionSerializer,
    UserReadSerializer,
    VocabulariesSerializer,
    VocabularyItemSerializer,
)


class IsDOTeam(permissions.BasePermission):
    message = "Designated Officer records are only for the DO team."

    def has_permission(self, request, view):
        return is_do_team(request.user)


class IsDOManager(permissions.BasePermission):
    message = "Only the DO Manager can do this."

    def has_permission(self, request, view):
        return is_do_manager(request.user)


DO_TEAM = [permissions.IsAuthenticated, IsDOTeam]
DO_MANAGER = [permissions.IsAuthenticated, IsDOManager]


class EnquiryListFilters(serializers.Serializer):
    """The DO enquiry list's filters, checked like a DRP's: a bad value is a 400, not an empty list."""

    status = serializers.ChoiceField(choices=Enquiry.Status.choices, required=False)
    open = serializers.BooleanField(required=False, allow_null=True, default=None)


class EnquiryViewSet(ApiContract, viewsets.GenericViewSet):
    """Designated Officer enquiries; moves are POSTs on an enquiry."""

    permission_classes = DO_TEAM
    throttle_scope = "designated-officer"  # REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    serializer_class = EnquirySerializer
    transitions_may_be_refused = True  # a move the enquiry's status does not allow is a 409

    def get_queryset(self):
        return with_list_data(enquiries_visible_to(self.request.user)).order_by("-received_at", "-id")

    def _enquiry(self, pk):
        return enquiry_for(self.request.user, pk)

    def _detail(self, enquiry, view: str, status_code=status.HTTP_200_OK, refetch=True):
        if refetch:  # after a change, read the enquiry again with everything the detail shows
            enquiry = enquiry_for(self.request.user, enquiry.pk)
        history = subject_history(enquiry)
        read_enquiry(self.request.user, enquiry, view, shown=history[0] + history[1])
        return Response(EnquirySerializer(enquiry, context={"subject_history": history}).data, status=status_code)

    def _input(self, serializer_class, enquiry=None, move: str = "", **kwargs):
        """The move's input, read only once the move passes ``workflows.transitions.gate``
        (409, 403, 409, then 400 naming the field). Logging a new enquiry is no move on an enquiry:
        its input is read at once (the DO team's permission class has already passed)."""
        serializer = serializer_class(data=self.request.data, **kwargs)
        validate = lambda: serializer.is_valid(raise_exception=True)  # noqa: E731
        if enquiry is None:
            validate()
        else:
            read_input(EnquiryFlow(enquiry), move, self.request.user, validate)
        data = dict(serializer.validated_data)
        expected = data.pop("from_status", None)
        if expected and enquiry is not None:
            expect_state(enquiry, expected)  # checked under the enquiry's lock (lado.services.base.lock_enquiry)
        return data

    @extend_schema(
        responses=EnquiryListSerializer(many=True),
        parameters=[OpenApiParameter("status", str, enum=Enquiry.Status.values, description="Only enquiries in this status"),
                    OpenApiParameter("open", bool, description="true: only open enquiries; false: only closed")],
    )
    def list(self, request):
        qs = self.get_queryset()
        filters = EnquiryListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)  # a status no enquiry has, or open=maybe: 400 naming it
        if filters.validated_data.get("status"):
            qs = qs.filter(status=filters.validated_data["status"])
        is_open = filters.validated_data.get("open")
        if is_open is True:
            qs = qs.filter(status__in=qs.model.OPEN_STATUSES)
        elif is_open is False:
            qs = qs.filter(status__in=qs.model.CLOSED_STATUSES)
        page = self.paginate_queryset(qs)
        record_reads(request.user, page, "api:lado-enquiry-list")  # every enquiry returned, one insert
        return self.get_paginated_response(EnquiryListSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self._detail(self._enquiry(pk), "api:lado-enquiry-detail", refetch=False)

    @extend_schema(request=EnquiryInputSerializer, responses={201: EnquirySerializer})
    def create(self, request):
        data = self._input(EnquiryInputSerializer, children_qs=children_visible_to(request.user))
        enquiry = services.enquiry_log(actor=request.user, **data)
        return self._detail(enquiry, "api:lado-enquiry-create", status.HTTP_201_CREATED)

    @extend_schema(request=EnquiryInputSerializer, responses=EnquirySerializer)
    def partial_update(self, request, pk=None):
        enquiry = self._enquiry(pk)
        data = self._input(EnquiryInputSerializer, enquiry, "update_details",
                           children_qs=children_visible_to(request.user), partial=True)
        enquiry = services.enquiry_update(enquiry=enquiry, actor=request.user, **data)
        return self._detail(enquiry, "api:lado-enquiry-update")

    @extend_schema(request=DecideSerializer, responses=EnquirySerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        enquiry = self._enquiry(pk)
        enquiry = services.enquiry_decide(enquiry=enquiry, actor=request.user,
                                          **self._input(DecideSerializer, enquiry, "meet_threshold"))
        return self._detail(enquiry, "api:lado-enquiry-decide")

    @extend_schema(request=MeetingInputSerializer, responses={201: EnquirySerializer})
    @action(detail=True, methods=["post"])
    def meetings(self, request, pk=None):
        enquiry = self._enquiry(pk)
        meeting = services.enquiry_record_meeting(enquiry=enquiry, actor=request.user,
                                                  **self._input(MeetingInputSerializer, enquiry, "hold_meeting"))
        return self._detail(meeting.enquiry, "api:lado-enquiry-meetings", status.HTTP_201_CREATED)

    @extend_schema(request=ActionInputSerializer, responses={201: EnquirySerializer})
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None):
        enquiry = self._enquiry(pk)
        recorded = services.enquiry_add_action(enquiry=enquiry, actor=request.user,
                                               **self._input(ActionInputSerializer, enquiry, "add_action"))
        return self._detail(recorded.enquiry, "api:lado-enquiry-actions", status.HTTP_201_CREATED)

    @extend_schema(request=ActionUpdateSerializer, responses=EnquirySerializer,  # the enquiry, as every move
                   parameters=[OpenApiParameter("action_id", OpenApiTypes.INT, OpenApiParameter.PATH)])
    @action(detail=True, methods=["patch"], url_path=r"actions/(?P<action_id>[0-9]+)")
    def update_action(self, request, pk=None, action_id=None):
        enquiry = self._enquiry(pk)
        action = action_for(enquiry, action_id)
        updated = services.enquiry_update_action(action=action, actor=request.user,
                                                 **self._input(ActionUpdateSerializer, enquiry, "update_action"))
        return self._detail(updated.enquiry, "api:lado-enquiry-update-action")

    @extend_schema(request=ConcludeSerializer, responses=EnquirySerializer)
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        enquiry = self._enquiry(pk)
        enquiry = services.enquiry_conclude(enquiry=enquiry, actor=request.user,
                                            **self._input(ConcludeSerializer, enquiry, "conclude"))
        return self._detail(enquiry, "api:lado-enquiry-conclude")

    @extend_schema(request=ConcludeWithoutMeetingSerializer, responses=EnquirySerializer,
                   description="Conclude a clearly unfounded or malicious allegation without an allegation "
                               "management meeting, with the reason. 409 once a meeting has been held (conclude "
                               "instead); 400 on outcome for any other outcome, on reason when it is blank.")
    @action(detail=True, methods=["post"], url_path="conclude-without-meeting")
    def conclude_without_meeting(self, request, pk=None):
        enquiry = self._enquiry(pk)
        enquiry = services.enquiry_conclude_without_meeting(
            enquiry=enquiry, actor=request.user,
            **self._input(ConcludeWithoutMeetingSerializer, enquiry, "conclude_without_meeting"))
        return self._detail(enquiry, "api:lado-enquiry-conclude-without-meeting")

    @extend_schema(request=DelaySerializer, responses=EnquirySerializer,
                   description="Why an open case is past its first target: a reason for delay (vocabulary) with "
                               "words. 409 while the case is within its first target.")
    @action(detail=True, methods=["post"])
    def delay(self, request, pk=None):
        enquiry = self._enquiry(pk)
        enquiry = services.enquiry_record_delay(enquiry=enquiry, actor=request.user,
                                                **self._input(DelaySerializer, enquiry, "record_delay"))
        return self._detail(enquiry, "api:lado-enquiry-delay")

    @extend_schema(request=DoReasonSerializer, responses=EnquirySerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        enquiry = self._enquiry(pk)
        enquiry = services.enquiry_cancel(enquiry=enquiry, actor=request.user,
                                          **self._input(DoReasonSerializer, enquiry, "cancel"))
        return self._detail(enquiry, "api:lado-enquiry-cancel")

    @extend_schema(request=LegalHoldSerializer, responses=EnquirySerializer)
    @action(detail=True, methods=["post"], url_path="legal-hold")
    def legal_hold(self, request, pk=None):
        data = self._input(LegalHoldSerializer)
        call = services.enquiry_set_legal_hold if data["hold"] else services.enquiry_release_legal_hold
        enquiry = call(enquiry=self._enquiry(pk), actor=request.user, reason=data["reason"])
        return self._detail(enquiry, "api:lado-enquiry-legal-hold")

    @extend_schema(request=RetentionSerializer, responses=EnquirySerializer)
    @action(detail=True, methods=["post"], permission_classes=DO_MANAGER)
    def retention(self, request, pk=None):
        enquiry = self._enquiry(pk)
        enquiry = services.enquiry_extend_retention(enquiry=enquiry, actor=request.user,
                                                    **self._input(RetentionSerializer, enquiry, "extend_retention"))
        return self._detail(enquiry, "api:lado-enquiry-retention")

    @extend_schema(request=DoReasonSerializer, responses=DestructionLogSerializer)
    @action(detail=True, methods=["post"], url_path="destroy", url_name="destroy", permission_classes=DO_MANAGER)
    def destroy_enquiry(self, request, pk=None):
        enquiry = self._enquiry(pk)
        entry = services.enquiry_destroy(enquiry=enquiry, actor=request.user,
                                         **self._input(DoReasonSerializer, enquiry, "destroy"))
        return Response(DestructionLogSerializer(entry).data)

    @extend_schema(responses=AccessLogEntrySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="access-log", permission_classes=DO_MANAGER,
            pagination_class=None)
    def access_log(self, request, pk=None):
        enquiry = self._enquiry(pk)
        record_read(request.user, enquiry, "api:lado-enquiry-access-log")
        return Response(AccessLogEntrySerializer(access_log_for(enquiry), many=True).data)


class ReadsByUserView(ApiContract, APIView):
    """Every read of a DO enquiry by one person (``?user=<username>``), newest first: DO Manager only."""

    permission_classes = DO_MANAGER
    throttle_scope = "designated-officer"

    @extend_schema(parameters=[OpenApiParameter("user", str, required=True)],
                   responses={200: UserReadSerializer(many=True), 404: ProblemSerializer})
    def get(self, request):
        username = request.query_params.get("user", "")
        reader = get_user_model().objects.filter(username=username).first()
        if reader is None:
            raise NotFound("No such user.")
        reads = list(reads_by(reader)[:1000])
        context = {"references": references_for(r.case_id for r in reads)}
        record_reads_by_id(request.user, ENQUIRY_KIND,
                           [pk for pk, (_, exists) in context["references"].items() if exists], "api:lado-access-log")
        return Response(UserReadSerializer(reads, many=True, context=context).data)


class RetentionReviewView(ApiContract, APIView):
    """Closed enquiries due for retention review (no personal data beyond the reference): DO Manager only."""

    permission_classes = DO_MANAGER
    throttle_scope = "designated-officer"

    @extend_schema(responses=RetentionItemSerializer(many=True))
    def get(self, request):
        due = list(retention_due())
        record_reads(request.user, due, "api:lado-retention-review")
        return Response(RetentionItemSerializer(due, many=True).data)


class VocabulariesView(ApiContract, APIView):
    """The vocabularies an enquiry uses, by slug."""

    permission_classes = DO_TEAM
    throttle_scope = "designated-officer"

    @extend_schema(responses=VocabulariesSerializer)
    def get(self, request):
        lists = {"referral_sources": ReferralSource, "sectors": Sector, "settings": SettingType,
                 "employment_bases": EmploymentBasis, "categories": Category, "school_phases": SchoolPhase,
                 "delay_reasons": DelayReason}
        return Response({
            key: VocabularyItemSerializer(model.objects.filter(active=True), many=True).data
            for key, model in lists.items()
        })
