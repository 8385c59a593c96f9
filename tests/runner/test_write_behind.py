"""A big output is written and recorded by the worker's writer thread while the
successor the worker keeps computes; nothing is recorded before its file is
whole, and a guess not claimed is thrown away. Real claims, stores, hops and
the writer thread, in this process (committed rows: the thread has a
connection of its own), and once through a real worker."""

from __future__ import annotations

import errno
import threading
import time
from typing import Any

import pandas as pd
import pytest

from runner.claims import behind, durations
from runner.claims.ending import run_stop
from runner.models import Artifact, NodeResult, Run
from runner.services.runs import run_start
from runner.store import files as store_files
from tests.conftest import WorkerProcess, purge_broker
from tests.runner.conftest import arith, chain_version_make, doc, node
from tests.runner.test_small_runs import sent_nodes
from tests.runner.test_worker_runs import run_wait

pytestmark = pytest.mark.django_db(transaction=True)
Status = NodeResult.Status
ROWS = 2_000


@pytest.fixture(autouse=True)
def _writer_disconnected():
    """The writer thread's connection closed after each test (its rows are
    flushed between tests)."""
    yield
    behind.writer_disconnect()


@pytest.fixture
def behind_on(settings):
    """Outputs of at least 1,000 cells written behind (a 2,000-row table)."""
    settings.CATENA_WRITE_BEHIND_CELLS = 1_000
    return settings


def rows(count: int = ROWS, y: float = 1.0) -> list[dict[str, float]]:
    return [{"x": float(i), "y": y} for i in range(count)]


def chain_doc() -> dict[str, Any]:
    """in(x, y) -> a (adds s) -> b (adds t) -> out."""
    return doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            arith("a", "s", "x + y"),
            arith("b", "t", "s * 2"),
            node("out", "output"),
        ],
        [["in", "a"], ["a", "b"], ["b", "out"]],
    )


def long_doc() -> dict[str, Any]:
    """in(x, y) -> a -> b -> c -> out."""
    return doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            arith("a", "s", "x + y"),
            arith("b", "t", "s * 2"),
            arith("c", "u", "t - 1"),
            node("out", "output"),
        ],
        [["in", "a"], ["a", "b"], ["b", "c"], ["c", "out"]],
    )


def slow_write_of(monkeypatch: Any, node_id: str, then: Any = None) -> None:
    """The writer thread takes 0.3 s more over ``node_id``'s output (and calls
    ``then`` with it first)."""
    written = behind.outcome_written

    def slow(node_result: Any, outcome: Any) -> Any:
        if node_result.node_id == node_id:
            if then is not None:
                then(node_result)
            time.sleep(0.3)
        return written(node_result, outcome)

    monkeypatch.setattr(behind, "outcome_written", slow)


def fork_doc() -> dict[str, Any]:
    """in -> a -> (b, c) -> both -> out."""
    return doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            arith("a", "s", "x + y"),
            arith("b", "t", "s * 2", "t"),
            arith("c", "u", "s + 1", "u"),
            node("both", "combine", method="mean", name="m"),
            node("out", "output"),
        ],
        [
            ["in", "a"],
            ["a", "b"],
            ["a", "c"],
            ["b", "both"],
            ["c", "both"],
            ["both", "out"],
        ],
    )


def ran(
    owner: Any, drain: Any, document: dict[str, Any], version: Any = None, y: float = 1
) -> Run:
    version = version or chain_version_make(owner=owner, document=document)
    run = run_start(chain_version=version, user=owner, rows=rows(y=y))
    drain()
    run.refresh_from_db()
    return run


def test_the_next_node_computes_while_a_big_output_is_written(
    owner, drain, behind_on, monkeypatch
):
    slow_write_of(monkeypatch, "a")  # b surely starts while a is written
    run = ran(owner, drain, chain_doc())
    assert run.status == Run.Status.SUCCEEDED, run.error
    a, b = run.nodes.get(node_id="a"), run.nodes.get(node_id="b")
    # b's compute began before a was recorded (its file being written).
    assert b.started_at < a.finished_at
    assert b.finished_at > a.finished_at
    assert a.artifact in b.artifact.parents.all()
    assert set(run.nodes.values_list("attempts", flat=True)) == {1}
    assert sent_nodes(run, drain.sent) == ["in"]
    output = pd.read_parquet(store_files.default_storage.path(b.artifact.path))
    assert output["t"].tolist() == [(i + 1.0) * 2 for i in range(ROWS)]


def test_the_worker_computes_on_down_the_run_while_an_output_is_written(
    owner, drain, behind_on, monkeypatch
):
    slow_write_of(monkeypatch, "a")
    run = ran(owner, drain, long_doc())
    assert run.status == Run.Status.SUCCEEDED, run.error
    a, b, c = (run.nodes.get(node_id=n) for n in "abc")
    # b and c were both computed while a's file was still being written; each
    # was recorded once its parent was, with its parent's row.
    assert c.started_at < a.finished_at < b.finished_at < c.finished_at
    assert list(b.artifact.parents.all()) == [a.artifact]
    assert list(c.artifact.parents.all()) == [b.artifact]
    assert set(run.nodes.values_list("attempts", flat=True)) == {1}
    output = pd.read_parquet(store_files.default_storage.path(c.artifact.path))
    assert output["u"].tolist() == [(i + 1.0) * 2 - 1 for i in range(ROWS)]


def test_outputs_are_written_before_the_next_node_when_writing_behind_is_off(
    owner, drain, settings
):
    settings.CATENA_WRITE_BEHIND_CELLS = 0
    run = ran(owner, drain, chain_doc())
    assert run.status == Run.Status.SUCCEEDED, run.error
    a, b = run.nodes.get(node_id="a"), run.nodes.get(node_id="b")
    assert b.started_at >= a.finished_at


def test_small_outputs_are_written_before_the_next_node(owner, drain, settings):
    settings.CATENA_WRITE_BEHIND_CELLS = ROWS * 3 + 1  # a's output: 3 columns
    run = ran(owner, drain, chain_doc())
    a, b = run.nodes.get(node_id="a"), run.nodes.get(node_id="b")
    assert b.started_at >= a.finished_at


def test_the_successor_expected_longest_is_kept_and_the_others_are_sent(
    owner, drain, behind_on, monkeypatch, caplog
):
    slow_write_of(monkeypatch, "a")
    first = ran(owner, drain, fork_doc())
    assert first.status == Run.Status.SUCCEEDED, first.error
    # Neither b nor c has a recorded time the first time: the first is kept.
    assert sent_nodes(first, drain.sent) == ["in", "c"]
    # c took longer last time (as recorded): now c is kept and b is sent.
    NodeResult.objects.filter(run=first, node_id="c").update(seconds=5.0)
    durations.forget()
    drain.sent.clear()
    second = ran(owner, drain, fork_doc(), first.chain_version, y=2)
    assert second.status == Run.Status.SUCCEEDED, second.error
    assert "b" in sent_nodes(second, drain.sent)
    assert "c" not in sent_nodes(second, drain.sent)
    a, c = second.nodes.get(node_id="a"), second.nodes.get(node_id="c")
    assert c.started_at < a.finished_at
    # After c, no sibling of it was guessed (a's commit hands those on): none
    # was computed here to be thrown away.
    assert "thrown away" not in caplog.text


def test_the_guesses_are_thrown_away_when_the_run_is_cancelled_during_a_write(
    owner, drain, behind_on, monkeypatch
):
    def cancel(node_result: Any) -> None:
        run_stop(run_id=node_result.run_id, status=Run.Status.CANCELLED)

    slow_write_of(monkeypatch, "a", then=cancel)
    run = ran(owner, drain, long_doc())
    assert run.status == Run.Status.CANCELLED
    later = run.nodes.filter(node_id__in=["b", "c", "out"])
    assert set(later.values_list("status", flat=True)) == {Status.CANCELLED}
    assert set(later.values_list("started_at", flat=True)) == {None}
    keys = list(later.values_list("cache_key", flat=True))
    assert not Artifact.objects.filter(key__in=keys).exists()


def test_a_write_that_fails_behind_fails_its_node_and_throws_the_guess_away(
    owner, drain, behind_on, monkeypatch
):
    local_write = store_files._local_write

    def full_on_the_writer(target: str, data: bytes, *, flush: bool) -> None:
        if threading.current_thread().name.startswith("writer"):
            raise OSError(errno.ENOSPC, "No space left on device")
        local_write(target, data, flush=flush)

    monkeypatch.setattr(store_files, "_local_write", full_on_the_writer)
    run = ran(owner, drain, chain_doc())
    assert run.status == Run.Status.FAILED
    # The first output written behind (the input node's or a's) failed; the
    # node computed meanwhile was never claimed, nor anything after it.
    failed = run.nodes.get(status=Status.FAILED)
    assert "no space left" in failed.error.lower()
    after = run.nodes.filter(position__gt=failed.position)
    assert set(after.values_list("status", flat=True)) == {Status.SKIPPED}
    assert set(after.values_list("started_at", flat=True)) == {None}
    keys = [failed.cache_key, *after.values_list("cache_key", flat=True)]
    assert not Artifact.objects.filter(key__in=keys).exists()


def test_a_guess_that_cannot_be_made_leaves_the_node_written_as_usual(
    owner, drain, behind_on, monkeypatch
):
    def broken(*args: Any) -> Any:
        raise RuntimeError("a guess that cannot be made")

    monkeypatch.setattr(behind, "ready", broken)
    run = ran(owner, drain, chain_doc())
    assert run.status == Run.Status.SUCCEEDED, run.error
    a, b = run.nodes.get(node_id="a"), run.nodes.get(node_id="b")
    assert b.started_at >= a.finished_at


@pytest.mark.worker
def test_a_worker_writes_big_outputs_behind(owner):
    purge_broker()
    worker = WorkerProcess(extra_env={"CATENA_WRITE_BEHIND_CELLS": "1000"})
    try:
        worker.wait_ready()
        version = chain_version_make(owner=owner, document=chain_doc())
        run = run_wait(run_start(chain_version=version, user=owner, rows=rows()))
    finally:
        worker.stop()
    assert run.status == Run.Status.SUCCEEDED, run.error
    a, b = run.nodes.get(node_id="a"), run.nodes.get(node_id="b")
    assert f"node result {a.id} written behind while node result {b.id}" in (
        worker.output()
    )
    assert list(b.artifact.parents.all()) == [a.artifact]
