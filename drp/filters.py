import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from api.filters import FilterSet, IntegerFilter
from children.models import CaseType
from children.serializers import MAX_ID
from people import roles
from people.models import Team, User
from workflows.clocks import today

from .models import DisputeResolution, Stage, Theme
from .selectors import overdue_condition


class DisputeResolutionFilter(FilterSet):
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

    q = django_filters.CharFilter(
        method="filter_q", max_length=200,
        help_text="A child's name (any part) or case reference, or the DRP's reference.")
    iro = extend_schema_field(OpenApiTypes.STR)(django_filters.ModelChoiceFilter(
        field_name="iro", to_field_name="username", label="IRO",
        queryset=User.objects.filter(roles__slug__in=roles.CHALLENGERS).distinct(),
        help_text="The username of the IRO (or chair) who holds it now."))
    team = extend_schema_field(OpenApiTypes.STR)(django_filters.ModelChoiceFilter(
        to_field_name="slug", queryset=Team.objects.all(), method="filter_team",
        help_text="A team's slug: the lead team or any child's team when raised."))
    raised_from = django_filters.DateFilter(field_name="raised_on", lookup_expr="gte")
    raised_to = django_filters.DateFilter(field_name="raised_on", lookup_expr="lte")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        help_text="true: any running clock (stage response, IRO review or overall) is past its date.")

    class Meta:
        model = DisputeResolution
        fields = ["status", "stage", "case_type", "theme", "child", "q", "iro", "team",
                  "raised_from", "raised_to", "overdue"]

    def filter_q(self, queryset, name, value):
        term = value.strip()
        if not term:
            return queryset
        children = DisputeResolution.children.through.objects.filter(
            Q(child__name__icontains=term) | Q(child__reference__istartswith=term),
            disputeresolution_id=OuterRef("pk"))
        return queryset.filter(Q(reference__iexact=term) | Exists(children))

    def filter_team(self, queryset, name, value):
        if not value:
            return queryset
        teams = DisputeResolution.teams.through.objects.filter(disputeresolution_id=OuterRef("pk"), team=value)
        return queryset.filter(Q(team=value) | Exists(teams))

    def filter_overdue(self, queryset, name, value):
        """The clocks ``DisputeResolution.clocks`` shows as running, past their date today."""
        if value is None:
            return queryset
        late = overdue_condition(today())
        return queryset.filter(late) if value else queryset.exclude(late)

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
