"""The run page's evaluation charts: predicted vs actual, or a confusion matrix.

Drawn from the chart data stored with the run's evaluation (a sample of rows,
or the matrix) as SVG coordinates and cell shades; nothing is read from files.
"""

from __future__ import annotations

import math
from typing import Any

SIZE, PAD = 240, 10


def evaluation_chart(chart: dict[str, Any] | None) -> dict[str, Any] | None:
    """The chart ready for the template, or None when there is nothing to draw."""
    if not chart:
        return None
    if chart.get("kind") == "scatter":
        return _scatter(chart)
    if chart.get("kind") == "confusion":
        return _confusion(chart)
    return None


def _scatter(chart: dict[str, Any]) -> dict[str, Any] | None:
    points = [
        (a, p)
        for a, p in chart.get("points", [])
        if isinstance(a, int | float) and isinstance(p, int | float)
        if math.isfinite(a) and math.isfinite(p)
    ]
    if not points:
        return None
    lo = min(min(a, p) for a, p in points)
    hi = max(max(a, p) for a, p in points)
    span = (hi - lo) or 1.0

    def at(value: float, flip: bool) -> float:
        share = (value - lo) / span
        return round(PAD + (SIZE - 2 * PAD) * (1 - share if flip else share), 1)

    return {
        "kind": "scatter",
        "node": chart.get("node", ""),
        "size": SIZE,
        "dots": [(at(a, False), at(p, True)) for a, p in points],
        "diagonal": (at(lo, False), at(lo, True), at(hi, False), at(hi, True)),
        "range": (lo, hi),
        "count": len(points),
    }


def _confusion(chart: dict[str, Any]) -> dict[str, Any] | None:
    labels, matrix = chart.get("labels", []), chart.get("matrix", [])
    if not labels or len(matrix) != len(labels):
        return None
    peak = max((max(row) for row in matrix if row), default=0) or 1
    rows = [
        (label, [(count, round(0.1 + 0.9 * count / peak, 2)) for count in row])
        for label, row in zip(labels, matrix, strict=True)
    ]
    return {
        "kind": "confusion",
        "node": chart.get("node", ""),
        "labels": labels,
        "rows": rows,
    }
