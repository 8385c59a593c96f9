"""Benchmark: the reference chain through the Celery runner vs the in-process executor.

For each configuration (the embedded default: SQLite + filesystem broker; and
PostgreSQL + Redis) this starts a fresh database, installs the demo models and
the reference chain (``sales-stacked``), starts one worker with 2 processes,
then for 1 and 100,000 rows measures:

- the in-process executor (``catena.executor.run``, models warm);
- a runner run with every node computed (fresh input each time), submit to end;
- orchestration overhead per node = (runner - in-process) / nodes;
- the time from submitting to the first node starting;
- a second identical run (every node reused), against the first run's time.

Goals (issue 5): at 1 row at most 8 ms per node on Redis; at 100,000 rows at
most 1.15x the in-process executor; the second run under 5% of the first.

    .venv/bin/python bench/runner.py [--json] [--quick] [--only embedded|redis-pg]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
from _common import ROOT, emit, parser, table
from _site import demo_install, worker_start, worker_stop

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "catena_bench_runner"
CONFIGS = {
    "embedded": {"CELERY_BROKER_URL": "filesystem://"},
    "redis-pg": {
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}",
    },
}
SIZES = {1: 12, 100_000: 3}
QUICK_SIZES = {1: 4, 100_000: 1}


# Parent: one child process per configuration -------------------------------------
def main() -> None:
    cli = parser(__doc__ or "")
    cli.add_argument("--only", choices=sorted(CONFIGS))
    cli.add_argument("--child", help=argparse_hidden())
    args = cli.parse_args()
    if args.child:
        child(args.child, args.quick)
        return
    figures: dict[str, Any] = {}
    for name in [args.only] if args.only else list(CONFIGS):
        figures[name] = configuration_run(name, args.quick)
    report(figures)
    emit(figures, args.json)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def configuration_run(name: str, quick: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"catena-bench-runner-{name}-"))
    env = {**os.environ, "CATENA_VAR_DIR": str(work)}
    env.pop("DATABASE_URL", None)
    env.update(CONFIGS[name])
    command = [sys.executable, __file__, "--child", name]
    if quick:
        command.append("--quick")
    print(f"[{name}] measuring (var: {work})", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        # Kept for its worker.log.
        return {"error": done.stderr.strip().splitlines()[-5:], "var": str(work)}
    # ~100 MB of stored outputs per configuration.
    shutil.rmtree(work, ignore_errors=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(figures: dict[str, Any]) -> None:
    rows = []
    for name, result in figures.items():
        if "error" in result:
            print(f"{name}: failed: {result['error']}")
            continue
        for size, f in result["sizes"].items():
            rows.append(
                [
                    name,
                    int(size),
                    f["in_process_ms"],
                    f["runner_ms"],
                    f["overhead_ms_per_node"],
                    f["ratio"],
                    f["first_node_start_ms"],
                    f["reused_run_ms"],
                    f"{f['reused_share_pct']:.1f}%",
                    f["all_reused"],
                ]
            )
    headers = [
        "config",
        "rows",
        "in-process ms",
        "runner ms",
        "overhead ms/node",
        "ratio",
        "submit->1st node ms",
        "2nd run ms",
        "2nd/1st",
        "all reused",
    ]
    print(table(headers, rows))
    print(
        "Goals: overhead <= 8 ms/node at 1 row on Redis; ratio <= 1.15 at 100,000 "
        "rows; second run < 5% of the first."
    )


# Child: one configuration, Django set up on its own database -----------------------
def child(name: str, quick: bool) -> None:
    if name == "redis-pg":
        postgres_database_fresh()
        redis_flush(CONFIGS[name]["CELERY_BROKER_URL"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    user = demo_install()
    worker = worker_start()
    try:
        sizes = QUICK_SIZES if quick else SIZES
        result = {
            str(rows): measure(rows, repeats, user) for rows, repeats in sizes.items()
        }
    finally:
        worker_stop(worker)
    print(json.dumps({"sizes": result, "nodes": NODES}))


NODES = 8
WARMUP_RUNS = 3


def postgres_database_fresh() -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def measure(rows: int, repeats: int, user: Any) -> dict[str, Any]:
    from catena.executor import run as run_in_process
    from catena.reference import synthetic_sales
    from registry.resolver import RegistryResolver
    from runner.compute import chain_graph
    from runner.selectors import chain_version_pick
    from runner.services.datasets import dataset_create_from_frame

    version = chain_version_pick(chain_name="sales-stacked")
    graph = chain_graph(version.id)
    resolver = RegistryResolver()
    datasets = [
        dataset_create_from_frame(
            name=f"bench-{rows}-{i}",
            df=synthetic_sales(rows, seed=100 + i)[0],
            owner=user,
        )
        for i in range(repeats)
    ]
    # The first runs warm up both pool processes (models load once per process).
    for i in range(WARMUP_RUNS):
        frame = synthetic_sales(rows, seed=50 + i)[0]
        warm = dataset_create_from_frame(name=f"warm-{rows}-{i}", df=frame, owner=user)
        runner_time(version, user, warm)
    runner_runs = [runner_time(version, user, d) for d in datasets]
    inputs = [synthetic_sales(rows, seed=100 + i)[0] for i in range(repeats)]
    run_in_process(graph, inputs[0], resolver)
    local = []
    for frame in inputs:
        start = time.perf_counter()
        run_in_process(graph, frame, resolver)
        local.append(time.perf_counter() - start)
    measured = runner_runs
    reused = [runner_time(version, user, d) for d in datasets]
    return summary(local, measured, reused)


def runner_time(version: Any, user: Any, dataset: Any) -> dict[str, Any]:
    """Submit a run and wait for it; times come from the rows the workers wrote."""
    from runner.models import Run
    from runner.services.runs import run_start

    submitted = time.time()
    run = run_start(chain_version=version, user=user, dataset=dataset)
    while True:
        run.refresh_from_db()
        if not run.is_active:
            break
        # The figures come from the rows' timestamps, so slow polling costs no
        # accuracy and leaves the two cores to the workers.
        time.sleep(0.05)
    if run.status != Run.Status.SUCCEEDED:
        raise RuntimeError(f"run {run.id} {run.status}: {run.error}")
    starts = [n.started_at for n in run.nodes.all() if n.started_at is not None]
    statuses = set(run.nodes.values_list("status", flat=True))
    return {
        "seconds": run.finished_at.timestamp() - submitted,
        "first_start": (min(starts).timestamp() - submitted) if starts else None,
        "all_reused": statuses == {"reused"},
    }


def summary(
    local: list[float], runs: list[dict[str, Any]], reused: list[dict[str, Any]]
) -> dict[str, Any]:
    in_process = statistics.median(local)
    runner = statistics.median(r["seconds"] for r in runs)
    first = statistics.median(r["first_start"] for r in runs)
    second = statistics.median(r["seconds"] for r in reused)
    return {
        "in_process_ms": round(in_process * 1000, 2),
        "runner_ms": round(runner * 1000, 2),
        "overhead_ms_per_node": round((runner - in_process) * 1000 / NODES, 2),
        "ratio": round(runner / in_process, 3),
        "first_node_start_ms": round(first * 1000, 2),
        "reused_run_ms": round(second * 1000, 2),
        "reused_share_pct": round(100 * second / runner, 2),
        "all_reused": all(r["all_reused"] for r in reused),
    }


if __name__ == "__main__":
    main()
