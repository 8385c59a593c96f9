"""A JSON parser that refuses big bodies before reading and deep nesting safely."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser

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


class ZipParser(BaseParser):
    """A raw ``application/zip`` body (``curl --data-binary @chain.zip``)."""

    media_type = "application/zip"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        maximum = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) or 2**31
        request = (parser_context or {}).get("request")
        declared = _content_length(request)
        if declared > maximum:
            raise _body_too_big(declared, maximum)
        out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            out.write(chunk)
            if out.tell() > maximum:
                raise _body_too_big(out.tell(), maximum)
        out.seek(0)
        return RawZip(out)


class RawZip:
    """The body of a zip upload, kept apart from form data."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file


def _body_too_big(size: int, maximum: int) -> Exception:
    return limit_error(
        "body",
        f"The request body is {size} bytes; the limit is {maximum}.",
        got=size,
        maximum=maximum,
    )
