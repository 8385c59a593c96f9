"""Saved chains used as steps: what one resolves to, and the graph that runs.

Validation (:func:`catena.validation.check`) resolves each chain node to a
:class:`ChainInfo`: the exact version, its input and output columns, and the
same for the chains nested in it. :func:`expand` then builds the graph that
runs: every chain node's inner nodes are put in under ``<node>/<inner id>``
(:data:`SEPARATOR`), the inner input nodes fed by the chain node's parents, and
the chain node itself passes on its inner output node's table. Nothing else
needs a new concept: keys, scheduling and storage treat inner nodes like any
other, and an inner node's key equals its key in the saved chain run alone on
the same data (see :mod:`catena.keys`), so stored outputs are shared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from catena.graph import Graph, Node, build
from catena.resolving import ResolvedChain, ResolvedModel
from catena.schema import Schema
from catena.steps.input import FedParams
from catena.steps.input import Params as InputParams

#: Chain steps nest at most this deep (a chain in a chain in a chain ...).
MAX_DEPTH = 8
#: A chain step expands to at most this many nodes.
MAX_NODES = 2000
#: Between a chain node's id and its inner nodes' ids.
SEPARATOR = "/"


@dataclass(frozen=True, slots=True)
class ChainInfo:
    """A chain node's saved chain, resolved and checked.

    Attributes
    ----------
    chain : ResolvedChain
        The exact version.
    inputs : Schema
        The columns its input nodes declare (what the chain node takes).
    outputs : Schema
        Its output node's columns (what the chain node gives).
    resolved : Mapping of str to ResolvedModel
        Its model nodes' resolved versions, by inner node id.
    chains : Mapping of str to ChainInfo
        Its own chain nodes, by inner node id.
    height : int
        Levels of chains, this one included (1 when it uses no chain).
    size : int
        The nodes it expands to, its chain node excluded.
    """

    chain: ResolvedChain
    inputs: Schema
    outputs: Schema
    resolved: Mapping[str, ResolvedModel] = field(default_factory=dict)
    chains: Mapping[str, ChainInfo] = field(default_factory=dict)
    height: int = 1
    size: int = 0


@dataclass(frozen=True, slots=True)
class Expansion:
    """The graph that runs, with its model and chain nodes resolved by flat id."""

    graph: Graph
    resolved: dict[str, ResolvedModel]
    chains: dict[str, ResolvedChain]
    #: Each resolved chain by flat id (an optimize what-if part runs its own).
    infos: dict[str, ChainInfo] = field(default_factory=dict)


def label(node_id: str) -> str:
    """Return a node's own id without the chain nodes it sits in.

    Fan-in column prefixes and keys use it, so a saved chain's nodes name their
    columns and keys alike wherever the chain is used.

    Examples
    --------
    >>> label("stack/ridge"), label("ridge")
    ('ridge', 'ridge')
    """
    return node_id.rpartition(SEPARATOR)[2]


def output_node(graph: Graph) -> str:
    """Return the id of a saved chain's single output node.

    Raises
    ------
    ValueError
        When the chain has no output node or several.
    """
    outputs = [n.id for n in graph.nodes.values() if n.kind == "output"]
    if len(outputs) != 1:
        raise ValueError(f"it has {len(outputs)} output nodes; a chain step needs 1")
    return outputs[0]


def expand(
    graph: Graph,
    resolved: Mapping[str, ResolvedModel],
    chains: Mapping[str, ChainInfo],
) -> Expansion:
    """Return the graph with every chain node's saved chain put in place.

    Parameters
    ----------
    graph : Graph
        A validated graph.
    resolved, chains : Mapping
        ``Report.resolved`` and ``Report.chains`` of its validation.

    Returns
    -------
    Expansion
        A graph without nested chain nodes' saved chains left out; equal to
        ``graph`` (same object) when it has no chain node.

    Examples
    --------
    >>> from catena.graph import load
    >>> g = load({"format": "catena.chain/1", "nodes": [
    ...     {"id": "out", "kind": "output"}]})
    >>> expand(g, {}, {}).graph is g
    True
    """
    infos = dict(_by_path(chains, ""))
    if not infos:
        return Expansion(graph, dict(resolved), {})
    flat = _Flattener(lambda path, node: infos[path].chain.graph).run(graph)
    models = dict(resolved)
    for path, info in infos.items():
        models.update({f"{path}{SEPARATOR}{k}": m for k, m in info.resolved.items()})
    return Expansion(flat, models, {p: i.chain for p, i in infos.items()}, infos)


def expand_pinned(
    graph: Graph, chain: Callable[[str, int], ResolvedChain], pins: Mapping[str, int]
) -> Graph:
    """Return the expanded graph of a run, each chain node at its recorded version.

    Parameters
    ----------
    graph : Graph
        The chain version's graph.
    chain : callable
        ``(name, number) -> ResolvedChain``, e.g. a resolver's ``resolve_chain``.
    pins : Mapping of str to int
        The exact version of each chain node, by flat id, as a run recorded it
        (:attr:`Expansion.chains`). A run records only the chain nodes it runs
        (a partial run's ``until`` may leave some out): a chain node without a
        pin stays as it is, unexpanded.
    """
    if not pins:
        return graph

    def inner(path: str, node: Node) -> Graph | None:
        number = pins.get(path)
        if number is None:
            return None
        return chain(node.params.chain, number).graph  # type: ignore[attr-defined]

    return _Flattener(inner).run(graph)


def _by_path(
    chains: Mapping[str, ChainInfo], prefix: str
) -> list[tuple[str, ChainInfo]]:
    found: list[tuple[str, ChainInfo]] = []
    for node_id, info in chains.items():
        path = f"{prefix}{node_id}"
        found.append((path, info))
        found.extend(_by_path(info.chains, f"{path}{SEPARATOR}"))
    return found


class _Flattener:
    """Copies nodes into one graph, a chain node's saved chain before it."""

    def __init__(self, inner: Callable[[str, Node], Graph | None]) -> None:
        self.inner = inner
        self.nodes: dict[str, Node] = {}
        self.edges: list[tuple[str, str]] = []

    def run(self, graph: Graph) -> Graph:
        self._add(graph, "", None, None)
        return build(self.nodes, self.edges, {})

    def _add(
        self,
        graph: Graph,
        prefix: str,
        feed: tuple[str, ...] | None,
        mapping: Mapping[str, str] | None,
    ) -> None:
        for node in graph.nodes.values():
            flat = f"{prefix}{node.id}"
            parents = tuple(f"{prefix}{p}" for p in graph.parents[node.id])
            if node.kind == "input" and feed is not None:
                node, parents = _fed(node, mapping), feed
            if node.kind == "chain":
                parents = self._chain(node, flat, parents)
            self.nodes[flat] = Node(flat, node.kind, node.params, node.raw)
            self.edges.extend((parent, flat) for parent in parents)

    def _chain(
        self, node: Node, flat: str, parents: tuple[str, ...]
    ) -> tuple[str, ...]:
        saved = self.inner(flat, node)
        if saved is None:
            return parents  # left unexpanded
        mapping: Any = getattr(node.params, "columns", None)
        prefix = f"{flat}{SEPARATOR}"
        self._add(saved, prefix, parents, mapping)
        return (f"{prefix}{output_node(saved)}",)


def _fed(node: Node, mapping: Mapping[str, str] | None) -> Node:
    if not mapping or not isinstance(node.params, InputParams):
        return node
    params = FedParams.model_validate(
        {"schema": node.params.schema_, "columns": dict(mapping)}
    )
    return Node(node.id, node.kind, params, node.raw)
