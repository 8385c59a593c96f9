"""Serving: a chain prepared once (validated, resolved, loaded), then run per request.

:func:`prepare` does everything that does not depend on the rows: validation,
model resolution and loading, the run order. :func:`predict` then runs the
prepared chain on a table in this process with no lookups at all, through the
same :func:`catena.executor.run_node` the Celery runner uses, so a prediction
equals a batch run of the same version on the same rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from catena.adapters import LoadedModel
from catena.chains import ChainInfo, expand
from catena.errors import ChainInvalidError
from catena.executor import run_node
from catena.graph import Graph
from catena.problems import make
from catena.resolving import ResolvedModel, Resolver
from catena.schema import Column, Schema
from catena.steps import input as input_step
from catena.validation import check


@dataclass(frozen=True, slots=True)
class UsedModel:
    """One model a prepared chain runs: the node and the exact version."""

    node: str
    name: str
    version: int
    sha256: str


@dataclass(frozen=True)
class Prepared:
    """A chain ready to answer requests.

    Attributes
    ----------
    graph : Graph
        The validated graph.
    resolved : dict of str to ResolvedModel
        Each model node's exact version, its loader pinned to the loaded model.
    columns : Schema
        The columns the input nodes declare, in document order.
    output : str
        The node whose rows are the answer: the first output node.
    output_columns : Schema
        The answer's columns (the output node's inferred schema).
    order : tuple of str
        The nodes the answer needs, in run order.
    models : tuple of UsedModel
        The exact model versions the answer uses, in run order.
    chains : dict of str to ChainInfo
        Each resolved saved chain by node id (an optimize what-if part that
        predicts with a chain runs it inside the part).
    """

    graph: Graph
    resolved: Mapping[str, ResolvedModel] = field(repr=False)
    columns: Schema
    output: str
    output_columns: Schema
    order: tuple[str, ...]
    models: tuple[UsedModel, ...]
    chains: Mapping[str, ChainInfo] = field(default_factory=dict, repr=False)

    def order_for(self, extra: Collection[str]) -> tuple[str, ...]:
        """The nodes the answer and the ``extra`` nodes need, in run order."""
        wanted = set(self.order)
        for node in extra:
            if node not in wanted:
                wanted |= {node} | nx.ancestors(self.graph.dag, node)
        return tuple(n for n in self.graph.order if n in wanted)


def prepare(graph: Graph, resolver: Resolver) -> Prepared:
    """Validate, resolve and load a chain once, for many predictions.

    Parameters
    ----------
    graph : Graph
        A loaded graph.
    resolver : Resolver
        Resolves each model reference (aliases resolve now, once).

    Returns
    -------
    Prepared

    Raises
    ------
    ChainInvalidError
        When validation finds errors.

    Examples
    --------
    >>> from catena.graph import load
    >>> from catena.resolving import DictResolver
    >>> g = load({"format": "catena.chain/1", "nodes": [
    ...     {"id": "in", "kind": "input", "params": {"schema": [["x", "float"]]}},
    ...     {"id": "out", "kind": "output"}], "edges": [["in", "out"]]})
    >>> prepare(g, DictResolver({})).order
    ('in', 'out')
    """
    report = check(graph, resolver)
    errors = [p for p in report.problems if p.severity == "error"]
    if errors:
        raise ChainInvalidError(errors)
    # Chain steps run their saved chains' nodes in place, as a batch run does.
    flat = expand(graph, report.resolved, report.chains)
    # What callers send and get: the outer input and output nodes'.
    columns = _columns(graph)
    output = next(n for n, node in graph.nodes.items() if node.kind == "output")
    graph = flat.graph
    order = tuple(
        n for n in graph.order if n == output or n in nx.ancestors(graph.dag, output)
    )
    resolved = {n: _pinned(m) for n, m in flat.resolved.items()}
    models = tuple(
        UsedModel(n, resolved[n].name, resolved[n].version, resolved[n].sha256)
        for n in graph.order
        if n in resolved
    )
    answer = report.schemas.get(output) or ()
    return Prepared(graph, resolved, columns, output, answer, order, models, flat.infos)


def _pinned(model: ResolvedModel) -> ResolvedModel:
    """The model loaded now; its loader returns that object from then on."""
    loaded = model.load()
    return dataclasses.replace(model, loader=_constant(loaded))


def _constant(loaded: LoadedModel) -> Callable[[], LoadedModel]:
    return lambda: loaded


def _columns(graph: Graph) -> Schema:
    columns: dict[str, Column] = {}
    for node in graph.nodes.values():
        if node.kind == "input" and isinstance(node.params, input_step.Params):
            for column in input_step.declared(node.params):
                columns.setdefault(column.name, column)
    return tuple(columns.values())


def predict(
    prepared: Prepared, table: pd.DataFrame, extra: Collection[str] = ()
) -> dict[str, pd.DataFrame]:
    """Run a prepared chain on a table; return each node's output by node id.

    Parameters
    ----------
    prepared : Prepared
        From :func:`prepare`.
    table : pandas.DataFrame
        The input rows; extra columns are ignored, as in a batch run.
    extra : collection of str
        Nodes to run besides those the answer needs (``?outputs=``).

    Returns
    -------
    dict of str to pandas.DataFrame
        The outputs of the nodes that ran; ``prepared.output`` is the answer.

    Raises
    ------
    StepError
        When a node fails.
    ChainInvalidError
        When ``extra`` names a node the chain does not have.

    Examples
    --------
    >>> from catena.graph import load
    >>> from catena.resolving import DictResolver
    >>> g = load({"format": "catena.chain/1", "nodes": [
    ...     {"id": "in", "kind": "input", "params": {"schema": [["x", "float"]]}},
    ...     {"id": "out", "kind": "output"}], "edges": [["in", "out"]]})
    >>> p = prepare(g, DictResolver({}))
    >>> predict(p, pd.DataFrame({"x": [2.5]}))["out"].to_dict("list")
    {'x': [2.5]}
    """
    unknown = [n for n in extra if n not in prepared.graph.nodes]
    if unknown:
        raise ChainInvalidError([make("unknown_node", node=n, id=n) for n in unknown])
    order = prepared.order_for(extra) if extra else prepared.order
    graph, resolved = prepared.graph, prepared.resolved
    done: dict[str, pd.DataFrame] = {}
    for node in order:
        parents = {p: done[p] for p in graph.parents[node]}
        done[node] = run_node(graph, node, parents, resolved, table, prepared.chains)
    return done
