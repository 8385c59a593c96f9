"""HTTP endpoints of the Open Inference Protocol (V2), beside Catena's own API.

Errors answer the protocol's ``{"error": ...}`` and, as every Catena API, the
``{"message", "extra"}`` shape in the same body. Authentication is Catena's:
``Authorization: Token <key>`` (or a session). These paths follow the V2 spec,
not Catena's OpenAPI schema, so they are left out of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import CatenaAppError
from config.parsers import CatenaJSONParser
from serving import v2
from serving.apis import overloaded
from serving.gate import Overloaded, gate

#: The header the binary tensor extension uses for the JSON part's length.
HEADER_LENGTH = "HTTP_INFERENCE_HEADER_CONTENT_LENGTH"


class V2Parser(CatenaJSONParser):
    """A JSON inference request, optionally followed by binary tensor data."""

    media_type = "*/*"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        request = (parser_context or {}).get("request")
        raw = b"" if stream is None else self.read(stream, request)
        length = _header_length(request, len(raw))
        return {"json": self.decode(raw[:length]), "binary": raw[length:]}

    def read(self, stream: Any, request: Any) -> bytes:
        maximum = self.max_bytes
        declared = int(getattr(request, "META", {}).get("CONTENT_LENGTH") or 0)
        if declared > maximum:
            raise self.too_big(declared, maximum)
        raw: bytes = stream.read(maximum + 1)
        if len(raw) > maximum:
            raise self.too_big(len(raw), maximum)
        return raw


def _header_length(request: Any, size: int) -> int:
    text = getattr(request, "META", {}).get(HEADER_LENGTH)
    if text is None:
        return size
    if not str(text).isdigit() or int(text) > size:
        raise CatenaAppError(
            "Inference-Header-Content-Length must be a length within the body.",
            {"protocol": "v2", "header": "Inference-Header-Content-Length"},
        )
    return int(text)


class V2Api(APIView):
    """Adds the protocol's ``error`` key to every error answer."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        data = response.data
        if isinstance(data, dict) and "message" in data:
            data["error"] = data["message"]
        return response


@extend_schema(exclude=True)
class V2LiveApi(V2Api):
    def get(self, request: Request) -> Response:
        return Response({"live": True})


@extend_schema(exclude=True)
class V2ReadyApi(V2Api):
    def get(self, request: Request) -> Response:
        return Response({"ready": True})


@extend_schema(exclude=True)
class V2ModelApi(V2Api):
    def get(self, request: Request, name: str, number: int | None = None) -> Response:
        return Response(v2.model_metadata(chain_name=name, number=number))


@extend_schema(exclude=True)
class V2ModelReadyApi(V2Api):
    def get(self, request: Request, name: str, number: int | None = None) -> Response:
        plan = v2.model_ready(chain_name=name, number=number)
        return Response({"name": name, "version": str(plan.number), "ready": True})


@extend_schema(exclude=True)
class V2InferApi(V2Api):
    parser_classes = [V2Parser]

    def post(self, request: Request, name: str, number: int | None = None) -> Response:
        parsed = request.data
        try:
            with gate.slot():
                body = v2.infer(
                    chain_name=name,
                    number=number,
                    body=parsed["json"],
                    binary=parsed["binary"],
                )
        except Overloaded as exc:
            response = overloaded(exc)
            response.data["error"] = response.data["message"]
            return response
        return Response(body)
