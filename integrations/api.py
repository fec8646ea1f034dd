"""The changes feed and webhook subscriptions."""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from api.views import ApiContract
from people import roles
from workflows.audit import record_reads_by_id

from .events import events_visible_to
from .models import Event, WebhookSubscription
from .serializers import (
    DeliverySerializer,
    EventPageSerializer,
    NewSubscriptionSerializer,
    SubscriptionSerializer,
)
from .webhooks import event_body

FEED_LIMIT, FEED_MAX = 100, 500
FEED_PARAMETERS = {"after", "limit", "type"}


def _whole_number(request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or (maximum is not None and not 1 <= int(raw) <= maximum):
        limit = f" from 1 to {maximum}" if maximum else ""
        raise serializers.ValidationError({name: [f"Use a whole number{limit}."]})
    return int(raw)


class EventFeedView(ApiContract, APIView):
    """Events about the cases you may read, oldest first, after a cursor (keyset: stable
    whatever is added meanwhile). Read until ``has_more`` is false, keep ``next``, and ask again
    with ``?after=<next>`` later. DO events appear only for the DO team, and each read of an
    enquiry's events is in the DO access log."""

    @extend_schema(parameters=[
        OpenApiParameter("after", int, description="The last event id you have read (0 or left out: from the start)."),
        OpenApiParameter("limit", int, description=f"At most this many events (1-{FEED_MAX}, default {FEED_LIMIT})."),
        OpenApiParameter("type", str, description="Only events of this type (drp.escalated ...)."),
    ], responses=EventPageSerializer)
    def get(self, request):
        unknown = sorted(set(request.query_params) - FEED_PARAMETERS)
        if unknown:
            raise serializers.ValidationError({name: ["Unknown parameter."] for name in unknown})
        after = _whole_number(request, "after", 0)
        limit = _whole_number(request, "limit", FEED_LIMIT, FEED_MAX)
        events = events_visible_to(request.user).filter(position__gt=after)
        if "type" in request.query_params:
            events = events.filter(type=request.query_params["type"])
        page = list(events.order_by("position")[:limit + 1])
        has_more, page = len(page) > limit, page[:limit]
        do_cases = [event.object_id for event in page if event.area == Event.Area.DO]
        if do_cases:
            record_reads_by_id(request.user, "lado.enquiry", do_cases, "api:events")
        return Response({"results": [event_body(event) for event in page],
                         "next": str(page[-1].position if page else after), "has_more": has_more})


def managed_scopes(user) -> list[str]:
    """IRO Managers manage DRP and positive-practice subscriptions; the DO Manager, DO ones."""
    scopes = []
    if user.has_role(roles.IRO_MANAGER):
        scopes.append(WebhookSubscription.Scope.CASEWORK)
    if user.has_role(roles.DO_MANAGER):
        scopes.append(WebhookSubscription.Scope.DO)
    return scopes


class SubscriptionViewSet(ApiContract, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                          viewsets.GenericViewSet):
    """Webhook subscriptions: IRO Managers manage those for DRPs and positive practice, the DO
    Manager those for DO events. A subscription is sent exactly the events its owner may read."""

    serializer_class = SubscriptionSerializer
    queryset = WebhookSubscription.objects.none()

    def get_queryset(self):
        scopes = managed_scopes(self.request.user)
        if not scopes:
            raise PermissionDenied("Only IRO Managers and the DO Manager manage webhooks.")
        return WebhookSubscription.objects.filter(scope__in=scopes).select_related("owner").order_by("id")

    @extend_schema(request=SubscriptionSerializer, responses={201: NewSubscriptionSerializer})
    def create(self, request):
        scopes = managed_scopes(request.user)
        if not scopes:
            raise PermissionDenied("Only IRO Managers and the DO Manager manage webhooks.")
        serializer = SubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scope = serializer.validated_data.get("scope", WebhookSubscription.Scope.CASEWORK)
        if scope not in scopes:
            raise PermissionDenied("Only the DO Manager makes DO subscriptions, and only IRO Managers "
                                   "subscriptions for DRPs and positive practice.")
        subscription = serializer.save(owner=request.user, secret=secrets.token_urlsafe(32))
        return Response(NewSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        instance.active = False  # its delivery log stays
        instance.save(update_fields=["active"])

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The delivery log: each event sent, its attempts and what the receiver answered."""
        subscription = self.get_object()
        qs = subscription.deliveries.select_related("event").prefetch_related("attempt_log").order_by("-id")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
