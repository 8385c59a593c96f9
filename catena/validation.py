"""Validation: every problem that keeps a graph from running, found before it runs.

:func:`check` walks the structure (cycles, inputs, outputs, reachability),
resolves each model once, then infers every node's output schema in
topological order with each step's own rule. It returns *all* problems; a
node downstream of a broken one gets the schema ``None`` and no problem of its
own, so one mistake is reported once.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx

from catena import steps
from catena.errors import ModelNotFoundError, StepSchemaError
from catena.fanin import join_schemas
from catena.graph import Graph, Node, remember
from catena.problems import Problem
from catena.resolving import ResolvedModel, Resolver
from catena.schema import Schema
from catena.steps.context import StepContext
from catena.steps.model import Params as ModelParams

#: At most this many cycles are reported (a dense graph has exponentially many).
MAX_CYCLES = 10


@dataclass(frozen=True, slots=True)
class Report:
    """What validation found.

    Attributes
    ----------
    problems : list of Problem
        Errors and warnings, structure first, then per node in order.
    schemas : dict of str to Schema or None
        Each node's inferred output schema; None where it cannot be known.
    resolved : dict of str to ResolvedModel
        Each model node's resolved version (missing when resolving failed).
    """

    problems: list[Problem]
    schemas: dict[str, Schema | None]
    resolved: dict[str, ResolvedModel]

    @property
    def ok(self) -> bool:
        """True when no problem is an error (warnings allowed)."""
        return all(p.severity != "error" for p in self.problems)


def check(graph: Graph, resolver: Resolver) -> Report:
    """Validate a graph and infer every node's output schema.

    Parameters
    ----------
    graph : Graph
        A loaded graph (see :func:`catena.graph.load`).
    resolver : Resolver
        Resolves model references; called once per distinct reference.

    Returns
    -------
    Report
        Every problem, every node's schema, and the resolved models.

    Examples
    --------
    >>> from catena.graph import load
    >>> from catena.resolving import DictResolver
    >>> g = load({"format": "catena.chain/1", "nodes": [
    ...     {"id": "in", "kind": "input", "params": {"schema": [["x", "float"]]}}]})
    >>> [p.code for p in check(g, DictResolver({})).problems]
    ['no_output']
    """
    problems = list(
        remember(graph, "structure", lambda: list(structure_problems(graph)))
    )
    resolved = _resolve_all(graph, resolver, problems)
    if any(p.code == "cycle" for p in problems):
        return Report(problems, dict.fromkeys(graph.nodes), resolved)
    failed = frozenset(
        p.node
        for p in problems
        if p.severity == "error" and p.code != "input_with_parents"
    )
    models = tuple((n, m.name, m.version, m.signature) for n, m in resolved.items())
    schemas, found = remember(
        graph, ("schemas", failed, models), lambda: _infer(graph, resolved, failed)
    )
    return Report(problems + found, dict(schemas), resolved)


def validate(graph: Graph, resolver: Resolver) -> list[Problem]:
    """Return every problem of a graph (see :func:`check`).

    Examples
    --------
    >>> from catena.graph import load
    >>> from catena.resolving import DictResolver
    >>> validate(load({"format": "catena.chain/1"}), DictResolver({}))[0].code
    'no_input'
    """
    return check(graph, resolver).problems


def structure_problems(graph: Graph) -> Iterator[Problem]:
    """Yield the problems of the graph's shape alone (no resolver needed)."""
    yield from _cycles(graph)
    inputs = [n.id for n in graph.nodes.values() if n.kind == "input"]
    outputs = [n.id for n in graph.nodes.values() if n.kind == "output"]
    if not inputs:
        yield Problem("no_input", "the graph has no input node")
    if not outputs:
        yield Problem("no_output", "the graph has no output node")
    yield from _misplaced(graph, inputs, outputs)
    if inputs:
        yield from _unreachable(graph, inputs)


def _cycles(graph: Graph) -> Iterator[Problem]:
    position = {node: i for i, node in enumerate(graph.nodes)}
    found = itertools.islice(nx.simple_cycles(graph.dag), MAX_CYCLES)
    cycles = sorted(
        (_rotated(c, position) for c in found), key=lambda c: [position[n] for n in c]
    )
    for nodes in cycles:
        path = " -> ".join([*nodes, nodes[0]])
        yield Problem(
            "cycle", f"the edges form a cycle: {path}", nodes[0], (nodes[-1], nodes[0])
        )


def _rotated(cycle: list[str], position: dict[str, int]) -> list[str]:
    """Start a cycle at its first node in document order (simple_cycles does not)."""
    first = min(range(len(cycle)), key=lambda i: position[cycle[i]])
    return [str(n) for n in cycle[first:] + cycle[:first]]


def _misplaced(
    graph: Graph, inputs: list[str], outputs: list[str]
) -> Iterator[Problem]:
    for node in inputs:
        for parent in graph.parents[node]:
            message = (
                f"input node {node!r} cannot have incoming edges ({parent} -> {node})"
            )
            yield Problem("input_with_parents", message, node, (parent, node))
    for node in outputs:
        if not graph.parents[node]:
            yield Problem(
                "unconnected_output", f"output node {node!r} has no incoming edge", node
            )


def _unreachable(graph: Graph, inputs: list[str]) -> Iterator[Problem]:
    reached = set(inputs).union(*(nx.descendants(graph.dag, n) for n in inputs))
    for node in graph.nodes.values():
        if node.id in reached or (node.kind == "output" and not graph.parents[node.id]):
            continue
        yield Problem(
            "unreachable", f"node {node.id!r} cannot be reached from an input", node.id
        )


def _resolve_all(
    graph: Graph, resolver: Resolver, problems: list[Problem]
) -> dict[str, ResolvedModel]:
    cache: dict[tuple[str, int | str], ResolvedModel | ModelNotFoundError] = {}
    resolved: dict[str, ResolvedModel] = {}
    for node in graph.nodes.values():
        if not isinstance(node.params, ModelParams):
            continue
        ref = (node.params.model, node.params.version)
        if ref not in cache:
            cache[ref] = _resolve(resolver, *ref)
        outcome = cache[ref]
        if isinstance(outcome, ModelNotFoundError):
            problems.append(
                Problem("unknown_model", f"node {node.id!r}: {outcome}", node.id)
            )
            continue
        problems.extend(_model_problems(node, outcome))
        resolved[node.id] = outcome
    return resolved


def _resolve(
    resolver: Resolver, name: str, version: int | str
) -> ResolvedModel | ModelNotFoundError:
    try:
        return resolver.resolve(name, version)
    except ModelNotFoundError as exc:
        return exc


def _model_problems(node: Node, model: ResolvedModel) -> Iterator[Problem]:
    label = f"model {model.name!r} v{model.version}"
    if not model.trusted:
        message = (
            f"node {node.id!r}: {label} is not trusted (a staff user must trust it)"
        )
        yield Problem("untrusted_model", message, node.id)
    for warning in model.warnings:
        yield Problem(
            "compat_warning",
            f"node {node.id!r}: {label}: {warning}",
            node.id,
            severity="warning",
        )


def _infer(
    graph: Graph, resolved: dict[str, ResolvedModel], failed: frozenset[str | None]
) -> tuple[dict[str, Schema | None], list[Problem]]:
    """Infer schemas in topological order, skipping nodes already failed."""
    schemas: dict[str, Schema | None] = {}
    problems: list[Problem] = []
    for node_id in graph.order:
        node = graph.nodes[node_id]
        if node_id in failed:
            schemas[node_id] = None
            continue
        schemas[node_id] = _node_schema(graph, node, schemas, resolved, problems)
    return schemas, problems


def _node_schema(
    graph: Graph,
    node: Node,
    schemas: dict[str, Schema | None],
    resolved: dict[str, ResolvedModel],
    problems: list[Problem],
) -> Schema | None:
    parents = () if node.kind == "input" else graph.parents[node.id]
    upstream = [(p, schemas[p]) for p in parents]
    if any(schema is None for _, schema in upstream):
        return None
    joined, sources = join_schemas([(p, s) for p, s in upstream if s is not None])
    ctx = StepContext(
        node.id, model=resolved.get(node.id), sources=sources, parents=parents
    )
    try:
        return _unique_names(
            steps.get(node.kind).output_schema(node.params, joined, ctx), ctx
        )
    except StepSchemaError as exc:
        problems.extend(exc.problems)
        return None


def _unique_names(schema: Schema, ctx: StepContext) -> Schema:
    seen = [c.name for c in schema]
    if len(set(seen)) == len(seen):
        return schema
    dupes = sorted({n for n in seen if seen.count(n) > 1})
    message = f"produces duplicate columns: {', '.join(dupes)}"
    raise StepSchemaError([ctx.problem("duplicate_columns", message)])
