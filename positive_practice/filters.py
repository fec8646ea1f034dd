import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from api.filters import IntegerFilter
from children.models import CaseType
from children.serializers import MAX_ID
from people.models import Team

from .models import PositivePractice


class PositivePracticeFilter(django_filters.FilterSet):
    case_type = django_filters.ChoiceFilter(choices=CaseType.choices)
    # A team's slug (``?team=north-team-1``): the team is looked up by slug and matched as a
    # team, never its name against the slug column. Declared as a string for the API schema.
    team = extend_schema_field(OpenApiTypes.STR)(django_filters.ModelChoiceFilter(
        field_name="team", to_field_name="slug", queryset=Team.objects.all()))
    recorded_from = django_filters.DateFilter(field_name="recorded_on", lookup_expr="gte")
    recorded_to = django_filters.DateFilter(field_name="recorded_on", lookup_expr="lte")
    # A child's id; bounded so a number beyond any id is a 400, not a database overflow.
    child = IntegerFilter(field_name="children", distinct=True, min_value=1, max_value=MAX_ID)

    class Meta:
        model = PositivePractice
        fields = ["case_type", "team", "recorded_from", "recorded_to", "child"]
