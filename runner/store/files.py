"""Artifact files: whole under their final name, or not there; checked before reuse.

On a local folder (``FileSystemStorage``) a file is written to a temporary
name in the same folder, then renamed over the final name (``os.replace`` is
atomic within a file system), so a worker killed mid-write or a full disk never
leaves a partial file under the final name. A node's output is flushed to disk
first only with ``CATENA_ARTIFACT_FSYNC``: one torn by a power cut fails the
check before reuse (size, sha256) and is computed again; an input is always
flushed: a data set before its rename, posted rows just after it (off the
request's path, ``runner.store.flushing``). Other
backends (object stores) go through ``Storage.save``, whose PUT is atomic.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from dataclasses import dataclass
from typing import IO, Literal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage

from runner.store.flushing import flush_soon

CHUNK = 1 << 20
#: Mode of a written file when the storage sets none (Django's default, 0o644
#: under the usual umask; mkstemp would leave 0o600).
FILE_MODE = 0o644
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class ArtifactWriteError(Exception):
    """An output could not be stored; nothing is left under its final name."""

    def __init__(self, message: str, path: str, size: int) -> None:
        super().__init__(message)
        self.message, self.path, self.size = message, path, size


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_write(
    path: str,
    data: bytes,
    *,
    replace: bool = False,
    durable: bool = False,
    durable_soon: bool = False,
) -> None:
    """Store ``data`` under ``path`` whole; ``replace`` a file already there.

    A local file is always replaced (atomically): equal keys hold equal
    tables, and a file already present may be a corrupt one. A ``durable``
    one (an input: a user's data, not computed again) is flushed to disk
    before its rename, as every file is with ``CATENA_ARTIFACT_FSYNC``; a
    ``durable_soon`` one (posted rows) just after, off the caller's path
    (``runner.store.flushing``).
    """
    try:
        if _is_local():
            target = default_storage.path(path)
            flush = durable or settings.CATENA_ARTIFACT_FSYNC
            _local_write(target, data, flush=flush)
            if durable_soon and not flush:
                flush_soon(target)
        else:
            _remote_write(path, data, replace=replace)
    except OSError as exc:
        raise _write_error(exc, path, len(data)) from exc


def file_link(source: str, path: str) -> bool:
    """Give the file under ``source`` a second name ``path`` (a hard link, put
    in place as atomically as a write); False when the storage cannot (an
    object store, another file system, no links): the caller writes instead.

    Files are never changed in place (a rewrite is a rename over the name), so
    the two names keep one content; deleting one leaves the other.
    """
    if not _is_local():
        return False
    target = default_storage.path(path)
    folder, name = os.path.split(target)
    temp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(6).hex()}.link")
    try:
        os.makedirs(folder, exist_ok=True)
        os.link(default_storage.path(source), temp)
        os.replace(temp, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        return False
    return True


def _is_local() -> bool:
    # Not "has a path()": InMemoryStorage has one that points at no file.
    return isinstance(default_storage, FileSystemStorage)


def _local_write(target: str, data: bytes, *, flush: bool) -> None:
    folder, name = os.path.split(target)
    os.makedirs(folder, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if flush:
                handle.flush()
                os.fsync(handle.fileno())
        mode = getattr(default_storage, "file_permissions_mode", None)
        os.chmod(temp, mode if mode is not None else FILE_MODE)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _remote_write(path: str, data: bytes, *, replace: bool) -> None:
    if default_storage.exists(path):
        if not replace:
            return
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(data))
    if saved != path:
        # Another process wrote the same key meanwhile; its table is equal.
        default_storage.delete(saved)


def _write_error(exc: OSError, path: str, size: int) -> ArtifactWriteError:
    if exc.errno in _FULL:
        message = (
            f"no space left on the artifact storage to write {size} bytes "
            f"({path}); free space, then retry the run"
        )
    else:
        message = f"could not write the output file {path}: {exc.strerror or exc}"
    return ArtifactWriteError(message, path, size)


@dataclass(frozen=True)
class FileProblem:
    """Why a stored file cannot be reused: ``missing``, or ``corrupt`` and how."""

    kind: Literal["missing", "corrupt"]
    detail: str


def file_problem(*, path: str, size: int, sha256: str) -> FileProblem | None:
    """Why the file at ``path`` is not the one recorded, or None when it is.

    A row without a recorded sha256 (stored before hashes were kept) is
    checked by size alone.
    """
    try:
        actual = default_storage.size(path)
        if size and actual != size:
            detail = f"the stored file is {actual} bytes, {size} were written"
            return FileProblem("corrupt", detail)
        if not sha256:
            return None
        with default_storage.open(path, "rb") as handle:
            found = _stream_digest(handle)
    except FileNotFoundError:
        return FileProblem("missing", "the stored file is missing")
    if found != sha256:
        detail = "its sha256 differs from the one recorded when it was written"
        return FileProblem("corrupt", detail)
    return None


def _stream_digest(handle: IO[bytes]) -> str:
    sha = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        sha.update(chunk)
    return sha.hexdigest()
