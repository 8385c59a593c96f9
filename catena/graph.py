"""The graph document (format ``catena.chain/1``): loading, dumping, hashing.

A document is::

    {"format": "catena.chain/1", "edges": [["in", "out"], ...],
     "nodes": [{"id": "in", "kind": "input", "params": {...}}, ...],
     "layout": {"in": [40, 120]}}

:func:`load` checks every part and reports *all* malformed parts at once. It does
not look for cycles or unreachable nodes; that is :mod:`catena.validation`'s job,
so a draft with a cycle still loads and can be shown on the canvas.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar, cast

import networkx as nx
from pydantic import BaseModel, ValidationError

from catena import parts, steps
from catena.errors import GraphCycleError, GraphDocumentError
from catena.problems import Problem, make

FORMAT = "catena.chain/1"
#: Node ids: letters, digits, ``_`` and ``-``; no ``.`` (the fan-in separator).
ID_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")

Edge = tuple[str, str]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Node:
    """One node: id, kind, params validated and as written, a part's owner."""

    id: str
    kind: str
    params: BaseModel
    raw: dict[str, Any] = field(compare=False)
    part_of: str | None = None


@dataclass(frozen=True)
class Graph:
    """A loaded graph document.

    Attributes
    ----------
    nodes : dict of str to Node
        In document order.
    edges : list of (str, str)
        In document order; the order of a node's incoming edges is the order
        of its fan-in columns.
    layout : dict of str to (float, float)
        Canvas positions; never affects results or hashes.
    dag : networkx.DiGraph
        The structure (it may still have a cycle until validated).
    parents : dict of str to tuple of str
        Each node's parents, in edge order.
    memo : dict
        Results derived from this graph alone, kept by :func:`remember`.
    """

    nodes: dict[str, Node]
    edges: list[Edge]
    layout: dict[str, tuple[float, float]]
    dag: nx.DiGraph
    parents: dict[str, tuple[str, ...]]
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def order(self) -> tuple[str, ...]:
        """The node ids in a topological order (stable for equal documents).

        Raises
        ------
        GraphCycleError
            When the edges form a cycle.
        """
        try:
            return tuple(nx.lexicographical_topological_sort(self.dag, key=self._rank))
        except nx.NetworkXUnfeasible:
            raise GraphCycleError(find_cycle(self) or []) from None

    def _rank(self, node: str) -> str:
        return f"{self._positions[node]:08d}"

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {node: i for i, node in enumerate(self.nodes)}


#: At most this many results are remembered per graph.
MEMO_SIZE = 32


def remember(graph: Graph, key: Any, compute: Callable[[], T]) -> T:
    """Return ``compute()``, computed once per ``key`` for this graph.

    For results that depend only on the graph and ``key`` (structure problems,
    schemas for given signatures); keeps a warm predict path from re-validating.
    """
    if key in graph.memo:
        return cast(T, graph.memo[key])
    if len(graph.memo) >= MEMO_SIZE:
        graph.memo.clear()
    value = graph.memo[key] = compute()
    return value


def find_cycle(graph: Graph) -> list[str] | None:
    """Return the node ids of one cycle (first node not repeated), or None.

    Examples
    --------
    >>> g = load({"format": FORMAT, "nodes": [
    ...     {"id": "a", "kind": "output", "params": {}},
    ...     {"id": "b", "kind": "output", "params": {}}],
    ...     "edges": [["a", "b"], ["b", "a"]]})
    >>> find_cycle(g)
    ['a', 'b']
    """
    try:
        edges = nx.find_cycle(graph.dag)
    except nx.NetworkXNoCycle:
        return None
    return [str(a) for a, _ in edges]


def load(doc: object) -> Graph:
    """Parse and check a graph document.

    Parameters
    ----------
    doc : object
        The decoded JSON document.

    Returns
    -------
    Graph
        With every node's params validated by its kind's ``Params``.

    Raises
    ------
    GraphDocumentError
        Whose ``problems`` lists every malformed part, each naming its node
        or edge.

    Examples
    --------
    >>> g = load({"format": FORMAT, "nodes": [
    ...     {"id": "in", "kind": "input", "params": {"schema": [["x", "float"]]}},
    ...     {"id": "out", "kind": "output", "params": {}}],
    ...     "edges": [["in", "out"]]})
    >>> g.order
    ('in', 'out')
    >>> load([])
    Traceback (most recent call last):
    ...
    catena.errors.GraphDocumentError: the document must be an object, not list
    """
    problems: list[Problem] = []
    if not isinstance(doc, Mapping):
        kind = type(doc).__name__
        problem = make(
            "bad_document", variant="root", field=None, expected="object", got=kind
        )
        raise GraphDocumentError([problem])
    _check_format(doc, problems)
    nodes, ids = _load_nodes(_list(doc, "nodes", problems), problems)
    edges = _load_edges(_list(doc, "edges", problems), ids, problems)
    layout = _load_layout(doc.get("layout", {}), ids, problems)
    nodes, edges = parts.expand(nodes, edges, problems)
    if problems:
        raise GraphDocumentError(problems)
    return build(nodes, edges, layout)


def build(
    nodes: dict[str, Node], edges: list[Edge], layout: dict[str, tuple[float, float]]
) -> Graph:
    """Return a graph of checked nodes and edges (what :func:`load` ends with)."""
    dag = nx.DiGraph()
    dag.add_nodes_from(nodes)
    dag.add_edges_from(edges)
    parents: dict[str, list[str]] = {node: [] for node in nodes}
    for source, target in edges:
        parents[target].append(source)
    frozen = {node: tuple(ps) for node, ps in parents.items()}
    return Graph(nodes, edges, layout, dag, frozen)


def _check_format(doc: Mapping[str, Any], problems: list[Problem]) -> None:
    tag = doc.get("format")
    if tag != FORMAT:
        scalar = tag is None or isinstance(tag, str | int | float)
        got = tag if scalar else type(tag).__name__
        problems.append(make("bad_format", expected=FORMAT, got=got))


def _list(doc: Mapping[str, Any], key: str, problems: list[Problem]) -> list[Any]:
    value = doc.get(key, [])
    if isinstance(value, list):
        return value
    got = type(value).__name__
    problems.append(make("bad_document", field=key, expected="list", got=got))
    return []


def _load_nodes(
    items: list[Any], problems: list[Problem]
) -> tuple[dict[str, Node], set[str]]:
    """Return the good nodes, and every id written (so edges to bad nodes
    do not add a second problem for one mistake)."""
    nodes: dict[str, Node] = {}
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        shape = _node_shape_problem(number, item)
        if shape is not None:
            problems.append(shape)
        elif item["id"] in seen:
            problems.append(make("duplicate_node", node=item["id"], id=item["id"]))
        else:
            seen.add(item["id"])
            node = _load_node(item, problems)
            nodes.update({node.id: node} if node is not None else {})
    return nodes, seen


def _load_node(item: Mapping[str, Any], problems: list[Problem]) -> Node | None:
    node_id, kind, raw = item["id"], item["kind"], item.get("params", {})
    if not ID_PATTERN.fullmatch(node_id):
        problems.append(make("bad_id", node=node_id, id=node_id))
        return None
    if kind not in steps.STEP_KINDS or steps.get(kind).INTERNAL:
        known = [k.kind for k in steps.kinds()]
        problems.append(make("unknown_kind", node=node_id, kind=kind, known=known))
        return None
    params = _load_params(node_id, kind, raw, problems)
    return Node(node_id, kind, params, raw) if params is not None else None


def _node_shape_problem(index: int, item: Any) -> Problem | None:
    fields: dict[str, Any] = {"index": index, "field": None, "unknown_fields": []}
    if not isinstance(item, Mapping):
        got = {"got": type(item).__name__}
        return make("bad_node", variant="object", extra=got, **fields)
    extra = sorted(map(str, set(item) - {"id", "kind", "params"}))
    if extra:
        return make("bad_node", variant="fields", **{**fields, "unknown_fields": extra})
    for key in ("id", "kind"):
        if not isinstance(item.get(key), str):
            shown = {"expected": "string"}
            return make("bad_node", extra=shown, **{**fields, "field": key})
    if not isinstance(item.get("params", {}), Mapping):
        fields["field"] = "params"
        return make("bad_node", variant="params", extra={"id": item["id"]}, **fields)
    return None


def _load_params(
    node_id: str, kind: str, raw: Mapping[str, Any], problems: list[Problem]
) -> BaseModel | None:
    try:
        return steps.get(kind).Params.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(
                make(
                    "bad_params",
                    node=node_id,
                    path=_loc(error["loc"]),
                    type=error["type"],
                    detail=error["msg"],
                )
            )
        return None


def _loc(loc: tuple[int | str, ...]) -> str:
    text = ".".join(str(part) for part in loc if not str(part).endswith("]"))
    return text or "(root)"


def _load_edges(
    items: list[Any], nodes: set[str], problems: list[Problem]
) -> list[Edge]:
    edges: list[Edge] = []
    for number, item in enumerate(items, start=1):
        problem = _edge_problem(number, item, nodes, edges)
        if problem is not None:
            problems.append(problem)
        else:
            edges.append((item[0], item[1]))
    return edges


def _edge_problem(
    number: int, item: Any, nodes: set[str], edges: list[Edge]
) -> Problem | None:
    if not _is_pair(item):
        return make("bad_edge", extra={"item": repr(item)}, index=number)
    edge: Edge = (item[0], item[1])
    shown = {"source": edge[0], "target": edge[1]}
    missing = [n for n in edge if n not in nodes]
    if missing:
        shown["missing_text"] = " and ".join(repr(n) for n in missing)
        return make("missing_node", edge=edge, extra=shown, missing=missing)
    if edge[0] == edge[1]:
        return make("self_edge", node=edge[0], edge=edge, extra=shown)
    if edge in edges:
        return make("duplicate_edge", edge=edge, extra=shown)
    return None


def _is_pair(item: Any) -> bool:
    if not isinstance(item, list | tuple) or len(item) != 2:
        return False
    return all(isinstance(i, str) for i in item)


def _load_layout(
    value: Any, nodes: set[str], problems: list[Problem]
) -> dict[str, tuple[float, float]]:
    if not isinstance(value, Mapping):
        problems.append(make("bad_layout", variant="root", entry=None))
        return {}
    layout: dict[str, tuple[float, float]] = {}
    for node_id, point in value.items():
        if node_id not in nodes or not _is_point(point):
            at = node_id if node_id in nodes else None
            problems.append(make("bad_layout", node=at, entry=node_id))
            continue
        layout[node_id] = (float(point[0]), float(point[1]))
    return layout


def _is_point(point: Any) -> bool:
    if not isinstance(point, list | tuple) or len(point) != 2:
        return False
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)


def dump(graph: Graph) -> dict[str, Any]:
    """Return the graph as a document (params as written, not with defaults).

    Examples
    --------
    >>> doc = {"format": FORMAT, "nodes": [{"id": "o", "kind": "output", "params": {}}],
    ...        "edges": [], "layout": {"o": [1.0, 2.0]}}
    >>> dump(load(doc)) == doc
    True
    """
    written = [n for n in graph.nodes.values() if n.part_of is None]
    ids = {n.id for n in written}
    return {
        "format": FORMAT,
        "nodes": [{"id": n.id, "kind": n.kind, "params": n.raw} for n in written],
        "edges": [list(e) for e in graph.edges if e[0] in ids and e[1] in ids],
        "layout": {k: list(v) for k, v in graph.layout.items()},
    }


def canonical_json(value: Any) -> str:
    """Return ``value`` as compact JSON with sorted keys (one spelling per value)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def canonical_hash(doc: Mapping[str, Any] | Graph) -> str:
    """Return the sha256 of a document's meaning: format, nodes and edges.

    Nodes are sorted by id. Edges are sorted stably by target, which keeps the
    order of each node's incoming edges (its fan-in column order). The layout
    is left out, so moving nodes on the canvas changes nothing.

    Examples
    --------
    >>> a = {"format": FORMAT, "nodes": [{"id": "o", "kind": "output", "params": {}}],
    ...      "edges": [], "layout": {"o": [1, 2]}}
    >>> canonical_hash(a) == canonical_hash({**a, "layout": {}})
    True
    """
    data = dump(doc) if isinstance(doc, Graph) else doc
    nodes = sorted(data.get("nodes", []), key=lambda n: str(n.get("id")))
    edges = sorted((list(e) for e in data.get("edges", [])), key=lambda e: str(e[1]))
    meaning = {"format": data.get("format"), "nodes": nodes, "edges": edges}
    return hashlib.sha256(canonical_json(meaning).encode()).hexdigest()
