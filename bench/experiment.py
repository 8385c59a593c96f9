"""Benchmark: 10 stacker variants as an experiment, vs 10 full runs, vs direct.

On the embedded default (SQLite + filesystem broker) in a fresh var/ folder,
this installs the demo models and the stacked sales chain, registers 10 more
stacker versions (ridge stackers of several strengths, trained like the demo
one), uploads 100,000 sales rows as a data set and starts one worker with 2
processes. Then, through the API (``/api/runs/``, ``/api/experiments/``):

- a base run of the chain on the rows (step one, once; not timed);
- **experiment**: ``POST /api/experiments/`` with the 10 stacker versions as
  variants of the node ``stack``, until every variant run has finished;
- **10 full runs**: the chain run 10 times with ``"reuse": false`` (every node
  computed, what a plain workflow engine does), submitted together;
- **direct**: the 10 stackers computed in this process on the base run's
  upstream outputs already in memory: catena's own step code (fan-in join,
  column mapping, predict, the output node), and scikit-learn's ``predict``
  alone.

Goals (issue 12): experiment <= 15% of the 10 full runs; <= 1.3x direct.

    .venv/bin/python bench/experiment.py [--json] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
from _common import emit, parser, table
from _site import demo_install, embedded_child, worker_start, worker_stop

ROWS = 100_000
VARIANTS = 10
ALPHAS = [0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0]


# Parent: one child process on its own var/ folder ----------------------------------
def main() -> None:
    cli = parser(__doc__ or "")
    cli.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = cli.parse_args()
    if args.child:
        child(args.quick)
        return
    figures = embedded_child(__file__, "experiment", args.quick)
    report(figures)
    emit(figures, args.json)


def report(f: dict[str, Any]) -> None:
    rows = [
        ["experiment: 10 variants of stack (API, worker)", f["experiment_ms"], ""],
        ["10 full runs, every node computed (API, worker)", f["full_runs_ms"], ""],
        ["10 stackers direct, catena step code, in memory", f["direct_catena_ms"], ""],
        ["10 stackers direct, scikit-learn predict only", f["direct_sklearn_ms"], ""],
        ["experiment / 10 full runs", f"{f['share_of_full_pct']:.1f}%", "<= 15%"],
        [
            "experiment / direct (catena step code)",
            f"{f['ratio_direct']:.2f}x",
            "<= 1.3x",
        ],
        ["experiment / direct (scikit-learn only)", f"{f['ratio_sklearn']:.1f}x", ""],
        ["nodes computed / reused per variant", f["counts"], "2 / 6"],
    ]
    print(table(["measure", "ms or ratio", "goal"], rows))
    print(f"{ROWS:,} rows, {VARIANTS} variants, median of {f['repeats']} rounds.")


# Child: Django set up on its own database --------------------------------------------
def child(quick: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    user = demo_install()
    repeats = 1 if quick else 3
    versions = stackers_register(user, repeats)
    worker = worker_start()
    try:
        figures = measure(user, versions, repeats)
    finally:
        worker_stop(worker)
    print(json.dumps(figures))


def stackers_register(user: Any, rounds: int) -> list[list[int]]:
    """Ten ridge stackers over the demo base models per round (a warm-up round
    first), as sales-stacker versions: every round's variants are new work."""
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile
    from sklearn.linear_model import Ridge

    from catena.reference import BASE, fit_reference, synthetic_sales
    from registry.demo import SEED, skops_bytes
    from registry.models import RegisteredModel
    from registry.services import model_version_create, model_version_trust

    estimators = fit_reference(SEED)
    data, sales = synthetic_sales(2000, SEED)
    scaled = estimators["scale"].transform(estimators["encode"].transform(data))
    stacked = np.column_stack([estimators[b].predict(scaled) for b in BASE])
    model = RegisteredModel.objects.get(name="sales-stacker")
    numbers: list[list[int]] = []
    for round_ in range(rounds + 1):
        numbers.append([])
        for alpha in ALPHAS:
            fitted = Ridge(alpha=alpha * (1 + 0.01 * round_)).fit(stacked, sales)
            upload = SimpleUploadedFile(f"stack-{alpha}.skops", skops_bytes(fitted))
            version = model_version_create(model=model, file=upload, uploaded_by=user)
            if not version.trusted:
                version = model_version_trust(
                    version=version, user=user, types=list(version.untrusted_types)
                )
            numbers[-1].append(version.number)
    return numbers


def client(user: Any) -> Any:
    from rest_framework.test import APIClient

    api = APIClient(SERVER_NAME="127.0.0.1")
    api.force_authenticate(user)
    return api


def measure(user: Any, versions: list[list[int]], repeats: int) -> dict[str, Any]:
    from catena.reference import synthetic_sales
    from runner.services.datasets import dataset_create_from_frame

    api = client(user)
    dataset = dataset_create_from_frame(
        name="bench-100k", df=synthetic_sales(ROWS, seed=11)[0], owner=user
    )
    base = wait_run(api, post(api, "/api/runs/", chain_body(dataset.id)))
    rounds = [[{"params": {"version": v}} for v in group] for group in versions]
    experiment_once(api, base, rounds[0])  # warms both pool processes
    experiments, fulls, counts = [], [], set()
    for variants in rounds[1:]:
        seconds, found = experiment_once(api, base, variants)
        experiments.append(seconds)
        counts |= found
        fulls.append(full_runs_once(api, dataset.id))
    catena_direct, sklearn_direct = direct_times(base["id"], versions[1], repeats)
    experiment = statistics.median(experiments)
    full = statistics.median(fulls)
    return {
        "repeats": repeats,
        "experiment_ms": round(experiment * 1000, 1),
        "full_runs_ms": round(full * 1000, 1),
        "direct_catena_ms": round(catena_direct * 1000, 1),
        "direct_sklearn_ms": round(sklearn_direct * 1000, 1),
        "share_of_full_pct": round(100 * experiment / full, 2),
        "ratio_direct": round(experiment / catena_direct, 3),
        "ratio_sklearn": round(experiment / sklearn_direct, 3),
        "counts": ", ".join(sorted(counts)),
    }


def chain_body(dataset: int, reuse: bool = True) -> dict[str, Any]:
    return {"chain": "sales-stacked", "dataset": dataset, "reuse": reuse}


def post(api: Any, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(url, body, format="json")
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{url}: {response.status_code} {response.content[:500]!r}")
    return dict(response.json())


def wait_run(api: Any, run: dict[str, Any]) -> dict[str, Any]:
    while True:
        status = api.get(f"/api/runs/{run['id']}/status").json()
        if not status["active"]:
            break
        # The figures come from the runs' end times, so slow polling costs no
        # accuracy and leaves the two cores to the workers.
        time.sleep(0.1)
    if status["status"] != "succeeded":
        raise RuntimeError(f"run {run['id']}: {status}")
    return dict(api.get(f"/api/runs/{run['id']}/").json())


def experiment_once(
    api: Any, base: dict[str, Any], variants: list[dict[str, Any]]
) -> tuple[float, set[str]]:
    """Seconds from the POST to the last variant's end, and the counts seen."""
    start = time.time()
    body = {"run": base["id"], "node": "stack", "variants": variants}
    experiment = post(api, "/api/experiments/", body)
    url = f"/api/experiments/{experiment['id']}/"
    while True:
        shown = api.get(url).json()
        if not shown["active"]:
            break
        time.sleep(0.1)
    if shown["status"] != "succeeded":
        raise RuntimeError(f"experiment {experiment['id']}: {shown['status']}")
    runs = [{"id": v["run"]} for v in shown["variants"]]
    found = {f"{v['computed']} / {v['reused']}" for v in shown["variants"]}
    return last_end(api, runs) - start, found


def last_end(api: Any, runs: list[dict[str, Any]]) -> float:
    """When the last of ``runs`` finished, as the runs recorded it."""
    from datetime import datetime

    ends = [wait_run(api, run)["finished_at"] for run in runs]
    return max(datetime.fromisoformat(end).timestamp() for end in ends)


def full_runs_once(api: Any, dataset: int) -> float:
    """Ten runs of the whole chain, every node computed, submitted together."""
    start = time.time()
    runs = [
        post(api, "/api/runs/", chain_body(dataset, reuse=False)) for _ in range(10)
    ]
    return last_end(api, runs) - start


def direct_times(run_id: int, versions: list[int], repeats: int) -> tuple[float, float]:
    """The ten stackers on the base run's upstream outputs held in memory."""
    import numpy as np

    from catena.executor import run_node
    from catena.graph import load
    from runner.compute import resolver
    from runner.models import NodeResult
    from runner.selectors import chain_version_pick
    from runner.store import artifact_load

    document = chain_version_pick(chain_name="sales-stacked").document
    graph = load(document)
    results = NodeResult.objects.filter(run_id=run_id).select_related("artifact")
    tables = {r.node_id: artifact_load(artifact=r.artifact) for r in results}
    parents = {p: tables[p] for p in graph.parents["stack"]}
    models = [resolver().resolve("sales-stacker", v) for v in versions]
    for model in models:
        model.load()

    def catena_ten() -> None:
        for model in models:
            out = run_node(graph, "stack", parents, {"stack": model})
            run_node(graph, "out", {"stack": out}, {})

    columns = [parents[p].iloc[:, 0].to_numpy() for p in graph.parents["stack"]]
    stacked = np.column_stack(columns)
    estimators = [model.load().estimator for model in models]  # type: ignore[attr-defined]

    def sklearn_ten() -> None:
        for estimator in estimators:
            estimator.predict(stacked)

    return (
        _common.median_seconds([catena_ten], repeats, warmup=1)[0],
        _common.median_seconds([sklearn_ten], repeats, warmup=1)[0],
    )


if __name__ == "__main__":
    main()
