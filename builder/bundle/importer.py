"""Importing a checked bundle as a new chain, with the models it carries.

Import reuses a model version with the same sha256 under the same name and
registers the others through the registry's services. References whose meaning
would change here (a pinned number taken by another file, an alias that points
elsewhere) are pinned to the imported version and reported; nothing is
overwritten. It is all or nothing: one transaction, and files stored by a
failed import are deleted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from builder.bundle.reader import Bundle
from builder.bundle.saved import chain_references_fix, chains_import
from builder.models import Chain, ChainVersion
from builder.services import chain_create, chain_version_save
from config.exceptions import CatenaAppError
from registry import selectors as registry_selectors
from registry import services as registry_services
from registry.models import ModelVersion, RegisteredModel


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
    chains: list[dict[str, Any]] = field(default_factory=list)
    local_chains: dict[tuple[str, int], ChainVersion] = field(default_factory=dict)

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
            "chains": self.chains,
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
    entries = manifest.get("chains") or []

    def fix(document: dict[str, Any], prefix: str) -> dict[str, Any]:
        fixed = _references_fix(document, prefix, manifest, local, report, user)
        return chain_references_fix(fixed, prefix, entries, report)

    chains_import(entries=entries, user=user, fix=fix, report=report)
    document = fix(manifest["document"], "")
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


#: Kinds whose nodes name a model version: a model node, an optimize predictor.
MODEL_KINDS = ("model", "optimize")


def _coverage_check(manifest: dict[str, Any]) -> None:
    """Every model node of the document must be listed with its model version."""
    listed = {node for entry in manifest["models"] for node in entry["references"]}
    nodes = manifest["document"].get("nodes")
    unlisted = [
        str(node.get("id"))
        for node in (nodes if isinstance(nodes, list) else [])
        if isinstance(node, dict)
        and node.get("kind") in MODEL_KINDS
        and node.get("id") not in listed
        and not _predicts_with_chain(node)
    ]
    if unlisted:
        raise CatenaAppError(
            "The manifest lists no model version for the model node(s) "
            f"{', '.join(unlisted)}.",
            {"part": "manifest", "nodes": unlisted},
        )


def _predicts_with_chain(node: dict[str, Any]) -> bool:
    """An optimize node whose predictor is a saved chain names no model."""
    params = node.get("params")
    predictor = params.get("predictor") if isinstance(params, dict) else None
    return isinstance(predictor, dict) and "chain" in predictor


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
    document: dict[str, Any],
    prefix: str,
    manifest: dict[str, Any],
    local: dict[tuple[str, int], ModelVersion],
    report: ImportReport,
    user: Any,
) -> dict[str, Any]:
    """Return ``document`` (the version's, or a carried chain's whose nodes are
    named ``prefix<id>``) with references that mean the imported versions here."""
    wanted: dict[str, tuple[ModelVersion, Any]] = {}
    for entry in manifest["models"]:
        version = local[(entry["name"], entry["version"])]
        for node_id, reference in entry["references"].items():
            wanted[node_id] = (version, reference)
    document = json.loads(json.dumps(document))
    for node in document.get("nodes", []):
        key = f"{prefix}{node.get('id')}"
        if key not in wanted or node.get("kind") not in MODEL_KINDS:
            continue
        version, reference = wanted[key]
        if _means_here(version, reference, user):
            continue
        params = node["params"]
        target = params["predictor"] if node["kind"] == "optimize" else params
        target["version"] = version.number
        report.rewritten.append({"node": key, "old": reference, "new": version.number})
        if not isinstance(reference, int):
            report.clashes.append(
                f"Node '{key}': {version.model.name}{reference} means another "
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
