"""The run page's optimize curves: objective over the candidates, for a few rows.

Drawn from the stored preview of an optimize node made with ``"curve": true``
(columns ``best_<decision>``, ``best_objective``, ..., ``curve_<decision>_<i>``,
``curve_objective_<i>``), as SVG coordinates; nothing is read from files.
"""

from __future__ import annotations

import math
from typing import Any

WIDTH, HEIGHT, PAD = 320, 140, 8
ROWS = 3


def optimize_curves(preview: dict[str, Any], rows: int = ROWS) -> list[dict[str, Any]]:
    """One chart per preview row (the first ``rows``): points and the chosen one."""
    columns = preview.get("columns", [])
    ys = [i for i, c in enumerate(columns) if c.startswith("curve_objective_")]
    if not ys or not columns[0].startswith("best_"):
        return []
    decision = columns[0].removeprefix("best_")
    xs = [columns.index(f"curve_{decision}_{i}") for i in range(len(ys))]
    best = (0, columns.index("best_objective"))
    charts = []
    for row_id, row in list(zip(preview["index"], preview["rows"], strict=False))[
        :rows
    ]:
        points = [(row[x], row[y]) for x, y in zip(xs, ys, strict=True)]
        chart = _chart(points, (row[best[0]], row[best[1]]))
        if chart is not None:
            charts.append({"row": row_id, "decision": decision, **chart})
    return charts


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _chart(
    points: list[tuple[Any, Any]], chosen: tuple[Any, Any]
) -> dict[str, Any] | None:
    shown = [(x, y) for x, y in points if _finite(x) and _finite(y)]
    if not shown:
        return None
    x_lo, x_hi = min(x for x, _ in shown), max(x for x, _ in shown)
    y_lo, y_hi = min(y for _, y in shown), max(y for _, y in shown)

    def at(x: float, y: float) -> tuple[float, float]:
        sx = PAD + (WIDTH - 2 * PAD) * (
            (x - x_lo) / (x_hi - x_lo) if x_hi > x_lo else 0.5
        )
        sy = (
            HEIGHT
            - PAD
            - (HEIGHT - 2 * PAD) * ((y - y_lo) / (y_hi - y_lo) if y_hi > y_lo else 0.5)
        )
        return round(sx, 1), round(sy, 1)

    line = " ".join(f"{sx},{sy}" for sx, sy in (at(x, y) for x, y in shown))
    mark = at(*chosen) if _finite(chosen[0]) and _finite(chosen[1]) else None
    return {
        "points": line,
        "mark": mark,
        "chosen": chosen,
        "x_range": (x_lo, x_hi),
        "y_range": (y_lo, y_hi),
    }
