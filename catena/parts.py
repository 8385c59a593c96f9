"""Parts: one canvas node stored as several nodes (the optimize step's what-if).

A kind whose module has ``parts(params)`` expands each of its nodes, when the
document is loaded, into internal nodes ``<id>.<suffix>`` (a ``.`` never
appears in written ids, so they cannot clash). Each part takes the node's
incoming edges; the node itself then takes its parents and, last, its parts.
Keys, validation, the executor and the runner see ordinary nodes, each with
its own key and stored output; :func:`catena.graph.dump` leaves parts out, and
:func:`owner` maps a part back to its canvas node for problems.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from pydantic import ValidationError

from catena import steps
from catena.problems import Problem, make

if TYPE_CHECKING:
    from catena.graph import Edge, Node

SEPARATOR = "."


def expand(
    nodes: dict[str, Node], edges: list[Edge], problems: list[Problem]
) -> tuple[dict[str, Node], list[Edge]]:
    """Return the nodes with their parts (each just before its owner), and edges.

    The written edges keep their order; the parts' edges follow them.
    """
    expanded: dict[str, Node] = {}
    extra: list[Edge] = []
    for node in nodes.values():
        for part in _parts(node, problems):
            expanded[part.id] = part
            extra += [(a, part.id) for a, b in edges if b == node.id]
            extra.append((part.id, node.id))
        expanded[node.id] = node
    return expanded, edges + extra


def _parts(node: Node, problems: list[Problem]) -> list[Node]:
    make_parts = steps.get(node.kind).parts
    if make_parts is None:
        return []
    found = []
    for suffix, kind, raw in make_parts(node.params):
        try:
            params = steps.get(kind).Params.model_validate(raw)
        except ValidationError as exc:
            detail = exc.errors()[0]["msg"]
            problems.append(
                make(
                    "bad_params",
                    node=node.id,
                    path="(root)",
                    type="part",
                    detail=detail,
                )
            )
            continue
        part_id = f"{node.id}{SEPARATOR}{suffix}"
        found.append(
            dataclasses.replace(
                node, id=part_id, kind=kind, params=params, raw=raw, part_of=node.id
            )
        )
    return found


def owner(node_id: str | None) -> str | None:
    """The canvas node a node id belongs to (itself, unless it is a part).

    Examples
    --------
    >>> owner("opt.whatif"), owner("opt"), owner(None)
    ('opt', 'opt', None)
    """
    if node_id is None:
        return None
    return node_id.split(SEPARATOR, 1)[0]


def on_canvas(problem: Problem) -> Problem:
    """The problem moved from a part to its canvas node (edges likewise)."""
    node = owner(problem.node)
    edge = problem.edge
    if edge is not None:
        ends = (owner(edge[0]), owner(edge[1]))
        edge = None if ends[0] == ends[1] else (str(ends[0]), str(ends[1]))
    if node == problem.node and edge == problem.edge:
        return problem
    return dataclasses.replace(problem, node=node, edge=edge)
