"""API pagination (``DEFAULT_PAGINATION_CLASS``), in a module of its own: DRF imports it while
its own generic views are still loading, so it must not import anything that needs them."""

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` pages. Both are capped: a client asking for 10^40 rows gets 500 of
    them (and an offset past the end an empty page), not a database error from a LIMIT or
    OFFSET no database can hold."""

    max_limit = 500
    max_offset = 2**62

    def get_offset(self, request):
        return min(super().get_offset(request), self.max_offset)
