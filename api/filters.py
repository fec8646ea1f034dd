"""Filter pieces the API's list filters share."""

from __future__ import annotations

import functools
from collections import OrderedDict

import django_filters
from django import forms
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """An id in a query parameter: a whole number (``child=17.9`` is a 400, not child 17),
    typed ``integer`` in the schema."""

    field_class = forms.IntegerField


def asked_filters(query_params, filterset_class) -> frozenset[str]:
    """The names of the filterset's filters the request names (itself, or a suffixed part of
    one, as range filters' ``_min``/``_max`` widgets are named)."""
    names = filterset_class.base_filters.keys()
    return frozenset(name for name in names
                     if any(key == name or key.startswith(name + "_") for key in query_params))


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend (``DEFAULT_FILTER_BACKENDS``), but only the filters a request
    names are built, validated and applied: a list asked for no filter is not filtered at all
    (building and validating the filter form for nothing was a third of the Python in a DRP
    list request at 1M DRPs), and one asked for two validates two fields, not eleven.
    django-filter passes every filter not named its empty value, which each filter answers
    with the queryset as it was (a filter's field is never required), so the answer, and a
    400 naming a bad value, are the same."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        asked = asked_filters(request.query_params, filterset_class) if filterset_class else frozenset()
        if not asked:
            return queryset
        if issubclass(filterset_class, FilterSet):
            filterset_class = filterset_class.only(asked)
        filterset = filterset_class(**self.get_filterset_kwargs(request, queryset, view))
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        return filterset.qs


class FilterSet(django_filters.FilterSet):
    """A filterset whose form class is built once, not per request (django-filter builds it
    from the filters' fields every time). For filtersets whose fields do not depend on the
    request: a filter with a callable queryset (``queryset=lambda request: ...``) refuses it."""

    @classmethod
    def _shared_form_class(cls, build):
        if "_form_class" not in cls.__dict__:
            if any(callable(getattr(f, "queryset", None)) for f in cls.base_filters.values()):
                raise TypeError(f"{cls.__name__}: a queryset that depends on the request cannot share a form")
            cls._form_class = build()
        return cls._form_class

    def get_form_class(self):
        return self._shared_form_class(super().get_form_class)

    @classmethod
    def only(cls, names: frozenset[str]) -> type[FilterSet]:
        """This filterset with only the filters ``names`` (the ones a request asks for), its
        methods and Meta unchanged; made once for each set of names and kept, with its form."""
        return _subset(cls, names)


@functools.lru_cache(maxsize=512)
def _subset(filterset_class: type[FilterSet], names: frozenset[str]) -> type[FilterSet]:
    subset = type(filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__})
    subset.base_filters = OrderedDict((name, f) for name, f in filterset_class.base_filters.items() if name in names)
    return subset
