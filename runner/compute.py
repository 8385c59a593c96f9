"""What a node computes: its stored output reused, or its step run on its parents.

Kept apart from the claiming and handing on in ``runner.execute``; nothing here
changes a node's status.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from catena.errors import StepError
from catena.executor import run_node
from catena.graph import Graph, load
from catena.resolving import ResolvedModel, Resolver
from runner import sql
from runner.models import Artifact, NodeResult
from runner.services.artifacts import (
    ABSENT,
    artifact_file_exists,
    artifact_load,
    artifact_write,
)


def resolver() -> Resolver:
    """The registry's resolver (imported late: registry loads models lazily)."""
    from registry.resolver import RegistryResolver

    return RegistryResolver()


@functools.lru_cache(maxsize=128)
def chain_graph(chain_version_id: int) -> Graph:
    """The loaded graph of a chain version (versions never change once saved)."""
    from builder.models import ChainVersion

    document = ChainVersion.objects.values_list("document", flat=True).get(
        id=chain_version_id
    )
    return load(document)


@dataclass
class Outcome:
    """A node's output: a stored artifact (reused), or a file just written.

    ``known`` is the artifact row found under the key before computing (or
    ``ABSENT``), so recording the output need not look again.
    """

    artifact: Artifact | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    parent_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    known: Any = None

    @property
    def reused(self) -> bool:
        return self.artifact is not None


def node_outcome(
    node_result: NodeResult, parents: dict[str, tuple[int, str, str]] | None = None
) -> Outcome:
    """The node's stored output, or its output computed now and written to a file.

    ``parents`` (node id -> artifact id, key, path) saves reading the parents'
    rows when the caller has them.
    """
    run = node_result.run
    known = None
    if run.reuse:
        found = sql.artifact_found(node_result.cache_key)
        if found is None:
            known = ABSENT
        else:
            stored = Artifact.objects.get(id=found[0])
            if artifact_file_exists(stored):
                return Outcome(artifact=stored)
            known = stored
    graph = chain_graph(run.chain_version_id)
    frames = _parent_frames(node_result, graph, parents)
    inputs = artifact_load(artifact=run.input) if node_result.kind == "input" else None
    resolved = _resolved(node_result)
    start = time.perf_counter()
    tables = {node: frame for node, (_, frame) in frames.items()}
    output = run_node(graph, node_result.node_id, tables, resolved, inputs)
    seconds = time.perf_counter() - start
    return Outcome(
        fields=artifact_write(key=node_result.cache_key, df=output),
        parent_ids=[artifact_id for artifact_id, _ in frames.values()],
        seconds=seconds,
        known=known,
    )


def _parent_frames(
    node_result: NodeResult,
    graph: Graph,
    parents: dict[str, tuple[int, str, str]] | None,
) -> dict[str, tuple[int, pd.DataFrame]]:
    ids = graph.parents[node_result.node_id]
    if parents is None or not set(ids) <= set(parents):
        parents = sql.parent_artifacts(node_result.run_id, ids)
    frames: dict[str, tuple[int, pd.DataFrame]] = {}
    for node in ids:
        if node not in parents:
            raise StepError(node_result.node_id, _gone(node))
        artifact_id, key, path = parents[node]
        try:
            table = artifact_load(artifact=Artifact(id=artifact_id, key=key, path=path))
        except FileNotFoundError as exc:
            raise StepError(node_result.node_id, _gone(node)) from exc
        frames[node] = (artifact_id, table)
    return frames


def _gone(node: str) -> str:
    return (
        f"the stored output of {node!r} is gone (forgotten or deleted); "
        "retry the run to compute it again"
    )


#: Resolved exact versions kept per process: (name, version, sha256) -> model.
_resolved_models: dict[tuple[str, int, str], tuple[float, ResolvedModel]] = {}
RESOLVED_TTL_SECONDS = 60.0


def _resolved(node_result: NodeResult) -> dict[str, ResolvedModel]:
    if not node_result.model_name:
        return {}
    ref = (
        node_result.model_name,
        node_result.model_version or 0,
        node_result.model_sha256,
    )
    kept = _resolved_models.get(ref)
    if kept is not None and kept[0] > time.monotonic():
        return {node_result.node_id: kept[1]}
    model = resolver().resolve(node_result.model_name, node_result.model_version or 0)
    if model.sha256 != node_result.model_sha256:
        message = f"model {model.name!r} v{model.version} changed since the run started"
        raise StepError(node_result.node_id, message)
    # An exact version's file never changes (its sha256 is in the key); only
    # its trust could, hence the short life.
    _resolved_models[ref] = (time.monotonic() + RESOLVED_TTL_SECONDS, model)
    return {node_result.node_id: model}
