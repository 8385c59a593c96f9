"""The API's list pagination: DRF's limit/offset with both numbers bounded.

DRF's ``LimitOffsetPagination`` takes any positive ``?limit=`` and ``?offset=``;
a number beyond the database's integer range (``?limit=10**20``) then fails in
the query with a 500. Here the limit is capped at ``MAX_LIMIT`` and the offset
at ``MAX_OFFSET`` (past the end, the page is simply empty).
"""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1


class Pagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_offset(self, request: Any) -> int:
        return min(super().get_offset(request), MAX_OFFSET)


def page_response(request: Any, view: Any, items: Any, serializer: Any) -> Response:
    """One page of ``items``, serialized, with the pagination fields."""
    paginator = Pagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)
