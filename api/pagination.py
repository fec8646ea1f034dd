"""API pagination (``DEFAULT_PAGINATION_CLASS``), in a module of its own: DRF imports it while
its own generic views are still loading, so it must not import anything that needs them."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


def _whole_number(request, name: str, *, minimum: int) -> int | None:
    """The query parameter ``name`` as a whole number of at least ``minimum``; None when not
    sent; 400 naming it when it is anything else (``limit=ten``, ``offset=-1``, ``limit=2.5``)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) < minimum:
        raise ValidationError({name: [f"Give {name} as a whole number, {minimum} or more."]})
    return int(raw) if len(raw) <= 30 else 10**30  # (int() refuses 4,300+ digits; capped below anyway)


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` pages. A limit that is not a whole number of at least 1, or an
    offset that is not one of at least 0, is a 400 naming it. Both are capped: a client asking
    for 10^40 rows gets 500 of them (and an offset past the end an empty page), not a database
    error from a LIMIT or OFFSET no database can hold."""

    max_limit = 500
    max_offset = 2**62

    def get_limit(self, request):
        limit = _whole_number(request, self.limit_query_param, minimum=1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        offset = _whole_number(request, self.offset_query_param, minimum=0)
        return 0 if offset is None else min(offset, self.max_offset)
