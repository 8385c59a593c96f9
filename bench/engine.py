"""Benchmark: catena's in-process executor against the same models called by hand.

Runs the reference chain (``catena/reference.py``) on 1, 1,000 and 100,000
rows. Goals: at 100,000 rows the executor takes at most 1.05x the direct time;
at 1 row its overhead is at most 100 µs per node. "engine-only" runs the same
graph with models that answer at once: the executor's own cost, which does not
move with the machine's load the way the two differences of sklearn timings do.

    .venv/bin/python bench/engine.py [--json] [--quick]
"""

from __future__ import annotations

from dataclasses import replace

import _common  # noqa: F401 - puts the repository root on sys.path
import numpy as np
from _common import emit, median_seconds, parser, table

from catena.executor import run
from catena.graph import load
from catena.reference import build_reference, direct, estimators_of
from catena.resolving import DictResolver

SIZES = {1: 300, 1_000: 100, 100_000: 7}


class Instant:
    """A stand-in model answering at once with zeros of the signature's width."""

    def __init__(self, width: int) -> None:
        self.width = width

    def call(self, method: str, frame: object) -> np.ndarray:
        rows = len(frame)  # type: ignore[arg-type]
        return np.zeros(rows) if self.width == 1 else np.zeros((rows, self.width))


def instant_resolver(resolver: DictResolver) -> DictResolver:
    """The same chain's signatures with models that take no time."""
    models = {}
    for name, versions in resolver.models.items():
        model = versions[1]
        method = "transform" if "transform" in model.signature.outputs else "predict"
        adapter = Instant(len(model.signature.outputs[method]))
        models[name] = [replace(model, loader=lambda a=adapter: a)]
    return DictResolver(models)


GOAL_RATIO_100K = 1.05
GOAL_OVERHEAD_US = 100.0


def measure(rows: int, repeats: int) -> dict[str, float]:
    """Time both paths on ``rows`` rows; check they agree to 1e-9."""
    doc, resolver, data = build_reference(rows, seed=0)
    graph = load(doc)
    estimators = estimators_of(resolver)
    fast = instant_resolver(resolver)
    ours = run(graph, data, resolver).outcomes["out"].output["prediction"].to_numpy()
    np.testing.assert_allclose(ours, direct(estimators, data), rtol=0, atol=1e-9)
    t_direct, t_catena = median_seconds(
        [lambda: direct(estimators, data), lambda: run(graph, data, resolver)], repeats
    )
    per_node_us = (t_catena - t_direct) / len(graph.nodes) * 1e6
    (t_engine,) = median_seconds([lambda: run(graph, data, fast)], repeats)
    return {
        "rows": rows,
        "direct_ms": t_direct * 1e3,
        "catena_ms": t_catena * 1e3,
        "ratio": t_catena / t_direct,
        "overhead_per_node_us": per_node_us,
        "engine_only_per_node_us": t_engine / len(graph.nodes) * 1e6,
    }


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    results = [
        measure(rows, max(3, reps // (10 if args.quick else 1)))
        for rows, reps in SIZES.items()
    ]
    headers = [
        "rows",
        "direct ms",
        "catena ms",
        "ratio",
        "overhead/node µs",
        "engine-only/node µs",
    ]
    print(table(headers, [list(r.values()) for r in results]))
    by_rows = {r["rows"]: r for r in results}
    goals = {
        "ratio_100k_ok": by_rows[100_000]["ratio"] <= GOAL_RATIO_100K,
        "overhead_1_row_ok": by_rows[1]["overhead_per_node_us"] <= GOAL_OVERHEAD_US,
    }
    ratio_ok, overhead_ok = goals["ratio_100k_ok"], goals["overhead_1_row_ok"]
    print(
        f"goals: 100k ratio <= {GOAL_RATIO_100K}: {ratio_ok}; "
        f"1-row overhead <= {GOAL_OVERHEAD_US:.0f} µs/node: {overhead_ok}"
    )
    emit({"results": results, "goals": goals}, args.json)


if __name__ == "__main__":
    main()
