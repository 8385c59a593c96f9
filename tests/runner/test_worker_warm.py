"""A worker process loads the models runs will need before it takes work: the
models of live chains, then the model versions recent runs used most."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from builder.models import Chain
from registry.resolver import model_cache
from runner.models import Run
from runner.services.runs import run_start
from runner.warming import models_warm
from tests.conftest import WorkerProcess, purge_broker
from tests.runner.conftest import chain_version_make, doc, model_make, node
from tests.runner.estimators import CountsCalls, SleepySum

WARMED = re.compile(
    r"worker process (\d+): (\d+) models warmed \((\d+) of live chains, "
    r"(\d+) of recent runs"
)
LOADED = "loaded into the cache"


def models_doc(*names: str) -> dict[str, Any]:
    """in(x, y) -> one model per name -> combine -> out."""
    nodes = [node("in", "input", schema=[["x", "float"], ["y", "float"]])]
    edges = []
    for name in names:
        nodes.append(node(name, "model", model=name, version="@latest"))
        edges += [["in", name], [name, "both"]]
    nodes += [node("both", "combine", method="mean", name="m"), node("out", "output")]
    return doc(nodes, [*edges, ["both", "out"]])


def models_make(owner: Any, staff: Any, *names: str) -> None:
    for name in names:
        # A distinct pickle per model: the cache holds one copy per sha256.
        estimator = SleepySum(["x", "y"], 0.0)
        estimator.name = name
        model_make(name=name, estimator=estimator, owner=owner, staff=staff)


def live_chain_make(owner: Any, name: str, *models: str) -> Any:
    version = chain_version_make(owner=owner, document=models_doc(*models), name=name)
    Chain.objects.filter(id=version.chain_id).update(live_version=version)
    return version


def wait_for_lines(worker: WorkerProcess, pattern: re.Pattern[str], count: int) -> Any:
    deadline = time.monotonic() + 60
    while len(found := pattern.findall(worker.output())) < count:
        if time.monotonic() > deadline:
            raise AssertionError(worker.output())
        time.sleep(0.1)
    return found


def run_wait(run: Run) -> Run:
    deadline = time.monotonic() + 60
    while run.is_active:
        assert time.monotonic() < deadline, "run did not finish"
        time.sleep(0.05)
        run.refresh_from_db()
    return run


@pytest.fixture
def cache_empty() -> Iterator[None]:
    model_cache.clear()
    yield
    model_cache.clear()


# In this process: what is chosen, and the bounds ----------------------------------
def test_live_chains_models_load_first_then_those_recent_runs_used(
    owner, staff, cache_empty
):
    models_make(owner, staff, "live-a", "live-b", "used", "unused")
    live_chain_make(owner, "served", "live-a", "live-b")
    used = chain_version_make(owner=owner, document=models_doc("used"), name="batch")
    run_start(chain_version=used, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    warmed = models_warm(limit=10, budget=60)
    assert (warmed.live, warmed.recent, warmed.failed) == (2, 1, 0)
    assert len(model_cache) == 3
    assert model_cache.misses == 3


def test_warming_stops_at_its_limit_live_chains_first(owner, staff, cache_empty):
    models_make(owner, staff, "live-a", "used")
    live_chain_make(owner, "served", "live-a")
    used = chain_version_make(owner=owner, document=models_doc("used"), name="batch")
    run_start(chain_version=used, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    warmed = models_warm(limit=1, budget=60)
    assert (warmed.live, warmed.recent) == (1, 0)
    assert len(model_cache) == 1


def test_a_model_that_cannot_load_is_skipped_not_fatal(owner, staff, cache_empty):
    models_make(owner, staff, "good")
    registered = model_make(
        name="gone", estimator=SleepySum(["x", "y"], 1e-3), owner=owner, staff=staff
    )
    registered.file.storage.delete(registered.file.name)
    live_chain_make(owner, "served", "gone", "good")
    warmed = models_warm(limit=10, budget=60)
    assert (warmed.live, warmed.failed) == (1, 1)


def test_each_warmed_model_is_called_once_on_a_made_up_row(owner, staff, cache_empty):
    from runner import compute

    model_make(
        name="counted", estimator=CountsCalls(["x", "y"]), owner=owner, staff=staff
    )
    live_chain_make(owner, "served", "counted")
    assert models_warm(limit=10, budget=60).live == 1
    loaded = compute.resolver().resolve("counted", 1).load()  # the cached one
    assert loaded.estimator.calls == 1


def test_a_model_refusing_the_made_up_row_is_still_warm(owner, staff, cache_empty):
    from tests.runner.estimators import Broken

    model_make(name="refuses", estimator=Broken(["x", "y"]), owner=owner, staff=staff)
    live_chain_make(owner, "served", "refuses")
    warmed = models_warm(limit=10, budget=60)
    assert (warmed.live, warmed.failed) == (1, 0)
    assert len(model_cache) == 1


# On a real worker: each pool process warms before its first run -----------------


@pytest.fixture
def worker_start(transactional_db) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []
    purge_broker()

    def start(**env: str) -> WorkerProcess:
        worker = WorkerProcess(concurrency=2, extra_env=env)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.mark.worker
@pytest.mark.slow
def test_each_worker_process_warms_live_models_and_its_first_run_loads_none(
    owner, staff, worker_start
):
    models_make(owner, staff, "live-a", "live-b")
    version = live_chain_make(owner, "served", "live-a", "live-b")
    worker = worker_start()
    warmed = wait_for_lines(worker, WARMED, 2)
    assert len({pid for pid, *_ in warmed}) == 2  # each prefork child, itself
    assert {(models, live) for _, models, live, _ in warmed} == {("2", "2")}
    output = worker.output()
    loads = output.count(LOADED)
    assert loads == 4
    # The worker said it was ready only once both processes were warm.
    said = output.index("worker: 2 of 2 processes warm, 2 models each")
    assert max(output.index(f"worker process {pid}:") for pid, *_ in warmed) < said
    assert said < output.index(" ready.")
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    assert run_wait(run).status == Run.Status.SUCCEEDED
    assert worker.output().count(LOADED) == loads


@pytest.mark.worker
@pytest.mark.slow
def test_models_of_recent_runs_are_warmed_too(owner, staff, worker_start):
    models_make(owner, staff, "used")
    version = chain_version_make(owner=owner, document=models_doc("used"), name="b")
    run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    purge_broker()  # the run stays queued; only its rows say what it used
    worker = worker_start()
    warmed = wait_for_lines(worker, WARMED, 2)
    assert {(models, recent) for _, models, _, recent in warmed} == {("1", "1")}
    loads = worker.output().count(LOADED)
    run = run_start(chain_version=version, user=owner, rows=[{"x": 3.0, "y": 4.0}])
    assert run_wait(run).status == Run.Status.SUCCEEDED
    assert worker.output().count(LOADED) == loads


@pytest.mark.worker
@pytest.mark.slow
def test_with_warming_off_the_first_run_loads_its_models(owner, staff, worker_start):
    models_make(owner, staff, "live-a")
    version = live_chain_make(owner, "served", "live-a")
    worker = worker_start(CATENA_WORKER_WARM="0")
    wait_for_lines(worker, re.compile(r"warming is off"), 2)
    assert LOADED not in worker.output()
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    assert run_wait(run).status == Run.Status.SUCCEEDED
    assert worker.output().count(LOADED) == 1
