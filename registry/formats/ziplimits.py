"""Zip archives read within bounds: counted before parsed, capped while read.

``zipfile.ZipFile`` parses the whole central directory when it opens an
archive, so a file of a few megabytes can make it build hundreds of thousands
of entries. The entry count is therefore read first from the
end-of-central-directory record (and its zip64 form), then the declared sizes
are summed before any member is decompressed, and every read is capped by what
actually comes out, since the declared sizes may lie.
"""

from __future__ import annotations

import io
import struct
import zipfile
from typing import IO

EOCD = b"PK\x05\x06"
EOCD64_LOCATOR = b"PK\x06\x07"
EOCD64 = b"PK\x06\x06"
# The record is 22 bytes followed by a comment of at most 65,535 bytes.
EOCD_SEARCH = 22 + 65_535
CHUNK = 1024 * 1024


class ZipLimitError(ValueError):
    """An archive over a bound; ``limit``, ``maximum`` and ``got`` say which."""

    def __init__(self, message: str, *, limit: str, maximum: int, got: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.maximum = maximum
        self.got = got


def zip_entry_count(file: IO[bytes]) -> int:
    """The number of entries the archive declares, read without parsing it."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    start = max(size - EOCD_SEARCH, 0)
    file.seek(start)
    tail = file.read()
    at = tail.rfind(EOCD)
    if at < 0 or len(tail) - at < 22:
        raise zipfile.BadZipFile("File is not a zip file")
    disk_entries, total = struct.unpack("<HH", tail[at + 8 : at + 12])
    count = max(disk_entries, total)
    if count == 0xFFFF and at >= 20 and tail[at - 20 : at - 16] == EOCD64_LOCATOR:
        (offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
        file.seek(offset)
        record = file.read(56)
        if record[:4] == EOCD64 and len(record) == 56:
            count = max(struct.unpack("<QQ", record[24:40]))
    file.seek(0)
    return int(count)


def zip_open(
    file: IO[bytes], *, max_members: int, max_total_bytes: int
) -> zipfile.ZipFile:
    """Open an archive after checking its entry count, names and total size."""
    count = zip_entry_count(file)
    if count > max_members:
        raise ZipLimitError(
            f"The archive holds {count:,} files; the limit is {max_members:,}.",
            limit="members",
            maximum=max_members,
            got=count,
        )
    archive = zipfile.ZipFile(file)
    infos = archive.infolist()
    if len(infos) > max_members:
        raise ZipLimitError(
            f"The archive holds {len(infos):,} files; the limit is {max_members:,}.",
            limit="members",
            maximum=max_members,
            got=len(infos),
        )
    _duplicates_refuse([info.filename for info in infos])
    total = sum(info.file_size for info in infos)
    if total > max_total_bytes:
        raise ZipLimitError(
            f"The archive unpacks to {total:,} bytes; the limit is "
            f"{max_total_bytes:,}.",
            limit="uncompressed_size",
            maximum=max_total_bytes,
            got=total,
        )
    return archive


def _duplicates_refuse(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ZipLimitError(
                f"The archive holds '{name}' more than once.",
                limit="duplicate_member",
                maximum=1,
                got=names.count(name),
            )
        seen.add(name)


def zip_read(archive: zipfile.ZipFile, member: str, maximum: int) -> bytes:
    """One member's bytes, refused past ``maximum`` whatever its header says."""
    info = archive.getinfo(member)
    if info.file_size > maximum:
        raise _too_big(member, info.file_size, maximum)
    buffer = io.BytesIO()
    with archive.open(info) as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            buffer.write(chunk)
            if buffer.tell() > maximum:
                raise _too_big(member, buffer.tell(), maximum)
    return buffer.getvalue()


def _too_big(member: str, size: int, maximum: int) -> ZipLimitError:
    return ZipLimitError(
        f"{member} is larger than the limit of {maximum:,} bytes.",
        limit="member_size",
        maximum=maximum,
        got=size,
    )
