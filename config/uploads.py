"""Refuse oversize multipart uploads before their body is read.

Django reads a whole multipart body into memory or a temporary file before the
view can look at a file's size. ``LimitedUploadHandler`` stands first in
``FILE_UPLOAD_HANDLERS``: it refuses a request whose ``Content-Length`` is above
``CATENA_MAX_UPLOAD_MB`` (plus ``FORM_SLACK`` for the other form fields) before
a byte of the body is read, and stops reading a file once it passes the limit
(plus ``STREAM_SLACK``).

The slack keeps the precise message of the services (``The file is 1.0 MB; the
upload limit is 1 MB.``) for a file just above the limit, whose size is then
known; anything further is cut off while streaming.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler

MB = 1024 * 1024
FORM_SLACK = MB
STREAM_SLACK = 64 * 1024


class UploadTooBig(RequestDataTooBig):
    """An upload refused for its size; the API answers 413 with ``extra``."""

    def __init__(self, message: str, extra: dict[str, Any]) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


def upload_limit_bytes() -> int:
    return int(settings.CATENA_MAX_UPLOAD_MB * MB)


class LimitedUploadHandler(FileUploadHandler):
    """Counts every file's bytes as they arrive; stores nothing itself."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # noqa: N803 (Django's name)
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        limit = upload_limit_bytes()
        if content_length > limit + FORM_SLACK:
            raise UploadTooBig(
                f"The upload is {content_length / MB:.1f} MB; the upload limit is "
                f"{settings.CATENA_MAX_UPLOAD_MB} MB (CATENA_MAX_UPLOAD_MB).",
                _extra(limit, got=content_length),
            )

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        limit = upload_limit_bytes()
        if self.received > limit + STREAM_SLACK:
            raise UploadTooBig(
                f"The file {self.file_name!r} is larger than the upload limit of "
                f"{settings.CATENA_MAX_UPLOAD_MB} MB (CATENA_MAX_UPLOAD_MB).",
                {"field": self.field_name, **_extra(limit, got=self.received)},
            )
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _extra(limit: int, *, got: int) -> dict[str, Any]:
    return {
        "limit": "upload",
        "limit_mb": settings.CATENA_MAX_UPLOAD_MB,
        "max": limit,
        "got": got,
    }
