"""API lists bound ?limit= and ?offset= instead of passing them to the database."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config.pagination import MAX_LIMIT, MAX_OFFSET, Pagination


def request(query: str) -> Request:
    return Request(APIRequestFactory().get(f"/api/x/?{query}"))


def test_a_huge_limit_is_capped():
    assert Pagination().get_limit(request("limit=" + "9" * 30)) == MAX_LIMIT


def test_a_huge_offset_is_capped():
    assert Pagination().get_offset(request("offset=" + "9" * 30)) == MAX_OFFSET


def test_ordinary_numbers_pass_through():
    assert Pagination().get_limit(request("limit=7")) == 7
    assert Pagination().get_offset(request("offset=3")) == 3
