"""Export and import of a chain version, with the models it uses.

An export is a manifest: the chain, the version's graph document and, for each
model version it resolves to, the name, number, sha256 and the node references
(``{"enc": "@production"}``). A bundle is a zip of ``manifest.json`` plus the
model files (``models/<name>/v<number>.<ext>``), so that another installation
can import the whole chain with one call.

Import reuses a model version with the same sha256 under the same name and
registers the others through the registry's services. References whose meaning
would change here (a pinned number taken by another file, an alias that points
elsewhere) are pinned to the imported version and reported; nothing is
overwritten. It is all or nothing: one transaction, and files stored by a
failed import are deleted.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from rest_framework import serializers

from builder.limits import document_limits_check
from builder.models import NAME_MAX_LENGTH, Chain, ChainVersion
from builder.services import chain_create, chain_version_save
from config.exceptions import CatenaAppError
from registry import selectors as registry_selectors
from registry import services as registry_services
from registry.models import ModelVersion, RegisteredModel

EXPORT_FORMAT = "catena.export/1"
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_MEMBERS = 2000


# Export ------------------------------------------------------------------------
def chain_export(*, version: ChainVersion) -> dict[str, Any]:
    """Return the manifest of ``version`` (no files)."""
    chain = version.chain
    return {
        "format": EXPORT_FORMAT,
        "chain": {
            "name": chain.name,
            "title": chain.title,
            "description": chain.description,
        },
        "version": {
            "number": version.number,
            "hash": version.hash,
            "message": version.message,
        },
        "document": version.document,
        "models": [_model_entry(mv, refs) for mv, refs in _used_models(version)],
    }


def _used_models(version: ChainVersion) -> list[tuple[ModelVersion, dict[str, Any]]]:
    used: dict[int, tuple[ModelVersion, dict[str, Any]]] = {}
    for node in version.document.get("nodes", []):
        if node.get("kind") != "model":
            continue
        params = node.get("params", {})
        reference = params.get("version", "@latest")
        model_version = _resolve(params["model"], reference)
        used.setdefault(model_version.pk, (model_version, {}))[1][node["id"]] = (
            reference
        )
    return sorted(used.values(), key=lambda item: (item[0].model.name, item[0].number))


def _resolve(name: str, reference: int | str) -> ModelVersion:
    try:
        return registry_selectors.version_by_reference(name=name, reference=reference)
    except (ModelVersion.DoesNotExist, RegisteredModel.DoesNotExist, ValueError):
        raise CatenaAppError(
            f"Model '{name}' at {reference} cannot be resolved any more; "
            "the version cannot be exported.",
            {"model": name, "reference": reference},
            status=409,
        ) from None


def _model_entry(version: ModelVersion, references: dict[str, Any]) -> dict[str, Any]:
    model = version.model
    return {
        "name": model.name,
        "title": model.title,
        "description": model.description,
        "version": version.number,
        "sha256": version.sha256,
        "format": version.format,
        "size": version.size,
        "references": references,
        "file": _member_name(version),
        "sample": _sample_member_name(version) if version.sample else "",
    }


def _member_name(version: ModelVersion) -> str:
    ext = PurePosixPath(version.file.name).suffix or ".bin"
    return f"models/{version.model.name}/v{version.number}{ext}"


def _sample_member_name(version: ModelVersion) -> str:
    return f"models/{version.model.name}/v{version.number}-sample.csv"


def chain_bundle_write(*, version: ChainVersion) -> IO[bytes]:
    """Return a temporary file holding the zip bundle of ``version``, rewound."""
    manifest = chain_export(version=version)
    versions = {(mv.model.name, mv.number): mv for mv, _ in _used_models(version)}
    # Spooled: small bundles stay in memory, big ones go to a temporary file.
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        for entry in manifest["models"]:
            model_version = versions[(entry["name"], entry["version"])]
            _copy_into(archive, model_version.file, entry["file"])
            if entry["sample"]:
                _copy_into(archive, model_version.sample, entry["sample"])
    out.seek(0)
    return out


def _copy_into(archive: zipfile.ZipFile, file: Any, member: str) -> None:
    with file.open("rb") as handle, archive.open(member, "w") as target:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            target.write(chunk)


# Reading a bundle ----------------------------------------------------------------
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


class ManifestSerializer(serializers.Serializer[Any]):
    format = serializers.ChoiceField(choices=[EXPORT_FORMAT])
    chain = ChainEntrySerializer()
    version = serializers.DictField(required=False)
    document = serializers.DictField()
    models = ModelEntrySerializer(many=True)


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
    return checked


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
    """Open an uploaded zip: refuse unsafe paths, oversized members, bad JSON."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CatenaAppError(
            f"The bundle is not a zip file: {exc}", {"part": "zip"}
        ) from None
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise CatenaAppError(
            f"The bundle holds {len(infos)} files; the limit is {MAX_MEMBERS}.",
            {"limit": "members", "max": MAX_MEMBERS, "got": len(infos)},
        )
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
    return Bundle(manifest_check(data), archive, names)


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
    info = archive.getinfo(member)
    if info.file_size > maximum:
        raise _member_too_big(member, info.file_size, maximum)
    buffer = io.BytesIO()
    # The header's size may lie; count what actually comes out.
    with archive.open(info) as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            buffer.write(chunk)
            if buffer.tell() > maximum:
                raise _member_too_big(member, buffer.tell(), maximum)
    return buffer.getvalue()


def _member_too_big(member: str, size: int, maximum: int) -> CatenaAppError:
    return CatenaAppError(
        f"{member} in the bundle is larger than the limit of {maximum} bytes.",
        {"limit": "member_size", "member": member, "max": maximum, "got": size},
        status=413,
    )


def _max_model_bytes() -> int:
    return int(settings.CATENA_MAX_UPLOAD_MB) * 1024 * 1024


# Import --------------------------------------------------------------------------
@dataclass
class ImportReport:
    chain: Chain | None = None
    version: ChainVersion | None = None
    models: list[dict[str, Any]] = field(default_factory=list)
    rewritten: list[dict[str, Any]] = field(default_factory=list)
    clashes: list[str] = field(default_factory=list)
    created_models: set[str] = field(default_factory=set)
    trust: bool = False

    def as_dict(self) -> dict[str, Any]:
        assert self.chain is not None
        assert self.version is not None
        return {
            "chain": self.chain.name,
            "version": self.version.number,
            "hash": self.version.hash,
            "models": self.models,
            "rewritten": self.rewritten,
            "clashes": self.clashes,
        }


def chain_import(
    *, bundle: Bundle, user: Any, name: str = "", trust: bool = False
) -> ImportReport:
    """Import a checked manifest (with files, for a zip) as a new chain.

    ``trust`` (staff only) trusts the imported model versions that need it,
    exactly as listed, as if a staff user had reviewed each one.

    Raises ``CatenaAppError`` (409) when the chain name is taken here, and
    (400) when a model is missing, its file does not match its sha256, or the
    imported graph does not validate; nothing is stored then.
    """
    if trust and not getattr(user, "is_staff", False):
        raise CatenaAppError(
            "Only a staff user may trust model versions on import.", status=403
        )
    stored: list[str] = []
    target = name or bundle.manifest["chain"]["name"]
    try:
        return _import(bundle, user, target, stored, trust=trust)
    except BaseException:
        # The transaction is rolled back; files written meanwhile are not.
        _files_delete(stored)
        raise


def _files_delete(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for stored_name in names:
        default_storage.delete(stored_name)


@transaction.atomic
def _import(
    bundle: Bundle, user: Any, name: str, stored: list[str], *, trust: bool
) -> ImportReport:
    manifest = bundle.manifest
    if Chain.objects.filter(name=name).exists():
        raise CatenaAppError(
            f"A chain named '{name}' already exists here; nothing was imported. "
            "Import it under another name with ?name=<new-name>.",
            {"clashes": [{"kind": "chain", "name": name}]},
            status=409,
        )
    _coverage_check(manifest)
    _files_check(bundle)
    report = ImportReport(trust=trust)
    local = {
        (e["name"], e["version"]): _model_import(e, bundle, user, report, stored)
        for e in sorted(manifest["models"], key=lambda e: (e["name"], e["version"]))
    }
    document = _references_fix(manifest, local, report, user)
    entry = manifest["chain"]
    report.chain = chain_create(
        name=name,
        owner=user,
        title=entry.get("title", ""),
        description=entry.get("description", ""),
    )
    message = (manifest.get("version") or {}).get("message", "")
    try:
        report.version, _ = chain_version_save(
            chain=report.chain,
            document=document,
            user=user,
            message=str(message)[:500] or "Imported",
        )
    except CatenaAppError as exc:
        codes = {p["code"] for p in exc.extra.get("problems", [])}
        if "untrusted_model" in codes:
            exc.message += (
                " A staff user who has reviewed the bundle may import it with "
                "?trust=true."
            )
        raise
    return report


def _coverage_check(manifest: dict[str, Any]) -> None:
    """Every model node of the document must be listed with its model version."""
    listed = {node for entry in manifest["models"] for node in entry["references"]}
    nodes = manifest["document"].get("nodes")
    unlisted = [
        str(node.get("id"))
        for node in (nodes if isinstance(nodes, list) else [])
        if isinstance(node, dict)
        and node.get("kind") == "model"
        and node.get("id") not in listed
    ]
    if unlisted:
        raise CatenaAppError(
            "The manifest lists no model version for the model node(s) "
            f"{', '.join(unlisted)}.",
            {"part": "manifest", "nodes": unlisted},
        )


def _files_check(bundle: Bundle) -> None:
    """Every model file the bundle carries must match its sha256, and every
    model the registry lacks must come with one: a corrupt bundle is refused
    even when the registry already holds the right file."""
    missing: list[str] = []
    for entry in bundle.manifest["models"]:
        data = bundle.read(entry.get("file") or "")
        label = f"{entry['name']} v{entry['version']}"
        if data is None:
            if _local_version(entry) is None:
                missing.append(label)
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            raise CatenaAppError(
                f"The file of model {label} does not match its sha256 "
                f"(manifest {entry['sha256'][:12]}…, file {digest[:12]}…).",
                {"model": entry["name"], "version": entry["version"], "part": "sha256"},
            )
    if missing:
        raise CatenaAppError(
            "These models are not in this registry and the import carries no file "
            f"for them: {', '.join(missing)}. Import the zip bundle (?bundle=zip).",
            {"missing_models": missing},
        )


def _local_version(entry: dict[str, Any]) -> ModelVersion | None:
    return (
        ModelVersion.objects.select_related("model")
        .filter(model__name=entry["name"], sha256=entry["sha256"])
        .order_by("number")
        .first()
    )


def _model_import(
    entry: dict[str, Any],
    bundle: Bundle,
    user: Any,
    report: ImportReport,
    stored: list[str],
) -> ModelVersion:
    found = _local_version(entry)
    label = f"{entry['name']} v{entry['version']}"
    if found is not None:
        report.models.append(_model_row(entry, found, "reused"))
        return found
    model = RegisteredModel.objects.filter(name=entry["name"]).first()
    status = "created" if entry["name"] in report.created_models else "registered"
    if model is None:
        model = registry_services.registered_model_create(
            name=entry["name"],
            owner=user,
            title=entry.get("title", ""),
            description=entry.get("description", ""),
        )
        status = "created"
        report.created_models.add(model.name)
    data = bundle.read(entry["file"])
    assert data is not None  # _files_check made sure
    sample = bundle.read(entry.get("sample") or "")
    version = registry_services.model_version_create(
        model=model,
        file=ContentFile(data, name=PurePosixPath(entry["file"]).name),
        uploaded_by=user,
        notes=f"Imported with chain '{bundle.manifest['chain']['name']}' ({label}).",
        sample=ContentFile(sample, name="sample.csv") if sample else None,
    )
    stored += [version.file.name] + ([version.sample.name] if sample else [])
    if report.trust and not version.trusted:
        version = registry_services.model_version_trust(
            version=version,
            user=user,
            types=list(version.untrusted_types),
            note="Trusted on import of a chain bundle.",
        )
    if status == "registered":
        report.clashes.append(
            f"Model '{model.name}' exists here with other files; the bundle's "
            f"v{entry['version']} was registered as v{version.number}."
        )
    report.models.append(_model_row(entry, version, status))
    return version


def _model_row(
    entry: dict[str, Any], version: ModelVersion, status: str
) -> dict[str, Any]:
    return {
        "name": entry["name"],
        "version": entry["version"],
        "sha256": entry["sha256"],
        "local_version": version.number,
        "status": status,
    }


def _references_fix(
    manifest: dict[str, Any],
    local: dict[tuple[str, int], ModelVersion],
    report: ImportReport,
    user: Any,
) -> dict[str, Any]:
    """Return the document with references that mean the imported versions here."""
    wanted: dict[str, tuple[ModelVersion, Any]] = {}
    for entry in manifest["models"]:
        version = local[(entry["name"], entry["version"])]
        for node_id, reference in entry["references"].items():
            wanted[node_id] = (version, reference)
    document: dict[str, Any] = json.loads(json.dumps(manifest["document"]))
    for node in document.get("nodes", []):
        if node.get("id") not in wanted or node.get("kind") != "model":
            continue
        version, reference = wanted[node["id"]]
        if _means_here(version, reference, user):
            continue
        node["params"]["version"] = version.number
        report.rewritten.append(
            {"node": node["id"], "old": reference, "new": version.number}
        )
        if not isinstance(reference, int):
            report.clashes.append(
                f"Node '{node['id']}': {version.model.name}{reference} means another "
                f"version here; pinned to v{version.number}."
            )
    return document


def _means_here(version: ModelVersion, reference: Any, user: Any) -> bool:
    """True when ``reference`` resolves to ``version`` in this registry."""
    if isinstance(reference, str) and reference.startswith("@"):
        _alias_ensure(version, reference, user)
    try:
        found = registry_selectors.version_by_reference(
            name=version.model.name, reference=reference
        )
    except (ModelVersion.DoesNotExist, RegisteredModel.DoesNotExist, ValueError):
        return False
    return found.pk == version.pk


def _alias_ensure(version: ModelVersion, reference: str, user: Any) -> None:
    """Create a missing alias the user may create; an existing one never moves."""
    alias, model = reference[1:], version.model
    if alias == "latest" or model.aliases.filter(name=alias).exists():
        return
    if registry_services.can_change(model=model, user=user):
        registry_services.alias_set(
            model=model, alias=alias, number=version.number, user=user
        )
