"""Benchmark: the sales-optimize demo chain through the runner vs numpy/scikit-learn.

On the embedded configuration (SQLite + filesystem broker, a fresh var folder),
with the demo models, chains and one worker (2 processes), for 1, 1,000 and
100,000 rows x 21 candidates it measures, in the same run:

- **direct**: the same work written by hand, the stacked chain's predictions
  (``catena.reference.direct``) and the optimize node
  (``catena.reference_optimize.direct_optimize``), models already in memory;
- **run**: a run of ``sales-optimize`` submitted as the API does
  (``run_start`` on a data set) until it finished, every node computed;
- **optimize parts**: the what-if and choose nodes' own seconds in that run,
  against ``direct_optimize`` alone;
- **objective only**: a new chain version whose objective differs, run on the
  same data set (the what-if predictions are reused), against the first run;
- **identical**: the first version again on the same data set (all reused).

Goals (issue 11): at 100,000 rows the run at most 1.10x direct; the
objective-only rerun at most 1% of the first run; an identical rerun under 5%.

    .venv/bin/python bench/optimize.py [--json] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
from _common import emit, parser, table
from _site import demo_install, embedded_child, worker_start, worker_stop

SIZES = (1, 1_000, 100_000)
QUICK_SIZES = (1, 1_000)
OTHER_OBJECTIVE = "(price - unit_cost) * prediction - 0.5 * price"


def main() -> None:
    cli = parser(__doc__ or "")
    cli.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = cli.parse_args()
    if args.child:
        child(args.quick)
        return
    figures = embedded_child(__file__, "optimize", args.quick)
    report(figures)
    emit(figures, args.json)


def report(figures: dict[str, Any]) -> None:
    headers = [
        "rows",
        "direct ms",
        "run ms",
        "run/direct",
        "parts ms",
        "direct optimize ms",
        "parts/direct",
        "objective-only ms",
        "obj/1st",
        "identical ms",
        "ident/1st",
    ]
    rows = [
        [
            int(size),
            f["direct_ms"],
            f["run_ms"],
            f["ratio"],
            f["parts_ms"],
            f["direct_optimize_ms"],
            f["parts_ratio"],
            f["objective_only_ms"],
            f"{f['objective_only_pct']:.2f}%",
            f["identical_ms"],
            f"{f['identical_pct']:.2f}%",
        ]
        for size, f in figures["sizes"].items()
    ]
    print(table(headers, rows))
    print(
        "Goals at 100,000 rows: run/direct <= 1.10; objective-only rerun <= 1% of "
        "the first run; identical rerun < 5%."
    )


def child(quick: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    user = demo_install()
    worker = worker_start()
    try:
        measure(1, user)  # warms both pool processes' model caches
        sizes = QUICK_SIZES if quick else SIZES
        result = {str(rows): measure(rows, user) for rows in sizes}
    finally:
        worker_stop(worker)
    print(json.dumps({"sizes": result, "candidates": 21}))


_seed = iter(range(1000, 10**6))


def measure(rows: int, user: Any) -> dict[str, Any]:
    from builder.models import ChainVersion
    from builder.services import chain_version_save
    from catena.reference import direct, fit_reference
    from catena.reference_optimize import direct_optimize, fit_predictor, optimize_data
    from runner.services.datasets import dataset_create_from_frame

    # Version 1 as the demo saved it; each call saves its own objective variant.
    version = ChainVersion.objects.get(chain__name="sales-optimize", number=1)
    seed = next(_seed)
    data = optimize_data(rows, seed=seed)
    dataset = dataset_create_from_frame(
        name=f"opt-{rows}-{id(data)}", df=data, owner=user
    )
    estimators, predictor = fit_reference(0), fit_predictor(0)
    start = time.perf_counter()
    direct(estimators, data)
    middle = time.perf_counter()
    direct_optimize(predictor, data)
    direct_s, optimize_s = time.perf_counter() - start, time.perf_counter() - middle
    first = run_time(version, user, dataset)
    document = json.loads(json.dumps(version.document))
    optimize = next(n for n in document["nodes"] if n["id"] == "optimize")
    optimize["params"]["objective"] = OTHER_OBJECTIVE + f" + 0 * {seed}"
    other, _ = chain_version_save(
        chain=version.chain, document=document, user=user, message="bench"
    )
    objective_only = run_time(other, user, dataset)
    identical = run_time(version, user, dataset)
    assert objective_only["computed"] == ["optimize", "out"], objective_only
    assert identical["computed"] == [], identical
    return {
        "direct_ms": round(direct_s * 1000, 2),
        "run_ms": round(first["seconds"] * 1000, 2),
        "ratio": round(first["seconds"] / direct_s, 3),
        "parts_ms": round(first["parts"] * 1000, 2),
        "direct_optimize_ms": round(optimize_s * 1000, 2),
        "parts_ratio": round(first["parts"] / optimize_s, 3),
        "objective_only_ms": round(objective_only["seconds"] * 1000, 2),
        "objective_only_pct": round(
            100 * objective_only["seconds"] / first["seconds"], 2
        ),
        "identical_ms": round(identical["seconds"] * 1000, 2),
        "identical_pct": round(100 * identical["seconds"] / first["seconds"], 2),
    }


def run_time(version: Any, user: Any, dataset: Any) -> dict[str, Any]:
    """Submit a run as the API does and wait for it; times from the rows written."""
    from runner.models import Run
    from runner.services.runs import run_start

    submitted = time.time()
    run = run_start(chain_version=version, user=user, dataset=dataset)
    while True:
        run.refresh_from_db()
        if not run.is_active:
            break
        time.sleep(0.02)
    if run.status != Run.Status.SUCCEEDED:
        raise RuntimeError(f"run {run.id} {run.status}: {run.error}")
    nodes = list(run.nodes.all())
    parts = [n for n in nodes if n.node_id in ("optimize", "optimize.whatif")]
    return {
        "seconds": run.finished_at.timestamp() - submitted,
        "parts": sum(n.seconds or 0.0 for n in parts),
        "computed": sorted(n.node_id for n in nodes if n.status == "succeeded"),
    }


if __name__ == "__main__":
    main()
