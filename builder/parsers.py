"""A JSON parser that refuses big bodies before reading and deep nesting safely."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from builder.limits import MAX_REQUEST_BYTES, limit_error


class LimitedJSONParser(JSONParser):
    """JSON bodies of at most ``max_bytes``; the size is checked before parsing."""

    max_bytes = MAX_REQUEST_BYTES

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        request = (parser_context or {}).get("request")
        declared = _content_length(request)
        if declared > self.max_bytes:
            raise _too_big(declared, self.max_bytes)
        raw = stream.read(self.max_bytes + 1)
        if len(raw) > self.max_bytes:
            raise _too_big(len(raw), self.max_bytes)
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except RecursionError:
            # The C decoder gives up on very deep nesting with RecursionError.
            raise limit_error(
                "depth",
                "The JSON body is nested too deeply.",
                got=0,
                maximum=0,
            ) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from None


def _content_length(request: Any) -> int:
    if request is None:
        return 0
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0


def _too_big(size: int, maximum: int) -> Exception:
    return limit_error(
        "body",
        f"The request body is {size} bytes; the limit is {maximum} "
        "(a graph document may be at most 1 MiB).",
        got=size,
        maximum=maximum,
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
