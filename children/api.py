from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from workflows.audit import record_read

from . import access
from .models import Child
from .selectors import children_visible_to, search
from .serializers import ChildSerializer


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("search", str, description="Reference or name")])
)
class ChildViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Children known to the service; search by case reference or name."""

    serializer_class = ChildSerializer
    queryset = Child.objects.none()  # for the schema; get_queryset() filters by user

    def get_queryset(self):
        qs = children_visible_to(self.request.user)
        if self.action == "list":
            qs = search(qs, self.request.query_params.get("search", ""))
        return qs.order_by("name", "id")

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        record_read(request.user, self.get_object(), "api:child-detail")
        return response

    def create(self, request, *args, **kwargs):
        # Who may add a child is decided before the input is read: a refusal is 403, never a 400.
        if not access.can_add_child(request.user):
            raise PermissionDenied("Only the reviewing team and business support can add children.")
        return super().create(request, *args, **kwargs)
