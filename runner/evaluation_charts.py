"""The run page's evaluation charts: predicted vs actual, or a confusion matrix;
and the experiment page's bar chart per metric (one bar per variant).

Drawn from the chart data stored with the run's evaluation (a sample of rows,
or the matrix), or from the variants' metrics, as SVG coordinates and cell
shades; nothing is read from files.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from catena.metrics import (
    CLASSIFICATION_METRICS,
    METRIC_TITLES,
    REGRESSION_METRICS,
    best_first,
    lower_is_better,
)

SIZE, PAD = 240, 10
#: A metric's bar chart: the variant's label on the left, its bar, the value
#: on the right; one row of ``BAR_ROW`` pixels per variant.
BAR_WIDTH, BAR_LABEL, BAR_VALUE, BAR_ROW, BAR_HEIGHT = 320, 110, 70, 22, 14
#: Longer variant labels are cut (the whole label is in the bar's title).
BAR_LABEL_CHARS = 16


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


def metric_order(names: Iterable[str]) -> list[str]:
    """Metric names in the order scoring gives them, unknown ones after (by name)."""
    known = [*REGRESSION_METRICS, *CLASSIFICATION_METRICS]
    given = set(names)
    return [n for n in known if n in given] + sorted(given - set(known))


def metric_bars(
    variants: Iterable[tuple[int, str, dict[str, Any]]],
) -> list[dict[str, Any]]:
    """One chart per metric, one bar per variant with a value, best first.

    ``variants`` are ``(position, label, metrics)``. A value that is missing or
    not a finite number gets no bar (its variant is listed in ``missing``).
    Bars start at zero, so a negative R² points left of the axis.
    """
    variants = list(variants)
    names = metric_order(name for _, _, metrics in variants for name in metrics)
    return [_bar_chart(name, variants) for name in names]


def _bar_chart(
    name: str, variants: list[tuple[int, str, dict[str, Any]]]
) -> dict[str, Any]:
    valued: list[tuple[int, str, float]] = []
    missing: list[tuple[int, str]] = []
    for position, label, metrics in variants:
        value: Any = metrics.get(name)
        if _finite(value):
            valued.append((position, label, float(value)))
        else:
            missing.append((position, label))
    # Best first; equal values keep the variants' order.
    valued.sort(key=lambda v: (best_first(name, v[2]), v[0]))
    lo = min([0.0, *(v for _, _, v in valued)])
    hi = max([0.0, *(v for _, _, v in valued)])
    span = (hi - lo) or 1.0
    area = BAR_WIDTH - BAR_LABEL - BAR_VALUE

    def at(value: float) -> float:
        return round(BAR_LABEL + area * (value - lo) / span, 1)

    zero = at(0.0)
    bars = []
    for i, (position, label, value) in enumerate(valued):
        end = at(value)
        short = (
            label
            if len(label) <= BAR_LABEL_CHARS
            else label[: BAR_LABEL_CHARS - 1] + "…"
        )
        bars.append(
            {
                "position": position,
                "label": label,
                "short": short,
                "value": value,
                "x": min(zero, end),
                "y": i * BAR_ROW + (BAR_ROW - BAR_HEIGHT) // 2,
                # A zero value still shows a hairline.
                "w": max(round(abs(end - zero), 1), 1.0),
                "h": BAR_HEIGHT,
                "text_y": i * BAR_ROW + BAR_ROW // 2 + 4,
                "best": i == 0,
            }
        )
    return {
        "metric": name,
        "title": METRIC_TITLES.get(name, name),
        "better": "lower" if lower_is_better(name) else "higher",
        "width": BAR_WIDTH,
        "height": max(len(bars), 1) * BAR_ROW,
        "zero": zero,
        "label_x": BAR_LABEL - 6,
        "value_x": BAR_WIDTH - 4,
        "bars": bars,
        "missing": [{"position": p, "label": label} for p, label in missing],
    }


def _finite(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )
