import django_filters

from children.models import CaseType
from people.models import Team

from .models import PositivePractice


class PositivePracticeFilter(django_filters.FilterSet):
    case_type = django_filters.ChoiceFilter(choices=CaseType.choices)
    team = django_filters.ModelChoiceFilter(field_name="team__slug", to_field_name="slug",
                                            queryset=Team.objects.all())
    recorded_from = django_filters.DateFilter(field_name="recorded_on", lookup_expr="gte")
    recorded_to = django_filters.DateFilter(field_name="recorded_on", lookup_expr="lte")
    child = django_filters.NumberFilter(field_name="children", distinct=True)

    class Meta:
        model = PositivePractice
        fields = ["case_type", "team", "recorded_from", "recorded_to", "child"]
