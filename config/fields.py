"""Serializer fields that refuse a wrong JSON type instead of coercing it.

DRF turns ``"3"`` into 3, ``1`` into ``True`` and ``3`` into ``"3"``, so a client
that sends the wrong type never hears of it, and the OpenAPI schema (which says
``integer``) is not what the server enforces. These fields accept only the JSON
type they document. Form and multipart bodies carry text only, so there the
usual coercion stays.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import serializers


class StrictMixin:
    """Refuse ``data`` of the wrong JSON type, unless the body was a form."""

    json_types: tuple[type, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if not _from_form(self) and not _has_json_type(data, self.json_types):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


def _has_json_type(data: Any, json_types: tuple[type, ...]) -> bool:
    # bool is an int subclass in Python, not a number in JSON.
    if isinstance(data, bool) and bool not in json_types:
        return False
    return isinstance(data, json_types)


def _from_form(field: Any) -> bool:
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class IntegerField(StrictMixin, serializers.IntegerField):
    json_types = (int,)


class BooleanField(StrictMixin, serializers.BooleanField):
    json_types = (bool,)


class CharField(StrictMixin, serializers.CharField):
    json_types = (str,)


class SlugField(StrictMixin, serializers.SlugField):
    json_types = (str,)


class FloatField(StrictMixin, serializers.FloatField):
    json_types = (int, float)
