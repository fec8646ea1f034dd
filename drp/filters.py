import django_filters
from django.db.models import Exists, OuterRef
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from api.filters import IntegerFilter
from children.models import CaseType
from children.serializers import MAX_ID

from .models import DisputeResolution, Stage, Theme


class DisputeResolutionFilter(django_filters.FilterSet):
    """Filters shared by the DRP list page and ``GET /api/v1/drps/``.

    None of them joins a to-many table into the list query (which would need DISTINCT over
    every column): status and stage are columns of the DRP, theme and child are EXISTS."""

    status = django_filters.MultipleChoiceFilter(choices=DisputeResolution.Status.choices, distinct=False)
    # Declared as strings for the API schema (drf-spectacular cannot follow stage__key + key).
    stage = extend_schema_field(OpenApiTypes.STR)(django_filters.ModelMultipleChoiceFilter(
        field_name="stage__key", to_field_name="key", queryset=Stage.objects.all(), distinct=False
    ))
    case_type = django_filters.ChoiceFilter(choices=CaseType.choices)
    theme = extend_schema_field(OpenApiTypes.STR)(django_filters.ModelMultipleChoiceFilter(
        to_field_name="slug", queryset=Theme.objects.all(), method="filter_theme"
    ))
    # A child's id; bounded so a number beyond any id is a 400, not a database overflow.
    child = IntegerFilter(method="filter_child", min_value=1, max_value=MAX_ID)

    class Meta:
        model = DisputeResolution
        fields = ["status", "stage", "case_type", "theme", "child"]

    def filter_theme(self, queryset, name, value):
        if not value:
            return queryset
        through = DisputeResolution.themes.through.objects.filter(
            disputeresolution_id=OuterRef("pk"), theme__in=value)
        return queryset.filter(Exists(through))

    def filter_child(self, queryset, name, value):
        through = DisputeResolution.children.through.objects.filter(
            disputeresolution_id=OuterRef("pk"), child_id=value)
        return queryset.filter(Exists(through))
