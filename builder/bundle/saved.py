"""The saved chains an export carries for its chain steps, and their import.

An export lists, leaves first, every saved chain version its chain steps use
(directly or through others): name, number, hash, document, whether it is live,
and the chain nodes naming it (``references``, as for models). A node inside a
carried chain is named ``<chain>@<number>:<node>``, never a valid node id, so
the names of all documents share one space.

Import creates each carried chain that is not here, or reuses the version
with the same hash, and rewrites references whose meaning would change. Every
version is saved through ``chain_version_save``, which validates it: a bundle
whose chains form a cycle, nest too deep or use a chain it does not carry is
refused with the problem, and the transaction stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from builder.models import Chain, ChainVersion
from builder.resolver import version_of
from catena.chains import MAX_DEPTH
from config.exceptions import CatenaAppError

Prefixed = tuple[str, dict[str, Any]]


def prefix_of(name: str, number: int) -> str:
    """How nodes of a carried chain version are named in a manifest."""
    return f"{name}@{number}:"


def documents(version: ChainVersion) -> Iterator[Prefixed]:
    """The version's document and every carried chain's, with their prefixes."""
    yield "", version.document
    for used, _ in used_chains(version):
        yield prefix_of(used.chain.name, used.number), used.document


def chain_params(node: dict[str, Any]) -> dict[str, Any] | None:
    """The params naming a saved chain: a chain node's, or an optimize node's
    predictor when it is a chain (the same dict, so a fix edits the node)."""
    params = node.get("params")
    if not isinstance(params, dict):
        return None
    if node.get("kind") == "optimize":
        predictor = params.get("predictor")
        named = isinstance(predictor, dict) and "chain" in predictor
        return predictor if named else None
    return params if node.get("kind") == "chain" else None


def used_chains(version: ChainVersion) -> list[tuple[ChainVersion, dict[str, Any]]]:
    """Every saved chain version used, leaves first, with the nodes naming it."""
    found: dict[int, tuple[ChainVersion, dict[str, Any]]] = {}
    _walk("", version.document, found, 0)
    return list(found.values())


def _walk(
    prefix: str,
    document: dict[str, Any],
    found: dict[int, tuple[ChainVersion, dict[str, Any]]],
    depth: int,
) -> None:
    for node in document.get("nodes", []):
        params = chain_params(node)
        if params is None:
            continue
        reference = params.get("version", "@live")
        used = _resolve(params.get("chain", ""), reference, depth)
        if used.id not in found:
            inner = prefix_of(used.chain.name, used.number)
            _walk(inner, used.document, found, depth + 1)
            found.setdefault(used.id, (used, {}))
        found[used.id][1][f"{prefix}{node['id']}"] = reference


def _resolve(name: str, reference: Any, depth: int) -> ChainVersion:
    chain = Chain.objects.filter(name=name).first()
    found = version_of(chain, reference) if chain is not None else None
    if found is None or depth >= MAX_DEPTH:
        why = "cannot be resolved" if found is None else "nests too deep"
        raise CatenaAppError(
            f"Chain '{name}' at {reference} {why}; the version cannot be exported.",
            {"chain": name, "reference": reference},
            status=409,
        )
    return found


def chain_entry(version: ChainVersion, references: dict[str, Any]) -> dict[str, Any]:
    chain = version.chain
    return {
        "name": chain.name,
        "title": chain.title,
        "description": chain.description,
        "number": version.number,
        "hash": version.hash,
        "live": chain.live_version_id == version.id,
        "document": version.document,
        "references": references,
    }


# Import ------------------------------------------------------------------------
def chains_import(
    *,
    entries: list[dict[str, Any]],
    user: Any,
    fix: Any,
    report: Any,
) -> None:
    """Create (or reuse) every carried chain version, in the manifest's order.

    ``fix(document, prefix)`` rewrites a document's model and chain references
    to what was imported here; it sees the chains imported so far.
    """
    from builder.services import chain_create, chain_live_set, chain_version_save

    for entry in entries:
        local = _same_here(entry)
        if local is None:
            chain = chain_create(
                name=entry["name"],
                owner=user,
                title=entry.get("title", ""),
                description=entry.get("description", ""),
            )
            prefix = prefix_of(entry["name"], entry["number"])
            local, _ = chain_version_save(
                chain=chain,
                document=fix(entry["document"], prefix),
                user=user,
                message=f"Imported (v{entry['number']} where it was exported)",
            )
            if entry.get("live"):
                chain_live_set(chain=chain, number=local.number, user=user)
        report.chains.append(_row(entry, local))
        report.local_chains[(entry["name"], entry["number"])] = local


def _same_here(entry: dict[str, Any]) -> ChainVersion | None:
    """The local version with the entry's content, or None when the chain is new.

    A chain of that name here without such a version is a clash: refused.
    """
    chain = Chain.objects.filter(name=entry["name"]).first()
    if chain is None:
        return None
    found = chain.versions.filter(hash=entry["hash"]).order_by("number").first()
    if found is None:
        raise CatenaAppError(
            f"A chain named '{entry['name']}' exists here without the content of "
            f"the bundle's v{entry['number']}; nothing was imported.",
            {"clashes": [{"kind": "chain", "name": entry["name"]}]},
            status=409,
        )
    return found


def _row(entry: dict[str, Any], local: ChainVersion) -> dict[str, Any]:
    return {
        "name": entry["name"],
        "version": entry["number"],
        "local_version": local.number,
    }


def chain_references_fix(
    document: dict[str, Any],
    prefix: str,
    entries: list[dict[str, Any]],
    report: Any,
) -> dict[str, Any]:
    """Return ``document`` with chain references that mean the imported versions."""
    wanted = {
        node_id: (entry["name"], entry["number"])
        for entry in entries
        for node_id in entry["references"]
    }
    fixed: dict[str, Any] = json.loads(json.dumps(document))
    for node in fixed.get("nodes", []):
        key = f"{prefix}{node.get('id')}"
        params = chain_params(node)
        if params is None or key not in wanted:
            continue
        local = report.local_chains.get(wanted[key])
        if local is None:
            continue
        reference = params.get("version", "@live")
        here = Chain.objects.get(pk=local.chain_id)  # its live version as now
        if version_of(here, reference) == local:
            continue
        params["version"] = local.number
        report.rewritten.append({"node": key, "old": reference, "new": local.number})
    return fixed
