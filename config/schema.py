"""OpenAPI generation: what every operation really answers.

- Component names are unique although every API nests its own serializers.
- A GET that answers a list answers it paginated (``config.pagination``), so
  the schema shows the ``{"count", "next", "previous", "results"}`` envelope
  and the ``limit``/``offset`` parameters.
- Every operation lists the error statuses it can answer, each with the one
  error body ``{"message", "extra"}`` (``config.exceptions``).
"""

from __future__ import annotations

from typing import Any, Literal

import uritemplate
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from config.pagination import Pagination


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer[Any]):
    """Every 4xx answer of the API."""

    message = serializers.CharField(help_text="what went wrong, for a person")
    extra = serializers.DictField(
        help_text="data for programs: fields, limit, node, edge, ..."
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: malformed JSON, a wrong type, a broken rule.",
    "401": "No valid credentials.",
    "403": "Not allowed: not logged in, not the owner, or not staff.",
    "404": "Something named in the path or the body does not exist.",
    "409": "Conflicts with what is stored (a name taken, a reference gone).",
    "413": "The body or an uploaded file is over its size limit.",
    "415": "The body's Content-Type is not one the operation reads.",
    "429": "Too many requests; retry later.",
}
BODY_METHODS = ("POST", "PUT", "PATCH")


class CatenaAutoSchema(AutoSchema):
    def get_serializer_name(
        self, serializer: Any, direction: Literal["request", "response"]
    ) -> str:
        """Name ``RunListApi.InputSerializer`` "RunListApiInput", not "Input"."""
        owner, _, name = type(serializer).__qualname__.rpartition(".")
        if owner:
            return owner.replace(".", "") + name.removesuffix("Serializer")
        return str(super().get_serializer_name(serializer, direction))

    def _get_paginator(self) -> Any:
        # APIViews paginate by hand; spectacular asks only for list responses.
        if self.method == "GET":
            return Pagination()
        return super()._get_paginator()  # type: ignore[no-untyped-call]

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code not in responses:
                error = OpenApiResponse(ErrorSerializer, ERROR_DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(error, code)  # type: ignore[no-untyped-call]
        return dict(sorted(responses.items()))

    def error_codes(self) -> list[str]:
        """The 4xx statuses this operation can answer."""
        writes = self.method in BODY_METHODS
        has_body = writes and self.get_request_serializer() is not None
        codes = ["400", "401", "403", "429"]
        if writes or uritemplate.variables(self.path):
            codes.append("404")
        if writes:
            codes.append("409")
        if has_body:
            codes += ["413", "415"]
        return codes
