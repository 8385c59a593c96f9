"""The API's JSON parser: bounded before reading, and no text a database refuses.

Python's ``json`` decodes ``"\\ud800"`` (a lone UTF-16 surrogate) and
``"\\u0000"`` (NUL) into ``str`` without complaint, but neither can be stored:
a lone surrogate cannot be encoded as UTF-8 (SQLite, Parquet and every page
that shows it fail), and PostgreSQL refuses NUL in ``text`` and ``jsonb``.
``CatenaJSONParser`` refuses both, in keys and in strings, with a 400 before any
view sees the body; ``unsafe_text`` is the same check for JSON that arrives
another way (a multipart field, a file inside an upload).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

MB = 1024 * 1024
#: NUL and every UTF-16 surrogate; ``json`` joins a valid pair into one
#: character, so a surrogate left in a decoded ``str`` is always a lone one.
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class UnsafeText:
    """Where a decoded JSON value holds NUL or a lone surrogate, and which."""

    path: str
    character: str

    @property
    def message(self) -> str:
        where = f" at {self.path}" if self.path else ""
        if self.character == "\x00":
            return f"The JSON holds a NUL character (\\u0000){where}; it is refused."
        return (
            f"The JSON holds a lone surrogate ({self.code}){where}; "
            "text must be valid Unicode."
        )

    @property
    def code(self) -> str:
        return f"U+{ord(self.character):04X}"

    def as_extra(self) -> dict[str, str]:
        return {"limit": "text", "path": self.path, "character": self.code}


def unsafe_text(value: Any) -> UnsafeText | None:
    """The first key or string holding NUL or a lone surrogate, or None.

    Walks the decoded JSON value without recursion, so any depth ``json`` could
    decode is safe to walk.
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            found = _UNSAFE.search(item)
            if found:
                return UnsafeText(path, found.group())
        elif isinstance(item, dict):
            for key, child in item.items():
                # A key is checked as a string standing at its object's path.
                stack.append((key, path))
                stack.append((child, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))
    return None


def json_loads(raw: bytes | str) -> Any:
    """Decode strict JSON: no NaN/Infinity, no NUL, no lone surrogates.

    Raises ``ValueError`` (``UnicodeDecodeError`` for bytes that are not UTF-8)
    with a message for the user, or ``RecursionError`` on absurd nesting.
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    value = json.loads(text, parse_constant=_constant_refuse)
    problem = unsafe_text(value)
    if problem:
        raise ValueError(problem.message)
    return value


def _constant_refuse(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_max_bytes() -> int:
    """The largest JSON body the API reads (``CATENA_MAX_JSON_MB``)."""
    return int(settings.CATENA_MAX_JSON_MB * MB)


class CatenaJSONParser(BaseParser):
    """JSON bodies of at most ``max_bytes``, read no further, then checked.

    Not a ``JSONParser`` subclass on purpose: DRF reads the whole of
    ``request.body`` (up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``) before calling a
    ``JSONParser``, so its cap would come too late.
    """

    media_type = "application/json"

    @property
    def max_bytes(self) -> int:
        return json_max_bytes()

    def too_big(self, size: int, maximum: int) -> Exception:
        return _app_error(
            f"The JSON body is {size} bytes; the limit is {maximum} "
            f"({settings.CATENA_MAX_JSON_MB:g} MB, CATENA_MAX_JSON_MB).",
            {"limit": "body", "max": maximum, "got": size},
            status=413,
        )

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        maximum = self.max_bytes
        declared = _content_length((parser_context or {}).get("request"))
        if declared > maximum:
            raise self.too_big(declared, maximum)
        raw = stream.read(maximum + 1)
        if len(raw) > maximum:
            raise self.too_big(len(raw), maximum)
        return self.decode(raw)

    def decode(self, raw: bytes) -> Any:
        try:
            value = json.loads(raw.decode("utf-8"), parse_constant=_constant_refuse)
        except RecursionError:
            # The C decoder gives up on very deep nesting with RecursionError.
            raise _app_error(
                "The JSON body is nested too deeply.",
                {"limit": "depth", "max": 0, "got": 0},
            ) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from None
        problem = unsafe_text(value)
        if problem:
            raise _app_error(problem.message, problem.as_extra())
        return value


def _app_error(message: str, extra: dict[str, Any], status: int = 400) -> Exception:
    # Imported here: DRF reads DEFAULT_PARSER_CLASSES while config.exceptions is
    # itself importing rest_framework.views.
    from config.exceptions import CatenaAppError

    return CatenaAppError(message, extra, status=status)


def _content_length(request: Any) -> int:
    if request is None:
        return 0
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0
