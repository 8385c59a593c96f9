"""OpenAPI generation: unique component names for the APIs' nested serializers."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema


class CatenaAutoSchema(AutoSchema):
    """Name ``RunListApi.InputSerializer`` "RunListApiInput", not "Input".

    Every API nests its own ``InputSerializer`` and ``OutputSerializer`` (the
    style guide's rule), so the class name alone would clash across APIs.
    """

    def get_serializer_name(
        self, serializer: Any, direction: Literal["request", "response"]
    ) -> str:
        owner, _, name = type(serializer).__qualname__.rpartition(".")
        if owner:
            return owner.replace(".", "") + name.removesuffix("Serializer")
        return str(super().get_serializer_name(serializer, direction))
