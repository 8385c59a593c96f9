"""The difference between two graph documents, as plain data for the chain page.

:func:`documents_diff` is pure: it reads two documents and touches nothing else.
Nodes are matched by id. A node whose kind or params differ is *changed*; a
model node whose model name or version reference differs also appears in
``models_changed``. Edges are ``[source, target]`` pairs; a node whose incoming
edges are the same set in another order (its fan-in column order) is listed in
``fan_in_reordered``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Params of a model node that make up its model reference.
MODEL_KEYS = ("model", "version")


@dataclass(frozen=True)
class ParamChange:
    key: str
    old: Any
    new: Any
    #: "added", "removed" or "changed".
    change: str


@dataclass(frozen=True)
class ModelChange:
    node: str
    old: str
    new: str


@dataclass(frozen=True)
class NodeChange:
    id: str
    old_kind: str
    new_kind: str
    params: list[ParamChange] = field(default_factory=list)

    @property
    def kind_changed(self) -> bool:
        return self.old_kind != self.new_kind


@dataclass(frozen=True)
class ChainDiff:
    nodes_added: list[str]
    nodes_removed: list[str]
    nodes_changed: list[NodeChange]
    edges_added: list[tuple[str, str]]
    edges_removed: list[tuple[str, str]]
    fan_in_reordered: list[str]
    models_changed: list[ModelChange]
    moved: list[str]

    @property
    def is_empty(self) -> bool:
        """True when the two documents mean the same (moves aside)."""
        return not (
            self.nodes_added
            or self.nodes_removed
            or self.nodes_changed
            or self.edges_added
            or self.edges_removed
            or self.fan_in_reordered
            or self.models_changed
        )


def documents_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> ChainDiff:
    """Return what changed from document ``old`` to document ``new``."""
    old_nodes, new_nodes = _nodes(old), _nodes(new)
    old_edges, new_edges = _edges(old), _edges(new)
    common = [n for n in new_nodes if n in old_nodes]
    return ChainDiff(
        nodes_added=[n for n in new_nodes if n not in old_nodes],
        nodes_removed=[n for n in old_nodes if n not in new_nodes],
        nodes_changed=[
            change
            for n in common
            if (change := _node_change(old_nodes[n], new_nodes[n])) is not None
        ],
        edges_added=[e for e in new_edges if e not in set(old_edges)],
        edges_removed=[e for e in old_edges if e not in set(new_edges)],
        fan_in_reordered=_reordered(common, old_edges, new_edges),
        models_changed=[
            moved
            for n in common
            if (moved := _model_change(n, old_nodes[n], new_nodes[n])) is not None
        ],
        moved=_moved(common, old, new),
    )


def _nodes(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(n["id"]): n for n in doc.get("nodes", [])}


def _edges(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in doc.get("edges", [])]


def _node_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> NodeChange | None:
    kinds = (str(old["kind"]), str(new["kind"]))
    skip = MODEL_KEYS if kinds == ("model", "model") else ()
    params = params_diff(old.get("params", {}), new.get("params", {}), skip=skip)
    if kinds[0] == kinds[1] and not params:
        return None
    return NodeChange(str(new["id"]), kinds[0], kinds[1], params)


def params_diff(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    skip: tuple[str, ...] = (),
    prefix: str = "",
) -> list[ParamChange]:
    """Return the changed keys, descending into objects (``columns.price``)."""
    changes: list[ParamChange] = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key in skip:
            continue
        path = f"{prefix}{key}"
        if key not in new:
            changes.append(ParamChange(path, old[key], None, "removed"))
        elif key not in old:
            changes.append(ParamChange(path, None, new[key], "added"))
        elif isinstance(old[key], Mapping) and isinstance(new[key], Mapping):
            changes += params_diff(old[key], new[key], prefix=f"{path}.")
        elif old[key] != new[key] or type(old[key]) is not type(new[key]):
            changes.append(ParamChange(path, old[key], new[key], "changed"))
    return changes


def model_reference(node: Mapping[str, Any]) -> str:
    """``name@3`` or ``name@production`` for a model node."""
    params = node.get("params", {})
    version = params.get("version", "@latest")
    suffix = str(version) if str(version).startswith("@") else f"@{version}"
    return f"{params.get('model')}{suffix}"


def _model_change(
    node_id: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> ModelChange | None:
    if old["kind"] != "model" or new["kind"] != "model":
        return None
    before, after = model_reference(old), model_reference(new)
    return ModelChange(node_id, before, after) if before != after else None


def _reordered(
    common: list[str],
    old_edges: list[tuple[str, str]],
    new_edges: list[tuple[str, str]],
) -> list[str]:
    reordered = []
    for node in common:
        before = [a for a, b in old_edges if b == node]
        after = [a for a, b in new_edges if b == node]
        if before != after and sorted(before) == sorted(after):
            reordered.append(node)
    return reordered


def _moved(
    common: list[str], old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[str]:
    before, after = old.get("layout", {}) or {}, new.get("layout", {}) or {}
    return [n for n in common if n in before and n in after and before[n] != after[n]]
