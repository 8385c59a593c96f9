"""A small run's quick branches run one after another in the process that
finished their parent (no broker message each); slow, unknown or much bigger
ones fan out over workers. Real claims, stores and hops, in this process."""

from __future__ import annotations

from typing import Any

import pytest

from runner.models import NodeResult, Run
from runner.services.runs import run_start
from tests.runner.conftest import (
    arith,
    chain_version_make,
    doc,
    fan_doc,
    model_make,
    node,
)
from tests.runner.estimators import FailsWhileFileExists, SlowToLoad

pytestmark = pytest.mark.django_db
Status = NodeResult.Status


def rows(count: int, start: float = 0.0) -> list[dict[str, float]]:
    return [{"x": start + i, "y": 1.0} for i in range(count)]


def sent_nodes(run: Run, sent: list[int]) -> list[str]:
    """The node ids of ``run`` that went through the broker, in order."""
    ids = dict(run.nodes.values_list("id", "node_id"))
    return [ids[i] for i in sent if i in ids]


def run_drained(version: Any, owner: Any, drain: Any, given: list[dict]) -> Run:
    run = run_start(chain_version=version, user=owner, rows=given)
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED, run.error
    return run


def test_a_chains_first_run_fans_its_branches_out(owner, drain):
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_drained(version, owner, drain, rows(1))
    # "in" was sent; "a" kept by the process that ran "in"; "b" sent to any worker.
    assert sent_nodes(run, drain.sent) == ["in", "b"]


def test_a_quick_small_run_runs_its_branches_back_to_back_without_messages(
    owner, drain
):
    version = chain_version_make(owner=owner, document=fan_doc())
    first = run_drained(version, owner, drain, rows(1))
    second = run_drained(version, owner, drain, rows(1, start=5.0))
    assert sent_nodes(second, drain.sent) == ["in"]
    assert set(second.nodes.values_list("status", flat=True)) == {Status.SUCCEEDED}
    assert set(second.nodes.values_list("attempts", flat=True)) == {1}
    a, b = second.nodes.get(node_id="a"), second.nodes.get(node_id="b")
    # One after the other, each recorded on its own.
    assert a.finished_at <= b.started_at
    assert a.artifact_id != b.artifact_id
    assert first.nodes.get(node_id="b").artifact_id != b.artifact_id


def test_a_run_much_bigger_than_the_one_timed_fans_out(owner, drain, settings):
    version = chain_version_make(owner=owner, document=fan_doc())
    first = run_drained(version, owner, drain, rows(1))
    timed = sum(
        first.nodes.filter(node_id__in=["a", "b"]).values_list("seconds", flat=True)
    )
    settings.CATENA_RUN_INLINE_SECONDS = timed * 10
    # 5 rows: expected 5x the 1-row time, within the budget.
    small = run_drained(version, owner, drain, rows(5, start=10.0))
    assert sent_nodes(small, drain.sent) == ["in"]
    # 2,000 rows: expected 400x the 5-row time (the latest), far over it.
    big = run_drained(version, owner, drain, rows(2000, start=20.0))
    assert sent_nodes(big, drain.sent) == ["in", "b"]


def test_a_zero_budget_always_fans_out(owner, drain, settings):
    settings.CATENA_RUN_INLINE_SECONDS = 0
    version = chain_version_make(owner=owner, document=fan_doc())
    run_drained(version, owner, drain, rows(1))
    second = run_drained(version, owner, drain, rows(1, start=5.0))
    assert sent_nodes(second, drain.sent) == ["in", "b"]


def test_times_recorded_by_another_process_are_read_from_the_database(owner, drain):
    from runner.claims import durations

    version = chain_version_make(owner=owner, document=fan_doc())
    run_drained(version, owner, drain, rows(1))
    durations.forget()  # as a worker process that never ran this chain
    second = run_drained(version, owner, drain, rows(1, start=5.0))
    assert sent_nodes(second, drain.sent) == ["in"]


def test_a_segments_times_are_kept_by_the_process_that_computed_it(
    owner, drain, monkeypatch, caplog
):
    from runner.claims import durations, sql

    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(chain_version=version, user=owner, rows=rows(1))
    nodes = list(run.nodes.order_by("position"))
    # Kept as if timed before (quick: one segment), never read from the database.
    monkeypatch.setattr(sql, "node_seconds_recent", lambda *args: {})
    for node_result in nodes:
        durations.note(version.id, node_result, 0.01, 1)
    with caplog.at_level("INFO"):
        drain()
    assert "run as one segment" in caplog.text
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    # Each node's time is now the one the segment measured.
    measured = dict(run.nodes.values_list("node_id", "seconds"))
    expected = durations.expected(version.id, nodes, 1)
    assert expected == [measured[n.node_id] for n in nodes]
    assert 0.01 not in expected


def model_branch_chain(owner: Any, staff: Any, name: str, estimator: Any) -> Any:
    """in -> m (``estimator`` as model ``name``) | b -> both -> out, saved."""
    model_make(name=name, estimator=estimator, owner=owner, staff=staff)
    document = doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            # First in document order: the one the process keeps first.
            node("m", "model", model=name),
            arith("b", "b", "y + 1", "b"),
            node("both", "combine", method="mean", name="mean"),
            node("out", "output"),
        ],
        [["in", "m"], ["in", "b"], ["m", "both"], ["b", "both"], ["both", "out"]],
    )
    return chain_version_make(owner=owner, document=document)


def slow_to_load_chain(owner: Any, staff: Any) -> Any:
    """The branch chain on a model that takes 0.3 s to load."""
    return model_branch_chain(owner, staff, "slow-load", SlowToLoad(["x", "y"], 0.3))


def test_loading_a_model_file_is_not_counted_in_its_nodes_expected_time(
    owner, staff, drain, settings
):
    from registry.resolver import model_cache

    version = slow_to_load_chain(owner, staff)
    settings.CATENA_RUN_INLINE_SECONDS = 0.15
    model_cache.clear()  # the first run loads the file: 0.3 s, over the budget
    first = run_drained(version, owner, drain, rows(1))
    # The node's own time, as the run page shows it, includes the load, and
    # says how much of it that was ...
    m = first.nodes.get(node_id="m")
    assert m.load_seconds >= 0.3
    assert m.seconds >= m.load_seconds
    # ... but the next run, on the model now in memory, expects only the
    # computing and keeps its branches in this process ...
    second = run_drained(version, owner, drain, rows(1, start=5.0))
    assert sent_nodes(second, drain.sent) == ["in"]


def test_a_cold_first_call_recorded_by_another_process_is_not_counted_either(
    owner, staff, drain, settings
):
    from registry.resolver import model_cache
    from runner.claims import durations

    version = slow_to_load_chain(owner, staff)
    settings.CATENA_RUN_INLINE_SECONDS = 0.15
    model_cache.clear()
    run_drained(version, owner, drain, rows(1))
    # As a worker process that never ran this chain: it reads the times the
    # database recorded, the first run's cold one included.
    durations.forget()
    second = run_drained(version, owner, drain, rows(1, start=5.0))
    assert sent_nodes(second, drain.sent) == ["in"]


def test_a_failing_branch_hands_on_the_quick_sibling_it_kept_waiting(
    owner, staff, drain, tmp_path
):
    blocker = tmp_path / "in-the-way"
    fails = FailsWhileFileExists(["x", "y"], str(blocker))
    version = model_branch_chain(owner, staff, "fails", fails)
    run_drained(version, owner, drain, rows(1))
    blocker.write_text("")
    run = run_start(chain_version=version, user=owner, rows=rows(1, start=5.0))
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    found = dict(run.nodes.values_list("node_id", "status"))
    assert found == {
        "in": Status.SUCCEEDED,
        "m": Status.FAILED,
        "b": Status.SUCCEEDED,
        "both": Status.SKIPPED,
        "out": Status.SKIPPED,
    }
    # "b" waited for the process that kept it, then went through the broker,
    # and ran once.
    assert sent_nodes(run, drain.sent) == ["in", "b"]
    assert run.nodes.get(node_id="b").attempts == 1


def test_a_tasks_node_loop_reads_its_run_once_graph_included(owner, drain):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    version = chain_version_make(owner=owner, document=fan_doc())
    run_drained(version, owner, drain, rows(1))
    run = run_start(chain_version=version, user=owner, rows=rows(1, start=5.0))
    with CaptureQueriesContext(connection) as captured:
        assert drain() == 5  # every node in one task's loop (quick branches)
    # The claim's read of the run gives its graph's fields too.
    run_reads = [
        q["sql"] for q in captured.captured_queries if "document_hash" in q["sql"]
    ]
    assert len(run_reads) == 1
    assert "a.sha256" in run_reads[0]
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED


def test_the_run_page_and_api_say_how_long_loading_the_model_took(
    owner, staff, drain, owner_client
):
    from registry.resolver import model_cache

    version = slow_to_load_chain(owner, staff)
    model_cache.clear()
    first = run_drained(version, owner, drain, rows(1))
    second = run_drained(version, owner, drain, rows(1, start=5.0))
    nodes = {
        n["node_id"]: n
        for n in owner_client.get(f"/api/runs/{first.id}/").json()["nodes"]
    }
    assert nodes["m"]["load_seconds"] >= 0.3
    assert nodes["b"]["load_seconds"] == 0.0
    page = owner_client.get(f"/runs/{first.id}/").content.decode()
    assert page.count("of which loading the model") == 1
    # The model was in memory for the second run: nothing to say.
    again = owner_client.get(f"/runs/{second.id}/").content.decode()
    assert "of which loading the model" not in again


def test_a_quick_small_runs_rest_is_claimed_at_once_and_recorded_in_one_transaction(
    owner, drain, caplog
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    version = chain_version_make(owner=owner, document=fan_doc())
    run_drained(version, owner, drain, rows(1))
    run = run_start(chain_version=version, user=owner, rows=rows(1, start=5.0))
    with CaptureQueriesContext(connection) as captured, caplog.at_level("INFO"):
        assert drain() == 5
    # Transactions (savepoints inside the test's own): claiming "in" with the
    # other four, recording the five.
    savepoints = [
        q for q in captured.captured_queries if q["sql"].startswith("SAVEPOINT")
    ]
    assert len(savepoints) == 2
    # The five nodes' ends sent at once: one statement, run for each.
    records = [
        q["sql"] for q in captured.captured_queries if "reused_from_id =" in q["sql"]
    ]
    assert len(records) == 1
    assert records[0].startswith("5 times: ")
    ids = dict(run.nodes.values_list("node_id", "id"))
    segment = ", ".join(str(ids[n]) for n in ["in", "a", "b", "both", "out"])
    assert f"node results {segment} run as one segment" in caplog.text
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    # Each node keeps its own start and end, in the order they were computed.
    nodes = {n.node_id: n for n in run.nodes.all()}
    times = [(nodes[n].started_at, nodes[n].finished_at) for n in ids]
    assert all(start <= end for start, end in times)
    assert all(a[1] <= b[0] for a, b in zip(times, times[1:], strict=False))
    assert {n.attempts for n in nodes.values()} == {1}
    # Each output links the outputs it was computed from.
    both = nodes["both"].artifact
    assert set(both.parents.values_list("id", flat=True)) == {
        nodes["a"].artifact_id,
        nodes["b"].artifact_id,
    }


def test_a_quick_small_run_that_reuses_nothing_rewrites_the_rows_of_its_keys(
    owner, drain
):
    from runner.store import artifact_intact

    version = chain_version_make(owner=owner, document=fan_doc())
    first = run_drained(version, owner, drain, rows(1))
    again = run_start(chain_version=version, user=owner, rows=rows(1), reuse=False)
    drain()
    again.refresh_from_db()
    assert again.status == Run.Status.SUCCEEDED
    assert sent_nodes(again, drain.sent) == ["in"]
    for result in again.nodes.exclude(node_id="in"):
        # Computed again under the same key: the same row, its file intact.
        assert result.status == Status.SUCCEEDED
        earlier = first.nodes.get(node_id=result.node_id)
        assert result.artifact_id == earlier.artifact_id
        assert artifact_intact(result.artifact)


def test_twin_nodes_of_a_segment_share_one_row_linked_once_to_its_parent(owner, drain):
    # "a" and "b" do the same work on the same input: one cache key.
    document = doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            arith("a", "c", "x * 2", "c"),
            arith("b", "c", "x * 2", "c"),
            node("out", "output"),
        ],
        [["in", "a"], ["in", "b"], ["a", "out"]],
    )
    version = chain_version_make(owner=owner, document=document)
    # Reusing nothing, the first run computes (and times) both twins.
    first = run_start(chain_version=version, user=owner, rows=rows(1), reuse=False)
    drain()
    assert first.nodes.get(node_id="b").seconds is not None
    second = run_drained(version, owner, drain, rows(1, start=5.0))
    assert sent_nodes(second, drain.sent) == ["in"]
    a, b = second.nodes.get(node_id="a"), second.nodes.get(node_id="b")
    assert a.cache_key == b.cache_key
    assert a.artifact_id == b.artifact_id
    parents = a.artifact.parents.values_list("id", flat=True)
    assert list(parents) == [second.nodes.get(node_id="in").artifact_id]
