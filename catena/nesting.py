"""Resolving a graph's chain nodes: refusing cycles, depth and size bombs.

Each chain node's saved chain is resolved and checked in its turn (its own
chain nodes included), once per chain version and nesting depth, so a chain
that uses another many times over costs one check per version, never one per
path. :func:`catena.validation.check` calls :func:`resolve_chains` and hands
in itself as ``check`` (this module cannot import it: validation imports this).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from catena.chains import MAX_DEPTH, MAX_NODES, ChainInfo, output_node
from catena.errors import ChainNotFoundError
from catena.graph import Graph, Node
from catena.problems import Problem, make
from catena.resolving import ResolvedChain, Resolver
from catena.schema import Column, Schema
from catena.steps.chain import Params as ChainParams

if TYPE_CHECKING:
    from catena.validation import Report


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a chain node cannot use its chain: a problem code and its fields."""

    code: str
    fields: dict[str, Any]

    def at(self, node: str) -> Problem:
        """Return the refusal as a problem on ``node``."""
        extra: dict[str, Any] = {}
        if self.code == "chain_cycle":
            extra["path"] = " -> ".join(self.fields["cycle"])
        if self.code == "chain_invalid":
            first = self.fields["problems"][:1]
            extra["first"] = first[0]["message"] if first else self.fields["detail"]
            fields = {k: v for k, v in self.fields.items() if k != "detail"}
            return make(self.code, node=node, extra=extra, **fields)
        return make(self.code, node=node, extra=extra, **self.fields)


@dataclass(frozen=True, slots=True)
class Nesting:
    """Where a check is: the chains around it, its depth, what was found so far."""

    stack: tuple[str, ...] = ()
    depth: int = 0
    memo: dict[tuple[str, int, int], ChainInfo | Refusal] = field(default_factory=dict)

    def inside(self, name: str) -> Nesting:
        """The nesting of the chain ``name`` used here."""
        return Nesting((*self.stack, name), self.depth + 1, self.memo)


Check = Callable[[Graph, Resolver, Nesting], "Report"]


def resolve_chains(
    graph: Graph,
    resolver: Resolver,
    nesting: Nesting,
    problems: list[Problem],
    check: Check,
) -> dict[str, ChainInfo]:
    """Resolve and check every chain node; append the refusals to ``problems``."""
    found: dict[str, ChainInfo] = {}
    for node in graph.nodes.values():
        if not isinstance(node.params, ChainParams):
            continue
        outcome = _info(node.params, resolver, nesting, check)
        if isinstance(outcome, Refusal):
            problems.append(outcome.at(node.id))
            continue
        found[node.id] = outcome
        problems.extend(_moved(node, node.params, outcome.chain))
    return found


def _moved(node: Node, params: ChainParams, chain: ResolvedChain) -> Iterator[Problem]:
    if params.version == "@live" and params.drawn not in (None, chain.version):
        yield make(
            "chain_live_moved",
            node=node.id,
            severity="warning",
            chain=chain.name,
            drawn=params.drawn,
            version=chain.version,
        )


def _info(
    params: ChainParams, resolver: Resolver, nesting: Nesting, check: Check
) -> ChainInfo | Refusal:
    try:
        chain = resolver.resolve_chain(params.chain, params.version)
    except ChainNotFoundError as exc:
        fields = {"chain": params.chain, "version": params.version, "detail": str(exc)}
        return Refusal("unknown_chain", fields)
    if chain.name in nesting.stack:
        cycle = [*nesting.stack[nesting.stack.index(chain.name) :], chain.name]
        return Refusal("chain_cycle", {"cycle": cycle})
    if nesting.depth + 1 > MAX_DEPTH:
        return Refusal("chain_depth", {"depth": nesting.depth + 1, "limit": MAX_DEPTH})
    key = (chain.name, chain.version, nesting.depth)
    if key not in nesting.memo:
        nesting.memo[key] = inspect_chain(
            chain, resolver, nesting.inside(chain.name), check
        )
    return nesting.memo[key]


def inspect_chain(
    chain: ResolvedChain, resolver: Resolver, nesting: Nesting, check: Check
) -> ChainInfo | Refusal:
    """Check a resolved chain inside ``nesting``: its info, or why it is refused."""
    report = check(chain.graph, resolver, nesting)
    errors = [p for p in report.problems if p.severity == "error"]
    for problem in errors:
        if problem.code in ("chain_cycle", "chain_depth", "chain_size"):
            return Refusal(problem.code, dict(problem.data))
    which = {"chain": chain.name, "version": chain.version}
    if errors:
        listed = [p.as_dict() for p in errors[:20]]
        return Refusal("chain_invalid", {**which, "problems": listed, "detail": ""})
    try:
        out = output_node(chain.graph)
    except ValueError as exc:
        return Refusal("chain_invalid", {**which, "problems": [], "detail": str(exc)})
    size = sum(
        1 + (report.chains[n].size if n in report.chains else 0)
        for n in chain.graph.nodes
    )
    if size > MAX_NODES:
        return Refusal("chain_size", {"nodes": size, "limit": MAX_NODES})
    height = 1 + max((c.height for c in report.chains.values()), default=0)
    outputs = report.schemas.get(out) or ()
    return ChainInfo(
        chain,
        _inputs(chain.graph, report),
        outputs,
        report.resolved,
        report.chains,
        height,
        size,
    )


def _inputs(graph: Graph, report: Report) -> Schema:
    """The columns of the chain's input nodes, each once, in document order."""
    columns: dict[str, Column] = {}
    for node in graph.nodes.values():
        if node.kind == "input":
            for column in report.schemas.get(node.id) or ():
                columns.setdefault(column.name, column)
    return tuple(columns.values())
