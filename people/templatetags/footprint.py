"""Small template helpers for Footprint's shared templates: ``{% load footprint %}``."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def query_with(request, **kwargs):
    """The current query string with the given keys replaced, or removed when given None.

    Returns it with its leading "?" (just "?" when nothing is left, so that an
    ``href`` built from it never keeps the current query), e.g.
    ``<a href="{% query_with request page=2 %}">`` keeps any filters on the page.
    """
    query = request.GET.copy()
    for key, value in kwargs.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return f"?{query.urlencode()}"


@register.simple_tag
def elided_page_range(page, on_each_side=2, on_ends=1):
    """Page numbers around ``page`` for GOV.UK pagination, with Paginator.ELLIPSIS for gaps."""
    return list(
        page.paginator.get_elided_page_range(page.number, on_each_side=on_each_side, on_ends=on_ends)
    )


@register.simple_tag
def authority_name():
    """The local authority's name (FOOTPRINT_AUTHORITY_NAME), for the header and footer; a tag
    rather than a context variable because the error pages render without a request."""
    return settings.FOOTPRINT_AUTHORITY_NAME
