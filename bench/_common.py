"""Helpers shared by the benchmarks: timing, a readable table, ``--json``."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from anywhere
    sys.path.insert(0, str(ROOT))


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the flags every benchmark takes."""
    result = argparse.ArgumentParser(description=description)
    result.add_argument(
        "--json",
        action="store_true",
        help="print the figures as one JSON object on the last line",
    )
    result.add_argument(
        "--quick", action="store_true", help="fewer repeats (a smoke run)"
    )
    return result


def median_seconds(
    fns: Sequence[Callable[[], object]], repeats: int, warmup: int = 2
) -> list[float]:
    """Median wall time of each of ``fns`` over ``repeats`` interleaved rounds.

    Interleaving (a, b, a, b, ...) exposes every candidate to the same machine
    load, so the ratio stays meaningful on a busy machine.
    """
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, spent in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Format rows as a Markdown table with right-aligned columns."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |"
        for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def emit(figures: dict[str, Any], as_json: bool) -> None:
    """Print the figures as one JSON object on the last line, when asked."""
    if as_json:
        print(json.dumps(figures, sort_keys=True))
