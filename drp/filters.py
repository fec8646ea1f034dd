import django_filters

from children.models import CaseType

from .models import DisputeResolution, Stage, Theme


class DisputeResolutionFilter(django_filters.FilterSet):
    """Filters shared by the DRP list page and ``GET /api/drps/``."""

    status = django_filters.MultipleChoiceFilter(choices=DisputeResolution.Status.choices)
    stage = django_filters.ModelMultipleChoiceFilter(
        field_name="stage__key", to_field_name="key", queryset=Stage.objects.all()
    )
    case_type = django_filters.ChoiceFilter(choices=CaseType.choices)
    theme = django_filters.ModelMultipleChoiceFilter(
        field_name="themes__slug", to_field_name="slug", queryset=Theme.objects.all(), distinct=True
    )
    child = django_filters.NumberFilter(field_name="children", distinct=True)

    class Meta:
        model = DisputeResolution
        fields = ["status", "stage", "case_type", "theme", "child"]
