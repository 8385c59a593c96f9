"""Runs on real worker processes through the configured broker (SQLite + filesystem
broker by default, PostgreSQL + Redis in the other CI configuration)."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from runner.models import Artifact, NodeResult, Run
from runner.services.runs import run_cancel, run_start
from tests.conftest import WorkerProcess, purge_broker
from tests.runner.conftest import (
    chain_version_make,
    doc,
    fan_doc,
    linear_doc,
    model_make,
    node,
)
from tests.runner.estimators import Broken, SleepySum

pytestmark = [pytest.mark.worker, pytest.mark.slow]

Status = NodeResult.Status


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def run_wait(run: Run, timeout: float = 60.0) -> Run:
    def finished() -> bool:
        run.refresh_from_db()
        return not run.is_active

    wait_for(finished, timeout)
    return run


def sleepy_doc(*branches: str) -> dict[str, Any]:
    """in(x, y) -> one sleepy model per branch -> combine -> out."""
    nodes = [node("in", "input", schema=[["x", "float"], ["y", "float"]])]
    edges = []
    for branch in branches:
        nodes.append(node(branch, "model", model="sleepy", version="@latest"))
        edges += [["in", branch], [branch, "both"]]
    nodes += [node("both", "combine", method="mean", name="m"), node("out", "output")]
    return doc(nodes, [*edges, ["both", "out"]])


@pytest.fixture
def workers(transactional_db) -> Iterator[Callable[..., WorkerProcess]]:
    """Start workers (stopped at the end); a short lease so recovery is quick."""
    started: list[WorkerProcess] = []
    purge_broker()

    def start(**kwargs: Any) -> WorkerProcess:
        env = {"CATENA_NODE_LEASE_SECONDS": "2", "CATENA_SWEEP_SECONDS": "0.5"}
        worker = WorkerProcess(extra_env=env, **kwargs)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


def test_fan_out_branches_overlap_in_time_on_two_worker_processes(
    owner, staff, workers
):
    model_make(
        name="sleepy", estimator=SleepySum(["x", "y"], 1.0), owner=owner, staff=staff
    )
    version = chain_version_make(owner=owner, document=sleepy_doc("a", "b"))
    worker = workers()
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    run_wait(run)
    assert run.status == Run.Status.SUCCEEDED
    a, b = run.nodes.get(node_id="a"), run.nodes.get(node_id="b")
    assert a.started_at < b.finished_at
    assert b.started_at < a.finished_at
    both = run.nodes.get(node_id="both")
    assert both.started_at >= max(a.finished_at, b.finished_at)
    assert run.nodes.count() == 5
    # Both parents finished at nearly the same time; the child ran once, and
    # was handed on once: one message delivered, or kept by the last parent's
    # process to run next, never both nor twice.
    assert set(run.nodes.values_list("attempts", flat=True)) == {1}
    time.sleep(0.5)  # a duplicate message would be delivered meanwhile
    handed = re.findall(
        rf"node result {both.id} (delivered|kept to run next)$",
        worker.output(),
        flags=re.MULTILINE,
    )
    assert len(handed) == 1


def test_a_second_identical_run_executes_no_node_on_the_worker(owner, workers):
    version = chain_version_make(owner=owner, document=linear_doc())
    worker = workers()
    first = run_wait(
        run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    )
    tasks_before = node_tasks_settled(worker)
    assert tasks_before
    second = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    run_wait(second)
    assert first.status == second.status == Run.Status.SUCCEEDED
    assert set(second.nodes.values_list("status", flat=True)) == {Status.REUSED}
    assert set(second.nodes.values_list("reused_from", flat=True)) == {first.id}
    time.sleep(0.5)
    assert node_tasks_settled(worker) == tasks_before


def node_tasks_settled(worker: WorkerProcess) -> int:
    """How many node tasks the worker received, once each has logged its end
    (a run is done before its last task's ``succeeded`` line is written)."""
    received: set[str] = set()

    def settled() -> bool:
        output = worker.output()
        received.clear()
        received.update(re.findall(r"node_execute\[([0-9a-f-]+)\] received", output))
        ended = re.findall(r"node_execute\[([0-9a-f-]+)\] succeeded", output)
        return received == set(ended)

    wait_for(settled)
    return len(received)


def test_a_worker_killed_mid_node_loses_nothing(owner, staff, workers):
    model_make(
        name="sleepy", estimator=SleepySum(["x", "y"], 2.0), owner=owner, staff=staff
    )
    version = chain_version_make(owner=owner, document=sleepy_doc("slow"))
    doomed = workers()
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    slow = run.nodes.get(node_id="slow")

    def slow_running() -> bool:
        slow.refresh_from_db()
        return slow.status == Status.RUNNING

    wait_for(slow_running)
    os.killpg(doomed.process.pid, signal.SIGKILL)
    doomed.process.wait()
    workers(beat=True)
    run_wait(run)
    assert run.status == Run.Status.SUCCEEDED
    assert run.nodes.count() == 4
    assert set(run.nodes.values_list("status", flat=True)) == {Status.SUCCEEDED}
    slow.refresh_from_db()
    assert slow.attempts == 2
    keys = list(run.nodes.values_list("cache_key", flat=True))
    assert Artifact.objects.filter(key__in=keys).count() == 4
    assert_every_output_stored_once(run, settings.MEDIA_ROOT)


def assert_every_output_stored_once(run: Run, media: Path) -> None:
    """One finished result per node, one artifact per key, one file per artifact.

    A node whose twin (same content key) finished first is reused, not run:
    whether that happens depends on timing, so both count as finished.
    """
    nodes = list(run.nodes.all())
    assert {n.status for n in nodes} <= {Status.SUCCEEDED, Status.REUSED}
    assert Status.SUCCEEDED in {n.status for n in nodes}
    assert len({n.node_id for n in nodes}) == len(nodes)
    artifacts = Artifact.objects.filter(key__in=[n.cache_key for n in nodes])
    # Equal keys share one artifact (two branches may compute the same table).
    assert {a.id for a in artifacts} == {n.artifact_id for n in nodes}
    assert len(artifacts) == len({n.cache_key for n in nodes})
    for artifact in artifacts:
        # A second write of a key leaves a renamed second file beside the first.
        written = (media / artifact.path).parent.glob(f"{artifact.key}*")
        assert [str(p.relative_to(media)) for p in written] == [artifact.path]


def test_fifty_runs_started_at_once_all_finish_none_lost_or_duplicated(owner, workers):
    version = chain_version_make(owner=owner, document=linear_doc())
    workers()

    def submit(i: int) -> Run:
        try:
            rows = [{"x": float(i), "y": 1.0}]
            return run_start(chain_version=version, user=owner, rows=rows)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = list(pool.map(submit, range(50)))
    assert len({r.id for r in runs}) == 50
    for run in runs:
        run_wait(run, timeout=120)
    assert {r.status for r in runs} == {Run.Status.SUCCEEDED}
    results = NodeResult.objects.filter(run__in=runs)
    assert results.count() == 150
    assert set(results.values_list("status", flat=True)) == {Status.SUCCEEDED}
    assert set(results.values_list("attempts", flat=True)) == {1}


def test_cancel_stops_queued_nodes(owner, staff, workers):
    model_make(
        name="sleepy", estimator=SleepySum(["x", "y"], 1.5), owner=owner, staff=staff
    )
    version = chain_version_make(owner=owner, document=sleepy_doc("slow"))
    workers()
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    slow = run.nodes.get(node_id="slow")

    def slow_running() -> bool:
        slow.refresh_from_db()
        return slow.status == Status.RUNNING

    wait_for(slow_running)
    run_cancel(run=run, user=owner)
    time.sleep(2.5)  # the slow node finishes on its worker meanwhile
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED
    statuses = dict(run.nodes.values_list("node_id", "status"))
    assert statuses == {
        "in": Status.SUCCEEDED,
        "slow": Status.CANCELLED,
        "both": Status.CANCELLED,
        "out": Status.CANCELLED,
    }
    assert (
        run.nodes.filter(node_id__in=["both", "out"], started_at__isnull=False).count()
        == 0
    )


def test_a_failing_model_fails_its_node_and_skips_downstream_on_a_worker(
    owner, staff, workers
):
    model_make(name="broken", estimator=Broken(["x", "y"]), owner=owner, staff=staff)
    document = sleepy_doc("bad")
    document["nodes"][1]["params"]["model"] = "broken"
    version = chain_version_make(owner=owner, document=document)
    workers()
    run = run_wait(
        run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    )
    assert run.status == Run.Status.FAILED
    bad = run.nodes.get(node_id="bad")
    assert bad.status == Status.FAILED
    assert "the broken model refuses these rows" in bad.error
    assert "Traceback" in bad.traceback
    skipped = run.nodes.filter(node_id__in=["both", "out"])
    assert set(skipped.values_list("status", flat=True)) == {Status.SKIPPED}


def test_a_small_quick_run_takes_no_broker_message_after_its_first_node(owner, workers):
    version = chain_version_make(owner=owner, document=fan_doc())
    worker = workers()
    first = run_wait(
        run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    )
    second = run_wait(
        run_start(chain_version=version, user=owner, rows=[{"x": 3.0, "y": 4.0}])
    )
    assert first.status == second.status == Run.Status.SUCCEEDED
    assert set(second.nodes.values_list("status", flat=True)) == {Status.SUCCEEDED}
    log = worker.output()
    ids = dict(second.nodes.values_list("node_id", "id"))

    def handed(node_id: str, how: str) -> int:
        line = rf"node result {ids[node_id]} {how}$"
        return len(re.findall(line, log, flags=re.MULTILINE))

    # The first node is sent; the process it is delivered to claims the rest
    # with it and runs them as one segment, the parallel branches one after
    # the other.
    assert handed("in", "delivered") == 1
    for node_id in ("a", "b", "both", "out"):
        assert handed(node_id, "delivered") == 0, node_id
    segment = ", ".join(str(ids[n]) for n in ("in", "a", "b", "both", "out"))
    line = rf"node results {segment} run as one segment$"
    assert re.search(line, log, flags=re.MULTILINE)
    a, b = second.nodes.get(node_id="a"), second.nodes.get(node_id="b")
    assert a.finished_at <= b.started_at
    # The chain's first run had nothing timed: its branches fanned out.
    first_b = first.nodes.get(node_id="b").id
    assert re.search(rf"node result {first_b} delivered$", log, flags=re.MULTILINE)
