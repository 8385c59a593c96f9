"""Writing an export: the manifest of a chain version, and its zip bundle.

An export is a manifest: the chain, the version's graph document and, for each
model version it resolves to, the name, number, sha256 and the node references
(``{"enc": "@production"}``); and the saved chains its chain steps use (see
``builder.bundle.saved``). A bundle is a zip of ``manifest.json`` plus the
model files (``models/<name>/v<number>.<ext>``), so that another installation
can import the whole chain with one call.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import PurePosixPath
from typing import IO, Any

from builder.bundle.saved import chain_entry, documents, used_chains
from builder.models import ChainVersion
from config.exceptions import CatenaAppError
from registry import selectors as registry_selectors
from registry.models import ModelVersion, RegisteredModel

EXPORT_FORMAT = "catena.export/1"
MANIFEST = "manifest.json"


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
        "chains": [chain_entry(v, refs) for v, refs in used_chains(version)],
    }


def _used_models(version: ChainVersion) -> list[tuple[ModelVersion, dict[str, Any]]]:
    used: dict[int, tuple[ModelVersion, dict[str, Any]]] = {}
    for prefix, document in documents(version):
        for node in document.get("nodes", []):
            params = node.get("params", {})
            if node.get("kind") == "optimize":
                params = params.get("predictor", {})
            elif node.get("kind") != "model":
                continue
            if "model" not in params:  # a saved chain predicts (see used_chains)
                continue
            reference = params.get("version", "@latest")
            model_version = _resolve(params["model"], reference)
            refs = used.setdefault(model_version.pk, (model_version, {}))[1]
            refs[f"{prefix}{node['id']}"] = reference
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
    remote = sorted(str(mv) for mv in versions.values() if not mv.file)
    if remote:
        # An endpoint has no file to carry; its URL may not be reachable there.
        raise CatenaAppError(
            "A bundle carries model files; remote endpoint versions have none: "
            + ", ".join(remote)
            + ". Export the JSON document instead.",
            {"remote": remote},
            status=409,
        )
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
