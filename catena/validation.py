"""Validation: every problem that keeps a graph from running, found before it runs.

:func:`check` walks the structure (cycles, inputs, outputs, reachability),
resolves each model once, then infers every node's output schema in
topological order with each step's own rule. It returns *all* problems; a
node downstream of a broken one gets the schema ``None`` and no problem of its
own, so one mistake is reported once.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from catena import parts, steps
from catena.chains import ChainInfo
from catena.errors import ChainInvalidError, ModelNotFoundError, StepSchemaError
from catena.fanin import join_schemas
from catena.graph import Graph, Node, remember
from catena.guards import bias_problems
from catena.nesting import Nesting, Refusal, inspect_chain, resolve_chains
from catena.problems import Problem, make
from catena.resolving import ResolvedChain, ResolvedModel, Resolver
from catena.schema import Schema
from catena.steps.context import StepContext

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
    chains : dict of str to ChainInfo
        Each chain node's saved chain, resolved and checked (missing when
        refused); :func:`catena.chains.expand` takes it.
    """

    problems: list[Problem]
    schemas: dict[str, Schema | None]
    resolved: dict[str, ResolvedModel]
    chains: dict[str, ChainInfo] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem is an error (warnings allowed)."""
        return all(p.severity != "error" for p in self.problems)


def check(graph: Graph, resolver: Resolver, *, chain: str | None = None) -> Report:
    """Validate a graph and infer every node's output schema.

    Parameters
    ----------
    graph : Graph
        A loaded graph (see :func:`catena.graph.load`).
    resolver : Resolver
        Resolves model and chain references; called once per distinct model
        reference.
    chain : str, optional
        The name of the chain the graph is a version of, so a chain node that
        uses it (directly or through others) is refused as a cycle.

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
    return _check(graph, resolver, Nesting((chain,) if chain else ()))


def _check(graph: Graph, resolver: Resolver, nesting: Nesting) -> Report:
    problems = list(
        remember(graph, "structure", lambda: list(structure_problems(graph)))
    )
    resolved = _resolve_all(graph, resolver, problems)
    chains = resolve_chains(graph, resolver, nesting, problems, _check)
    if any(p.code == "cycle" for p in problems):
        problems = [parts.on_canvas(p) for p in problems]
        return Report(problems, dict.fromkeys(graph.nodes), resolved, chains)
    failed = frozenset(
        p.node
        for p in problems
        if p.severity == "error" and p.code != "input_with_parents"
    )
    models = tuple((n, m.name, m.version, m.signature) for n, m in resolved.items())
    saved = tuple((n, c.chain.ref, c.inputs, c.outputs) for n, c in chains.items())
    schemas, found = remember(
        graph,
        ("schemas", failed, models, saved),
        lambda: _infer(graph, resolved, failed, chains),
    )
    found = found + bias_problems(graph, resolved)
    problems = [parts.on_canvas(p) for p in problems + found]
    return Report(problems, dict(schemas), resolved, chains)


def chain_info(chain: ResolvedChain, resolver: Resolver) -> ChainInfo:
    """Return a resolved chain's info, as a chain step using it gets it.

    Raises
    ------
    ChainInvalidError
        When the chain would be refused as a step (its problem is the error's).
    """
    found = inspect_chain(chain, resolver, Nesting((chain.name,)), _check)
    if isinstance(found, Refusal):
        raise ChainInvalidError([found.at(chain.name)])
    return found


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


def rows_problems(
    graph: Graph, rows: int, among: Collection[str] | None = None
) -> list[Problem]:
    """Return the problems that only the run's row count reveals.

    Examples
    --------
    >>> from catena.graph import load
    >>> rows_problems(load({"format": "catena.chain/1"}), 10)
    []
    """
    found = []
    for node in graph.nodes.values():
        check_rows = steps.get(node.kind).rows_problem
        if check_rows is not None and (among is None or node.id in among):
            problem = check_rows(node.params, rows, StepContext(node.id))
            found += [parts.on_canvas(problem)] if problem is not None else []
    return found


def structure_problems(graph: Graph) -> Iterator[Problem]:
    """Yield the problems of the graph's shape alone (no resolver needed)."""
    yield from _cycles(graph)
    inputs = [n.id for n in graph.nodes.values() if n.kind == "input"]
    outputs = [n.id for n in graph.nodes.values() if n.kind == "output"]
    if not inputs:
        yield make("no_input")
    if not outputs:
        yield make("no_output")
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
        edge = (nodes[-1], nodes[0])
        yield make("cycle", node=nodes[0], edge=edge, extra={"path": path}, nodes=nodes)


def _rotated(cycle: list[str], position: dict[str, int]) -> list[str]:
    """Start a cycle at its first node in document order (simple_cycles does not)."""
    first = min(range(len(cycle)), key=lambda i: position[cycle[i]])
    return [str(n) for n in cycle[first:] + cycle[:first]]


def _misplaced(
    graph: Graph, inputs: list[str], outputs: list[str]
) -> Iterator[Problem]:
    for node in inputs:
        for parent in graph.parents[node]:
            edge = (parent, node)
            yield make("input_with_parents", node=node, edge=edge, parent=parent)
    for node in outputs:
        if not graph.parents[node]:
            yield make("unconnected_output", node=node)


def _unreachable(graph: Graph, inputs: list[str]) -> Iterator[Problem]:
    reached = set(inputs).union(*(nx.descendants(graph.dag, n) for n in inputs))
    for node in graph.nodes.values():
        if node.id in reached or (node.kind == "output" and not graph.parents[node.id]):
            continue
        yield make("unreachable", node=node.id)


def model_refs(graph: Graph) -> set[tuple[str, int | str]]:
    """The (model, version) references of the graph's nodes, as resolved."""
    refs = set()
    for node in graph.nodes.values():
        model_ref = steps.get(node.kind).model_ref
        if model_ref is not None:
            refs.add(model_ref(node.params))
    return refs


def _resolve_all(
    graph: Graph, resolver: Resolver, problems: list[Problem]
) -> dict[str, ResolvedModel]:
    cache: dict[tuple[str, int | str], ResolvedModel | ModelNotFoundError] = {}
    resolved: dict[str, ResolvedModel] = {}
    for node in graph.nodes.values():
        model_ref = steps.get(node.kind).model_ref
        if model_ref is None:
            continue
        ref = model_ref(node.params)
        if ref not in cache:
            cache[ref] = _resolve(resolver, *ref)
        outcome = cache[ref]
        if isinstance(outcome, ModelNotFoundError):
            problems.append(
                make(
                    "unknown_model",
                    node=node.id,
                    model=ref[0],
                    version=ref[1],
                    detail=str(outcome),
                )
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
    which: dict[str, Any] = {"model": model.name, "version": model.version}
    if not model.trusted:
        yield make("untrusted_model", node=node.id, **which)
    for warning in model.warnings:
        yield make(
            "compat_warning", node=node.id, severity="warning", warning=warning, **which
        )


def _infer(
    graph: Graph,
    resolved: dict[str, ResolvedModel],
    failed: frozenset[str | None],
    chains: dict[str, ChainInfo],
) -> tuple[dict[str, Schema | None], list[Problem]]:
    """Infer schemas in topological order, skipping nodes already failed."""
    schemas: dict[str, Schema | None] = {}
    problems: list[Problem] = []
    for node_id in graph.order:
        node = graph.nodes[node_id]
        if node_id in failed:
            schemas[node_id] = None
            continue
        schemas[node_id] = _node_schema(
            graph, node, schemas, (resolved, chains), problems
        )
    return schemas, problems


def _node_schema(
    graph: Graph,
    node: Node,
    schemas: dict[str, Schema | None],
    found: tuple[dict[str, ResolvedModel], dict[str, ChainInfo]],
    problems: list[Problem],
) -> Schema | None:
    parents = () if node.kind == "input" else graph.parents[node.id]
    upstream = [(p, schemas[p]) for p in parents]
    if any(schema is None for _, schema in upstream):
        return None
    joined, sources = join_schemas([(p, s) for p, s in upstream if s is not None])
    ctx = StepContext(
        node.id,
        model=found[0].get(node.id),
        sources=sources,
        parents=parents,
        chain=found[1].get(node.id),
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
    raise StepSchemaError([ctx.problem("duplicate_columns", columns=dupes)])
