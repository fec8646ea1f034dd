"""Filter pieces the API's list filters share."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """An id in a query parameter: a whole number (``child=17.9`` is a 400, not child 17),
    typed ``integer`` in the schema."""

    field_class = forms.IntegerField
