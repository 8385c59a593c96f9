"""What a node computes: its stored output reused, or its step run on its parents.

Called by the state machine in ``runner.claims``, which claims the node before
and records the outcome after; nothing here changes a node's status. A stored
output is reused only when its file is intact (size and sha256 as recorded); a
corrupt one is computed again, and the node's note says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from catena import steps
from catena.chains import SEPARATOR, ChainInfo, expand, expand_pinned
from catena.errors import ChainInvalidError, StepError
from catena.executor import run_node
from catena.graph import Graph, load
from catena.resolving import ResolvedChain, ResolvedModel, Resolver
from catena.validation import chain_info
from registry.resolver import loading_seconds
from runner.environment import output_environment
from runner.models import Artifact, NodeResult, Run
from runner.store import (
    ABSENT,
    ArtifactWriteError,
    FileProblem,
    artifact_link,
    artifact_load,
    artifact_problem,
    artifact_write,
    recent_tables,
    sql,
    tables_same,
)


def resolver() -> Resolver:
    """Models from the registry, saved chains from the builder (imported late:
    the registry loads models lazily)."""
    from builder.resolver import ChainResolver

    return ChainResolver()


@functools.lru_cache(maxsize=128)
def chain_graph(chain_version_id: int) -> Graph:
    """The loaded graph of a chain version (versions never change once saved)."""
    from builder.models import ChainVersion

    document = ChainVersion.objects.values_list("document", flat=True).get(
        id=chain_version_id
    )
    return load(document)


class _Kept(threading.local):
    #: Run id -> what ``run_graph`` reads of it, while ``run_graphs_kept`` lasts.
    rows: dict[int, tuple[int, Any, str]] | None = None


_kept = _Kept()


@contextlib.contextmanager
def run_graphs_kept() -> Iterator[None]:
    """Within it, each run's graph fields are read once (a task's node loop;
    they never change once the run has started)."""
    _kept.rows = {}
    try:
        yield
    finally:
        _kept.rows = None


def run_graph_known(run_id: int, found: tuple[int, Any, str]) -> None:
    """Within ``run_graphs_kept``: the run's graph fields, known to the caller
    (chain version id, chains, document hash), so ``run_graph`` need not read
    them."""
    if _kept.rows is not None:
        _kept.rows[run_id] = found


def run_graph(run_id: int) -> Graph:
    """The graph a run executes: its chain version's (or its own document's, for
    an experiment's variant), each chain step's saved chain put in place at the
    exact version the run recorded when it started."""
    kept = _kept.rows
    found = kept.get(run_id) if kept is not None else None
    if found is None:
        found = Run.objects.values_list(
            "chain_version_id", "chains", "document_hash"
        ).get(id=run_id)
        if kept is not None:
            kept[run_id] = found
    version_id, chains, digest = found
    if not chains:
        return document_graph(digest) if digest else chain_graph(version_id)
    pins = tuple(sorted((node, int(ref[1])) for node, ref in chains.items()))
    return _expanded(version_id, digest, pins)


@functools.lru_cache(maxsize=128)
def document_graph(digest: str) -> Graph:
    """The loaded graph of a run's own document, by its hash (never changed)."""
    document = (
        Run.objects.filter(document_hash=digest)
        .values_list("document", flat=True)
        .first()
    )
    return load(document)


@functools.lru_cache(maxsize=128)
def _expanded(version_id: int, digest: str, pins: tuple[tuple[str, int], ...]) -> Graph:
    base = document_graph(digest) if digest else chain_graph(version_id)
    return expand_pinned(base, _saved_chain, dict(pins))


def _saved_chain(name: str, number: int) -> ResolvedChain:
    return resolver().resolve_chain(name, number)


@dataclass
class Outcome:
    """A node's output: a stored artifact (reused), or a file just written.

    ``known`` is the artifact row found under the key before computing (or
    ``ABSENT``), so recording the output need not look again. ``seconds``
    includes ``load_seconds``, the part spent loading model files into this
    process's cache (a cold worker's first call). ``frame`` is a computed
    output not written yet (``node_outcome(write=False)``; ``outcome_written``
    writes it); ``started``, when its work started, when not at its claim.
    """

    artifact: Artifact | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    parent_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    load_seconds: float = 0.0
    known: Any = None
    frame: pd.DataFrame | None = None
    started: datetime | None = None

    @property
    def reused(self) -> bool:
        return self.artifact is not None


#: ``node_outcome``'s ``stored`` when the caller has not looked.
LOOK = object()


def node_outcome(
    node_result: NodeResult,
    parents: dict[str, tuple[int, str, str]] | None = None,
    *,
    stored: Any = LOOK,
    write: bool = True,
    held: dict[str, pd.DataFrame] | None = None,
) -> Outcome:
    """The node's stored output, or its output computed now and written to a file.

    ``parents`` (node id -> artifact id, key, path) saves reading the parents'
    rows when the caller has them; ``stored``, the (id, path) of the row under
    the node's key (or None: no row) looking it up, when the caller has.
    Without ``write`` a computed output is kept in ``frame`` (and in this
    process's recent tables, for the nodes after it) for ``outcome_written``.
    ``held`` are parents' tables the caller holds (by node id), read from
    nowhere else.
    """
    run = node_result.run
    known: Any = None
    if run.reuse:
        found = sql.artifact_found(node_result.cache_key) if stored is LOOK else stored
        if found is None:
            known = ABSENT
        else:
            stored = Artifact.objects.get(id=found[0])
            problem = artifact_problem(stored)
            if problem is None:
                return Outcome(artifact=stored)
            known = stored
            node_note(node_result, recompute_note(problem))
    graph = run_graph(run.id)
    frames = _parent_frames(node_result, graph, parents, held or {})
    reads_input = node_result.kind == "input" and not frames
    inputs = _input_load(node_result) if reads_input else None
    resolved = _resolved(node_result)
    start, loaded = time.perf_counter(), loading_seconds()
    tables = {node: frame for node, (_, frame) in frames.items()}
    chains = _chains(node_result, graph)
    output = run_node(graph, node_result.node_id, tables, resolved, inputs, chains)
    seconds = time.perf_counter() - start
    linked = _input_linked(node_result, output, inputs) if reads_input else None
    outcome = Outcome(
        fields=linked or {},
        parent_ids=[artifact_id for artifact_id, _ in frames.values()],
        seconds=seconds,
        load_seconds=loading_seconds() - loaded,
        known=known,
        frame=None if linked else output,
    )
    if outcome.frame is not None and not write:
        recent_tables.put(node_result.cache_key, output)
        return outcome
    return outcome_written(node_result, outcome)


def outcome_written(node_result: NodeResult, outcome: Outcome) -> Outcome:
    """``outcome`` with its computed ``frame`` written to the node's file (an
    outcome with nothing to write, as it is)."""
    if outcome.frame is None:
        return outcome
    replace = isinstance(outcome.known, Artifact)
    fields = _write(node_result, outcome.frame, replace=replace)
    return dataclasses.replace(outcome, fields=fields, frame=None)


def _input_load(node_result: NodeResult) -> pd.DataFrame:
    """The run's input table; a file gone or unreadable (a power cut before
    posted rows reached the disk, a file deleted by hand) fails the node
    saying so."""
    try:
        return artifact_load(artifact=node_result.run.input)
    except (OSError, ValueError) as exc:  # pyarrow's errors are one or the other
        message = (
            "the run's input file is gone or unreadable "
            f"({exc.__class__.__name__}: {exc}); post the rows again, or "
            "upload the data set again"
        )
        raise StepError(node_result.node_id, message) from exc


def _input_linked(
    node_result: NodeResult, output: pd.DataFrame, inputs: Any
) -> dict[str, Any] | None:
    """An input node's output that is the run's input table unchanged (its
    declared columns, in order, of their declared types): the input's file
    under a second name, not the same table encoded and written again (25-40
    ms of the first node of a 100,000-row run). None otherwise."""
    if not tables_same(output, inputs):
        return None
    return artifact_link(
        key=node_result.cache_key,
        source=node_result.run.input,
        df=output,
        environment=output_environment(kind=node_result.kind),
    )


def _write(node_result: NodeResult, output: pd.DataFrame, *, replace: bool) -> Any:
    try:
        return artifact_write(
            key=node_result.cache_key,
            df=output,
            environment=output_environment(kind=node_result.kind),
            replace=replace,
        )
    except ArtifactWriteError as exc:
        raise StepError(node_result.node_id, exc.message) from exc


def recompute_note(problem: FileProblem) -> str:
    """What the run page says of an output computed again instead of reused."""
    if problem.kind == "missing":
        return f"Recomputed: {problem.detail}."
    return f"Recomputed because the stored file was corrupt: {problem.detail}."


def node_note(node_result: NodeResult, note: str) -> None:
    """Record why the node's stored output was not reused (its status untouched)."""
    NodeResult.objects.filter(id=node_result.id).update(note=note)


def _parent_frames(
    node_result: NodeResult,
    graph: Graph,
    parents: dict[str, tuple[int, str, str]] | None,
    held: dict[str, pd.DataFrame],
) -> dict[str, tuple[int, pd.DataFrame]]:
    ids = graph.parents[node_result.node_id]
    if parents is None or not set(ids) <= set(parents):
        parents = sql.parent_artifacts(node_result.run_id, ids)
    frames: dict[str, tuple[int, pd.DataFrame]] = {}
    for node in ids:
        if node not in parents:
            raise StepError(node_result.node_id, _gone(node))
        artifact_id, key, path = parents[node]
        if node in held:
            frames[node] = (artifact_id, held[node])
            continue
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


def _chains(node_result: NodeResult, graph: Graph) -> dict[str, ChainInfo]:
    """The predictor chain of an optimize what-if part, at the run's versions."""
    node_id = node_result.node_id
    if not steps.get(graph.nodes[node_id].kind).CHAIN_IN_KEY:
        return {}
    resolved, chains = Run.objects.values_list("resolved", "chains").get(
        id=node_result.run_id
    )
    inside = f"{node_id}{SEPARATOR}"
    pins = tuple(
        sorted(
            (node, tuple(ref))
            for node, ref in [*resolved.items(), *chains.items()]
            if node.startswith(inside)
        )
    )
    name, number, sha = chains[node_id]
    return {node_id: _predictor_chain(node_id, (name, int(number), sha), pins)}


@functools.lru_cache(maxsize=32)
def _predictor_chain(
    node_id: str, ref: tuple[str, int, str], pins: tuple[tuple[str, Any], ...]
) -> ChainInfo:
    """The chain resolved and checked again; refused when its models or nested
    chains are no longer the exact versions the run recorded (aliases moved)."""
    chain = resolver().resolve_chain(ref[0], ref[1])
    try:
        info = chain_info(chain, resolver())
    except ChainInvalidError as exc:
        raise StepError(node_id, str(exc)) from exc
    found = _expand_refs(node_id, info)
    if chain.ref[2] != ref[2] or found != dict(pins):
        message = (
            f"predictor chain {chain.name!r} v{chain.version} or its models "
            "changed since the run started"
        )
        raise StepError(node_id, message)
    return info


def _expand_refs(node_id: str, info: ChainInfo) -> dict[str, tuple[Any, ...]]:
    """The exact model and chain versions inside a predictor chain, by flat id."""

    flat = expand(info.chain.graph, info.resolved, info.chains)
    inside = f"{node_id}{SEPARATOR}"
    found: dict[str, tuple[Any, ...]] = {
        f"{inside}{n}": tuple(m.ref) for n, m in flat.resolved.items()
    }
    found.update({f"{inside}{n}": tuple(c.ref) for n, c in flat.chains.items()})
    return found


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
