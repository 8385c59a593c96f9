"""Reading an uploaded bundle: a zip checked within bounds, and its manifest."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from rest_framework import serializers

from builder.bundle.writer import EXPORT_FORMAT, MANIFEST
from builder.limits import document_limits_check
from builder.models import NAME_MAX_LENGTH
from catena.graph import canonical_hash
from config.exceptions import CatenaAppError
from config.parsers import unsafe_text
from registry.formats.ziplimits import ZipLimitError, zip_open, zip_read

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_MEMBERS = 2000
#: At most this many saved chains ride along for chain steps.
MAX_SAVED_CHAINS = 50


class ModelEntrySerializer(serializers.Serializer[Any]):
    name = serializers.SlugField(max_length=100)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(min_value=1)
    sha256 = serializers.RegexField(r"^[0-9a-f]{64}$")
    format = serializers.CharField(max_length=20, required=False, allow_blank=True)
    references = serializers.DictField(child=serializers.JSONField(), allow_empty=False)
    file = serializers.CharField(max_length=500, required=False, allow_blank=True)
    sample = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ChainEntrySerializer(serializers.Serializer[Any]):
    name = serializers.SlugField(max_length=NAME_MAX_LENGTH)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)


class SavedChainEntrySerializer(serializers.Serializer[Any]):
    """A saved chain version the bundle carries for its chain steps."""

    name = serializers.SlugField(max_length=NAME_MAX_LENGTH)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    number = serializers.IntegerField(min_value=1)
    hash = serializers.CharField(max_length=64, required=False, allow_blank=True)
    live = serializers.BooleanField(required=False, default=False)
    document = serializers.DictField()
    references = serializers.DictField(child=serializers.JSONField(), allow_empty=False)


class ManifestSerializer(serializers.Serializer[Any]):
    format = serializers.ChoiceField(choices=[EXPORT_FORMAT])
    chain = ChainEntrySerializer()
    version = serializers.DictField(required=False)
    document = serializers.DictField()
    models = ModelEntrySerializer(many=True)
    chains = SavedChainEntrySerializer(many=True, required=False)

    def validate_chains(self, value: list[Any]) -> list[Any]:
        if len(value) > MAX_SAVED_CHAINS:
            raise serializers.ValidationError(
                f"At most {MAX_SAVED_CHAINS} saved chains may ride along."
            )
        return value


def manifest_check(data: Any) -> dict[str, Any]:
    """Return the manifest's checked fields or raise a 400 naming the bad part."""
    if not isinstance(data, dict):
        raise CatenaAppError(
            "The manifest must be a JSON object.", {"part": "manifest"}
        )
    document_limits_check(data.get("document"))
    serializer = ManifestSerializer(data=data)
    if not serializer.is_valid():
        errors = json.loads(json.dumps(serializer.errors))
        first = next(iter(errors.items()))
        raise CatenaAppError(
            f"The manifest is malformed: {first[0]}: {_first_message(first[1])}",
            {"fields": errors, "part": "manifest"},
        )
    checked: dict[str, Any] = serializer.validated_data
    # The document is kept exactly as sent, not as re-serialized by DRF.
    checked["document"] = data["document"]
    for entry, sent in zip(
        checked.get("chains", []), data.get("chains", []), strict=True
    ):
        _saved_chain_check(entry, sent)
    return checked


def _saved_chain_check(entry: dict[str, Any], sent: dict[str, Any]) -> None:
    """Bound a carried chain's document; its hash is computed here, not trusted."""
    document_limits_check(sent["document"])
    entry["document"] = sent["document"]
    try:
        entry["hash"] = canonical_hash(sent["document"])
    except (TypeError, ValueError, AttributeError):
        raise CatenaAppError(
            f"The document of carried chain '{entry['name']}' is malformed.",
            {"part": "chains", "chain": entry["name"]},
        ) from None


def _first_message(value: Any) -> str:
    while isinstance(value, list | dict) and value:
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
    return str(value)


@dataclass
class Bundle:
    """A checked zip: its manifest and a way to read each listed file."""

    manifest: dict[str, Any]
    archive: zipfile.ZipFile | None = None
    members: set[str] = field(default_factory=set)

    def read(self, member: str) -> bytes | None:
        if self.archive is None or member not in self.members:
            return None
        return _read_member(self.archive, member, _max_model_bytes())


def bundle_open(file: IO[bytes]) -> Bundle:
    """Open an uploaded zip within bounds: entry count (read before the zip's
    directory is parsed), duplicate names, total unpacked size, unsafe paths,
    the manifest's size and JSON, and one member per manifest entry."""
    archive = _archive_open(file)
    infos = archive.infolist()
    for info in infos:
        _member_check(info.filename)
    names = {info.filename for info in infos}
    if MANIFEST not in names:
        raise CatenaAppError(
            f"The bundle has no {MANIFEST}.", {"part": "zip", "missing": MANIFEST}
        )
    raw = _read_member(archive, MANIFEST, MAX_MANIFEST_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_constant_refuse)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise CatenaAppError(
            f"{MANIFEST} is not valid JSON: {exc}", {"part": "manifest"}
        ) from None
    unsafe = unsafe_text(data)
    if unsafe:
        raise CatenaAppError(
            f"{MANIFEST}: {unsafe.message}", {"part": "manifest", **unsafe.as_extra()}
        )
    manifest = manifest_check(data)
    _shared_members_refuse(manifest)
    return Bundle(manifest, archive, names)


def _archive_open(file: IO[bytes]) -> zipfile.ZipFile:
    try:
        return zip_open(
            file, max_members=MAX_MEMBERS, max_total_bytes=_max_total_bytes()
        )
    except ZipLimitError as exc:
        raise CatenaAppError(
            f"The bundle is refused: {exc}",
            {"part": "zip", "limit": exc.limit, "max": exc.maximum, "got": exc.got},
            status=413 if exc.limit == "uncompressed_size" else 400,
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CatenaAppError(
            f"The bundle is not a zip file: {exc}", {"part": "zip"}
        ) from None


def _shared_members_refuse(manifest: dict[str, Any]) -> None:
    """Each file of the zip is named by one manifest entry at most: entries
    sharing a member would make one upload cost many inspections."""
    seen: dict[str, str] = {}
    for entry in manifest["models"]:
        label = f"{entry['name']} v{entry['version']}"
        for member in (entry.get("file") or "", entry.get("sample") or ""):
            if not member:
                continue
            if member in seen:
                raise CatenaAppError(
                    f"The manifest names {member} for both {seen[member]} and "
                    f"{label}; each file of a bundle belongs to one model version.",
                    {
                        "part": "manifest",
                        "member": member,
                        "models": [seen[member], label],
                    },
                )
            seen[member] = label


def _constant_refuse(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and the stored document) cannot.
    raise ValueError(f"{name} is not valid JSON")


def _member_check(name: str) -> None:
    path = PurePosixPath(name)
    unsafe = (
        not name
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or ".." in path.parts
        or (len(name) > 1 and name[1] == ":")
    )
    if unsafe:
        raise CatenaAppError(
            f"The bundle holds a path that leaves its folder: {name!r}.",
            {"part": "zip", "member": name},
        )


def _read_member(archive: zipfile.ZipFile, member: str, maximum: int) -> bytes:
    try:
        return zip_read(archive, member, maximum)
    except ZipLimitError as exc:
        raise _member_too_big(member, exc.got, maximum) from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise CatenaAppError(
            f"{member} in the bundle is damaged: {exc}",
            {"part": "zip", "member": member},
        ) from None


def _member_too_big(member: str, size: int, maximum: int) -> CatenaAppError:
    return CatenaAppError(
        f"{member} in the bundle is larger than the limit of {maximum} bytes.",
        {"limit": "member_size", "member": member, "max": maximum, "got": size},
        status=413,
    )


def _max_model_bytes() -> int:
    return int(settings.CATENA_MAX_UPLOAD_MB) * 1024 * 1024


def _max_total_bytes() -> int:
    """A bundle unpacks to at most this: every member at the upload limit."""
    configured = getattr(settings, "CATENA_MAX_UNCOMPRESSED_MB", 512)
    return int(configured) * 1024 * 1024
