from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.serializers import ModelSerializer
from api.views import ApiContract

from . import services
from .models import Notification
from .selectors import log_enquiry_reads, notifications_for


class NotificationSerializer(ModelSerializer):
    read = serializers.BooleanField(source="is_read", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "link", "created_at", "read", "read_at"]


class NotificationViewSet(ApiContract, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in person's notifications, newest first."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; get_queryset() filters by user

    def get_queryset(self):
        return notifications_for(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        log_enquiry_reads(request.user, page, "api:notification-list")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        log_enquiry_reads(request.user, [notification], "api:notification-read")
        return Response(NotificationSerializer(services.mark_read(notification=notification, user=request.user)).data)
