"""Boxes and arrows of a graph document, for the read-only SVG on the chain page.

The document's ``layout`` places nodes as the canvas left them. When any node
has no position, every node is placed in layers instead: one column per
topological generation (networkx), so the drawing still reads left to right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from builder.diff import model_reference

NODE_WIDTH = 172
NODE_HEIGHT = 46
COLUMN_GAP = 70
ROW_GAP = 28
MARGIN = 16


@dataclass(frozen=True)
class Box:
    id: str
    kind: str
    label: str
    x: float
    y: float
    width: int = NODE_WIDTH
    height: int = NODE_HEIGHT
    status: str = ""


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    path: str


@dataclass(frozen=True)
class Drawing:
    boxes: list[Box]
    arrows: list[Arrow]
    width: float
    height: float


def document_drawing(
    doc: Mapping[str, Any], *, marks: Mapping[str, str] | None = None
) -> Drawing:
    """Place the document's nodes and route its edges; ``marks`` tags boxes."""
    nodes = [n for n in doc.get("nodes", []) if isinstance(n, Mapping)]
    ids = [str(n.get("id")) for n in nodes]
    edges = [(str(a), str(b)) for a, b in doc.get("edges", []) if a in ids and b in ids]
    points = _positions(ids, edges, doc.get("layout") or {})
    marks = marks or {}
    boxes = [
        Box(
            i,
            str(n.get("kind")),
            _label(n),
            *points[i],
            status=marks.get(i, ""),
        )
        for i, n in zip(ids, nodes, strict=True)
    ]
    by_id = {b.id: b for b in boxes}
    arrows = [Arrow(a, b, _route(by_id[a], by_id[b])) for a, b in edges]
    width = max((b.x + b.width for b in boxes), default=0) + MARGIN
    height = max((b.y + b.height for b in boxes), default=0) + MARGIN
    return Drawing(boxes, arrows, width, height)


def _label(node: Mapping[str, Any]) -> str:
    if node.get("kind") == "model":
        return model_reference(node)
    return str(node.get("kind"))


def _positions(
    ids: list[str], edges: list[tuple[str, str]], layout: Mapping[str, Any]
) -> dict[str, tuple[float, float]]:
    if ids and all(_is_point(layout.get(i)) for i in ids):
        raw = {i: (float(layout[i][0]), float(layout[i][1])) for i in ids}
    else:
        raw = layered_layout(ids, edges)
    left = min((x for x, _ in raw.values()), default=0)
    top = min((y for _, y in raw.values()), default=0)
    return {i: (x - left + MARGIN, y - top + MARGIN) for i, (x, y) in raw.items()}


def _is_point(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def layered_layout(
    ids: list[str], edges: list[tuple[str, str]]
) -> dict[str, tuple[float, float]]:
    """One column per topological generation, rows in document order."""
    dag = nx.DiGraph()
    dag.add_nodes_from(ids)
    dag.add_edges_from(edges)
    try:
        generations = [list(g) for g in nx.topological_generations(dag)]
    except nx.NetworkXUnfeasible:
        # A draft may hold a cycle; one column per node keeps it readable.
        generations = [[i] for i in ids]
    order = {node: index for index, node in enumerate(ids)}
    points = {}
    for column, generation in enumerate(generations):
        for row, node in enumerate(sorted(generation, key=order.__getitem__)):
            points[node] = (
                float(column * (NODE_WIDTH + COLUMN_GAP)),
                float(row * (NODE_HEIGHT + ROW_GAP)),
            )
    return points


def _route(source: Box, target: Box) -> str:
    x1, y1 = source.x + source.width, source.y + source.height / 2
    x2, y2 = target.x, target.y + target.height / 2
    bend = max(abs(x2 - x1) / 2, 30)
    c1, c2 = x1 + bend, x2 - bend
    return f"M{x1:.0f},{y1:.0f} C{c1:.0f},{y1:.0f} {c2:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
