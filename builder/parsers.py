"""Parsers of the builder: size-limited graph documents and raw zip bundles."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.parsers import BaseParser

from builder.limits import MAX_REQUEST_BYTES, limit_error
from config.parsers import CatenaJSONParser, json_max_bytes


class LimitedJSONParser(CatenaJSONParser):
    """Graph-document bodies of at most ``MAX_REQUEST_BYTES``, checked first.

    Decoding (no NaN, no NUL, no lone surrogates) is ``CatenaJSONParser``'s.
    """

    @property
    def max_bytes(self) -> int:
        return min(MAX_REQUEST_BYTES, json_max_bytes())

    def too_big(self, size: int, maximum: int) -> Exception:
        return _too_big(size, maximum)


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
