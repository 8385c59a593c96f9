"""The in-process executor: runs a graph node after node (the predict path).

:func:`run` validates once, resolves each model once, computes cache keys when
given a store, then loops over :func:`catena.scheduling.ready` like
:meth:`graphlib.TopologicalSorter.static_order`. :func:`run_node` runs one node
on its parents' outputs; it is the Celery runner's unit of work.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from catena import steps
from catena.adapters import LoadedModel
from catena.chains import ChainInfo, Expansion, expand, label, output_node
from catena.errors import CatenaError, ChainInvalidError, StepError
from catena.fanin import join_frames
from catena.graph import Graph
from catena.keys import data_hash, node_keys
from catena.problems import Problem, make
from catena.resolving import ResolvedModel, Resolver
from catena.scheduling import ready
from catena.steps.context import StepContext
from catena.store import ArtifactStore
from catena.validation import check


@dataclass(frozen=True, slots=True)
class NodeOutcome:
    """What one node produced in a run.

    Attributes
    ----------
    node_id : str
    key : str or None
        The node's cache key; None when the run had no store (keys are
        computed only to reuse or store outputs).
    output : pandas.DataFrame
    seconds : float
        Wall time of the step (``time.perf_counter``); of the lookup if reused.
    reused : bool
        True when the output came from the store instead of running.
    model : (str, int, str) or None
        ``(name, version, sha256)`` of the model that ran, for model nodes.
    """

    node_id: str
    key: str | None
    output: pd.DataFrame = field(repr=False)
    seconds: float
    reused: bool
    model: tuple[str, int, str] | None


@dataclass(frozen=True, slots=True)
class RunResult:
    """Every node's outcome, in the order the nodes ran, and the warnings."""

    outcomes: dict[str, NodeOutcome]
    warnings: list[Problem]

    @property
    def outputs(self) -> dict[str, pd.DataFrame]:
        """The tables of the nodes that ran, by node id."""
        return {node: outcome.output for node, outcome in self.outcomes.items()}


def run(
    graph: Graph,
    inputs: pd.DataFrame,
    resolver: Resolver,
    store: ArtifactStore | None = None,
    until: str | None = None,
) -> RunResult:
    """Run a graph on a table, in this process.

    Chain nodes run their saved chain's nodes, which appear in the outcomes
    under ``<chain node>/<inner id>``.

    Parameters
    ----------
    graph : Graph
        A loaded graph.
    inputs : pandas.DataFrame
        The run's input table; its index is the row id carried to the end.
    resolver : Resolver
        Resolves each model reference once for the whole run.
    store : ArtifactStore, optional
        When given, nodes whose key is stored are reused, not run, and fresh
        outputs are stored.
    until : str, optional
        Run only this node and its ancestors.

    Returns
    -------
    RunResult
        One :class:`NodeOutcome` per node that ran or was reused.

    Raises
    ------
    ChainInvalidError
        When validation finds errors (``problems`` lists them) or ``until``
        names no node. Errors on nodes outside a partial run do not count.
    StepError
        When a node fails; a model's own exception is its ``__cause__``.

    Examples
    --------
    >>> from catena.graph import load
    >>> from catena.resolving import DictResolver
    >>> g = load({"format": "catena.chain/1", "nodes": [
    ...     {"id": "in", "kind": "input", "params": {"schema": [["x", "float"]]}},
    ...     {"id": "out", "kind": "output"}], "edges": [["in", "out"]]})
    >>> result = run(g, pd.DataFrame({"x": [1.5]}), DictResolver({}))
    >>> result.outcomes["out"].output.to_dict("list")
    {'x': [1.5]}
    """
    report = check(graph, resolver)
    _raise_errors(report.problems, _needed(graph, until))
    flat = expand(graph, report.resolved, report.chains)
    graph, needed = flat.graph, _needed(flat.graph, until)
    keys = (
        {}
        if store is None
        else node_keys(
            graph, flat.resolved, data_hash(inputs), needed, chains=flat.chains
        )
    )
    execution = _Execution(graph, inputs, flat.resolved, store, keys, flat.infos)
    execution.all(needed)
    warnings = [p for p in report.problems if p.severity == "warning"]
    return RunResult(execution.outcomes, warnings)


def _needed(graph: Graph, until: str | None) -> set[str] | None:
    if until is None:
        return None
    if until not in graph.nodes:
        raise ChainInvalidError([make("unknown_node", node=until, id=until)])
    ancestors: set[str] = nx.ancestors(graph.dag, until)
    return {until} | ancestors


def _raise_errors(problems: list[Problem], needed: set[str] | None) -> None:
    errors = [p for p in problems if p.severity == "error" and _counts(p, needed)]
    if errors:
        raise ChainInvalidError(errors)


def _counts(problem: Problem, needed: set[str] | None) -> bool:
    if needed is None or (problem.node is None and problem.edge is None):
        return True
    return problem.node in needed or (
        problem.edge is not None and problem.edge[1] in needed
    )


class _Execution:
    """The state of one in-process run: outcomes so far and loaded models."""

    def __init__(
        self,
        graph: Graph,
        inputs: pd.DataFrame,
        resolved: Mapping[str, ResolvedModel],
        store: ArtifactStore | None,
        keys: Mapping[str, str],
        chains: Mapping[str, ChainInfo] | None = None,
    ) -> None:
        self.graph, self.inputs, self.resolved = graph, inputs, resolved
        self.store, self.keys, self.chains = store, keys, dict(chains or {})
        self.outcomes: dict[str, NodeOutcome] = {}
        self.loaded: dict[tuple[str, int, str], LoadedModel] = {}

    def all(self, needed: set[str] | None = None) -> None:
        done: set[str] = set()
        while batch := ready(self.graph, done, needed):
            for node_id in batch:
                self.step(node_id)
                done.add(node_id)

    def step(self, node_id: str) -> None:
        start = time.perf_counter()
        key = self.keys.get(node_id)
        model = self.resolved.get(node_id)
        ref = model.ref if model is not None else None
        stored = (
            self.store.get(key) if self.store is not None and key is not None else None
        )
        if stored is not None:
            seconds = time.perf_counter() - start
            self.outcomes[node_id] = NodeOutcome(
                node_id, key, stored, seconds, True, ref
            )
            return
        output = self._compute(node_id, model)
        seconds = time.perf_counter() - start
        self.outcomes[node_id] = NodeOutcome(node_id, key, output, seconds, False, ref)
        if self.store is not None and key is not None:
            self.store.put(key, output)

    def _compute(self, node_id: str, model: ResolvedModel | None) -> pd.DataFrame:
        parents = self.graph.parents[node_id]
        table = _table([(p, self.outcomes[p].output) for p in parents], self.inputs)
        loaded = self._load(model) if model is not None else None
        ctx = _context(
            node_id, model, loaded, self.inputs, parents, self.chains.get(node_id)
        )
        return _call_step(self.graph, node_id, table, ctx)

    def _load(self, model: ResolvedModel) -> LoadedModel:
        loaded = self.loaded.get(model.ref)
        if loaded is None:
            loaded = self.loaded[model.ref] = model.load()
        return loaded


def _table(
    parents: list[tuple[str, pd.DataFrame]], inputs: pd.DataFrame | None
) -> pd.DataFrame:
    if parents:
        return join_frames([(label(p), df) for p, df in parents])
    return inputs if inputs is not None else pd.DataFrame()


def _call_step(
    graph: Graph, node_id: str, table: pd.DataFrame, ctx: StepContext
) -> pd.DataFrame:
    node = graph.nodes[node_id]
    try:
        return steps.get(node.kind).run(table, node.params, ctx)
    except CatenaError:
        raise
    except Exception as exc:
        raise StepError(node_id, f"{type(exc).__name__}: {exc}") from exc


def run_node(
    graph: Graph,
    node_id: str,
    parents: Mapping[str, pd.DataFrame],
    resolved: Mapping[str, ResolvedModel],
    inputs: pd.DataFrame | None = None,
    chains: Mapping[str, ChainInfo] | None = None,
) -> pd.DataFrame:
    """Run one node on its parents' outputs.

    Parameters
    ----------
    graph : Graph
        A loaded graph, already validated.
    node_id : str
        The node to run.
    parents : Mapping of str to pandas.DataFrame
        The output of each of the node's parents, by parent id.
    resolved : Mapping of str to ResolvedModel
        Resolved models by node id (``Report.resolved``); the model is loaded
        with :meth:`ResolvedModel.load`, whose loader may keep it warm.
    inputs : pandas.DataFrame, optional
        The run's input table; needed by input nodes.
    chains : Mapping of str to ChainInfo, optional
        Resolved saved chains by node id (:attr:`Expansion.infos`); needed by
        an optimize what-if part that predicts with a chain.

    Returns
    -------
    pandas.DataFrame
        The node's output.

    Raises
    ------
    StepError
        When the step fails (a model's own exception is its ``__cause__``).
    StepTransientError
        When the step failed for a reason worth retrying.

    Examples
    --------
    >>> from catena.graph import load
    >>> g = load({"format": "catena.chain/1", "nodes": [
    ...     {"id": "out", "kind": "output", "params": {"columns": ["b"]}}]})
    >>> run_node(g, "out", {}, {}, pd.DataFrame({"a": [1], "b": [2]})).to_dict("list")
    {'b': [2]}
    """
    model = resolved.get(node_id)
    ids = graph.parents[node_id]
    table = _table([(p, parents[p]) for p in ids], inputs)
    loaded = model.load() if model is not None else None
    ctx = _context(node_id, model, loaded, inputs, ids, (chains or {}).get(node_id))
    return _call_step(graph, node_id, table, ctx)


def _context(
    node_id: str,
    model: ResolvedModel | None,
    loaded: LoadedModel | None,
    inputs: pd.DataFrame | None,
    parents: tuple[str, ...],
    chain: ChainInfo | None,
) -> StepContext:
    run_chain = None if chain is None else functools.partial(_run_chain, chain)
    return StepContext(
        node_id,
        model=model,
        loaded=loaded,
        inputs=inputs,
        parents=parents,
        chain=chain,
        run_chain=run_chain,
    )


def _run_chain(info: ChainInfo, table: pd.DataFrame) -> pd.DataFrame:
    flat = expand(info.chain.graph, info.resolved, info.chains)
    return run_resolved(flat, table, output_node(info.chain.graph))


def run_resolved(flat: Expansion, inputs: pd.DataFrame, output: str) -> pd.DataFrame:
    """Run an expanded, validated graph on a table; return node ``output``'s table.

    Nothing is stored or reused: this is a saved chain run as one step's
    computation (an optimize what-if part's predictor).

    Raises
    ------
    StepError
        When a node fails.
    """
    execution = _Execution(flat.graph, inputs, flat.resolved, None, {}, flat.infos)
    execution.all({output} | nx.ancestors(flat.graph.dag, output))
    return execution.outcomes[output].output
