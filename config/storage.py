"""Where model files, data sets and node outputs live: a local folder or S3.

``CATENA_STORAGE_URL`` unset keeps everything under ``CATENA_MEDIA_ROOT``
(``AtomicFileSystemStorage``). An ``s3://`` URL puts it in a bucket of any
S3-compatible store through django-storages::

    s3://BUCKET[/PREFIX]?endpoint_url=http://host:8333&region_name=us-east-1
    s3://ACCESS_KEY:SECRET_KEY@BUCKET/PREFIX?endpoint_url=...

Without credentials in the URL, boto3 finds them as usual
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an instance role).
An unknown scheme or option fails at start, never at the first upload.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage

LOCAL_BACKEND = "config.storage.AtomicFileSystemStorage"
S3_BACKEND = "storages.backends.s3.S3Storage"
#: An object read for a model or a table spills to a temporary file past this
#: size (django-storages keeps it all in memory otherwise).
S3_MAX_MEMORY_BYTES = 16 * 1024 * 1024
#: Query options of an ``s3://`` URL and how each is read.
_S3_TEXT = {"endpoint_url", "region_name", "addressing_style", "signature_version"}
_S3_INT = {"querystring_expire"}
_S3_FLAG = {"verify", "redirect"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def storages_setting(url: str) -> dict[str, Any]:
    """The ``STORAGES["default"]`` entry for ``CATENA_STORAGE_URL`` (empty: local)."""
    if not url:
        return {"BACKEND": LOCAL_BACKEND}
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ImproperlyConfigured(
            f"CATENA_STORAGE_URL must start with s3:// (or be empty), not {url!r}"
        )
    if not parts.hostname:
        raise ImproperlyConfigured("CATENA_STORAGE_URL names no bucket: s3://BUCKET")
    options: dict[str, Any] = {
        "bucket_name": parts.hostname,
        "location": parts.path.strip("/"),
        "file_overwrite": True,
        "max_memory_size": S3_MAX_MEMORY_BYTES,
        "querystring_auth": True,
    }
    if parts.username:
        options["access_key"] = unquote(parts.username)
        options["secret_key"] = unquote(parts.password or "")
    options.update(_s3_query(parts.query))
    options.pop("redirect", None)
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def storage_redirects(url: str) -> bool:
    """Downloads answer with a pre-signed redirect (``redirect=false`` to stream)."""
    if not url:
        return False
    return bool(_s3_query(urlsplit(url).query).get("redirect", True))


def _s3_query(query: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in _S3_TEXT:
            found[name] = value
        elif name in _S3_INT:
            found[name] = _int(name, value)
        elif name in _S3_FLAG:
            found[name] = _flag(name, value)
        else:
            known = ", ".join(sorted(_S3_TEXT | _S3_INT | _S3_FLAG))
            raise ImproperlyConfigured(
                f"CATENA_STORAGE_URL: unknown option {name!r} (known: {known})"
            )
    return found


def _int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ImproperlyConfigured(f"CATENA_STORAGE_URL: {name} must be > 0")
    return number


def _flag(name: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"CATENA_STORAGE_URL: {name} must be true or false")


class AtomicFileSystemStorage(FileSystemStorage):
    """``FileSystemStorage`` whose files appear under their name only when whole.

    Django writes straight into the final name, so a process killed mid-upload
    leaves a partial model file there. Here the content goes to a hidden
    temporary file in the same folder, is flushed, and is then hard-linked to
    the final name: ``os.link`` is atomic and refuses an existing name, which
    keeps Django's "never overwrite, pick another name" rule.
    """

    def _save(self, name: str, content: File[Any]) -> str:
        full_path = Path(self.path(name))
        full_path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(
            prefix=f".{full_path.name}.", suffix=".tmp", dir=full_path.parent
        )
        try:
            _write_whole(fd, content)
            mode = self.file_permissions_mode
            os.chmod(temp, mode if mode is not None else 0o644)
            return self._link(temp, name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)

    def _link(self, temp: str, name: str) -> str:
        while True:
            try:
                os.link(temp, self.path(name))
            except FileExistsError:
                # Another upload took the name meanwhile: pick another one.
                name = self.get_available_name(name)
                continue
            return name.replace("\\", "/")


def _write_whole(fd: int, content: File[Any]) -> None:
    with os.fdopen(fd, "wb") as handle:
        if hasattr(content, "seek"):
            content.seek(0)
        for chunk in content.chunks():
            handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())
        handle.flush()
        os.fsync(handle.fileno())
