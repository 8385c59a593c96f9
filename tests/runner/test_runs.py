"""Run services: until, reuse from an earlier run, retry, forget, transient errors,
the sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils import timezone

from config.exceptions import CatenaAppError
from runner import claims, sweeper
from runner.claims.leases import Heartbeat
from runner.models import Artifact, NodeResult, Run
from runner.services.runs import (
    node_output_forget,
    run_cancel,
    run_retry,
    run_start,
)
from tests.runner.conftest import (
    arith,
    chain_version_make,
    dataset_make,
    doc,
    linear_doc,
    model_make,
    node,
)
from tests.runner.estimators import AlwaysTransient, FailsWhileFileExists

pytestmark = pytest.mark.django_db
Status = NodeResult.Status


def statuses(run: Run) -> dict[str, str]:
    return dict(run.nodes.values_list("node_id", "status"))


def model_doc(model: str) -> dict:
    return doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            node("m", "model", model=model),
            node("out", "output"),
        ],
        [["in", "m"], ["m", "out"]],
    )


def test_run_until_a_node_runs_only_it_and_its_ancestors(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(
        chain_version=version, user=owner, rows=[{"x": 1, "y": 2}], until="plus"
    )
    drain()
    run.refresh_from_db()
    assert statuses(run) == {"in": "succeeded", "plus": "succeeded"}
    assert run.status == Run.Status.SUCCEEDED


def test_a_partial_run_leaving_a_chain_step_out_runs_the_one_it_needs(owner, drain):
    from builder.models import Chain

    saved = chain_version_make(owner=owner, document=linear_doc(), name="sum")
    Chain.objects.filter(id=saved.chain_id).update(live_version=saved)
    both = doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            node("c1", "chain", chain="sum", version="@live"),
            node("c2", "chain", chain="sum", version="@live"),
            node("out", "output"),
        ],
        [["in", "c1"], ["in", "c2"], ["c2", "out"]],
    )
    version = chain_version_make(owner=owner, document=both, name="two-steps")
    run = run_start(
        chain_version=version, user=owner, rows=[{"x": 1, "y": 2}], until="c1"
    )
    drain()
    run.refresh_from_db()
    # Only c1 is pinned (the run records the chain steps it runs); its graph,
    # read again by the worker, leaves c2 as it is.
    assert run.chains == {"c1": ["sum", saved.number, saved.hash]}
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert set(statuses(run)) == {"in", "c1", "c1/in", "c1/plus", "c1/out"}
    assert set(statuses(run).values()) <= {"succeeded", "reused"}


def test_run_until_an_unknown_node_is_refused_and_writes_no_run(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    with pytest.raises(CatenaAppError, match="no node 'nope'"):
        run_start(
            chain_version=version, user=owner, rows=[{"x": 1, "y": 2}], until="nope"
        )
    assert Run.objects.count() == 0


def test_a_new_version_run_on_an_earlier_runs_input_reuses_unchanged_nodes(
    owner, drain
):
    first_version = chain_version_make(owner=owner, document=linear_doc())
    first = run_start(
        chain_version=first_version, user=owner, dataset=dataset_make(owner=owner)
    )
    drain()
    changed = linear_doc()
    changed["nodes"].insert(2, arith("times", "t", "s * 10"))
    changed["edges"] = [["in", "plus"], ["plus", "times"], ["times", "out"]]
    second_version = chain_version_make(owner=owner, document=changed)
    second = run_start(chain_version=second_version, user=owner, reuse_from=first)
    drain()
    assert statuses(second) == {
        "in": "reused",
        "plus": "reused",
        "times": "succeeded",
        "out": "succeeded",
    }
    assert second.nodes.get(node_id="plus").reused_from_id == first.id
    assert second.reused_from_id == first.id
    assert second.dataset_id == first.dataset_id


def test_a_fresh_run_computes_every_node_even_when_stored(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    rows = [{"x": 1.0, "y": 2.0}]
    run_start(chain_version=version, user=owner, rows=rows)
    drain()
    fresh = run_start(chain_version=version, user=owner, rows=rows, reuse=False)
    assert drain() == 3
    assert set(statuses(fresh).values()) == {"succeeded"}


def test_retry_runs_only_the_failed_node_and_downstream_on_the_first_upstream(
    owner, staff, drain, tmp_path
):
    marker = tmp_path / "in-the-way"
    marker.write_text("x")
    estimator = FailsWhileFileExists(["x", "y"], str(marker))
    model_make(name="flaky", estimator=estimator, owner=owner, staff=staff)
    version = chain_version_make(owner=owner, document=model_doc("flaky"))
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    drain()
    run.refresh_from_db()
    assert statuses(run) == {"in": "succeeded", "m": "failed", "out": "skipped"}
    upstream = run.nodes.get(node_id="in")
    marker.unlink()
    run = run_retry(run=run, user=owner)
    assert drain() == 2
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    assert run.attempt == 2
    assert statuses(run) == {"in": "succeeded", "m": "succeeded", "out": "succeeded"}
    again = run.nodes.get(node_id="in")
    assert (again.finished_at, again.artifact_id) == (
        upstream.finished_at,
        upstream.artifact_id,
    )


def test_retry_computes_again_an_upstream_output_forgotten_since(
    owner, staff, drain, tmp_path
):
    marker = tmp_path / "in-the-way"
    marker.write_text("x")
    estimator = FailsWhileFileExists(["x", "y"], str(marker))
    model_make(name="flaky", estimator=estimator, owner=owner, staff=staff)
    version = chain_version_make(owner=owner, document=model_doc("flaky"))
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    drain()
    upstream = run.nodes.get(node_id="in")
    key = upstream.cache_key
    node_output_forget(node_result=upstream, user=owner)
    marker.unlink()
    run = run_retry(run=run, user=owner)
    assert drain() == 3
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    assert statuses(run) == {"in": "succeeded", "m": "succeeded", "out": "succeeded"}
    again = run.nodes.get(node_id="in")
    assert again.cache_key == key
    assert again.artifact is not None
    assert default_storage.exists(again.artifact.path)


def test_retrying_a_succeeded_run_is_refused(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    drain()
    with pytest.raises(CatenaAppError, match="only a failed or cancelled run"):
        run_retry(run=run, user=owner)
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    assert run.attempt == 1


def test_a_teammate_may_not_cancel_anothers_run(owner, teammate, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    with pytest.raises(PermissionDenied):
        run_cancel(run=run, user=teammate)
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED


def test_cancel_marks_unfinished_nodes_cancelled_and_they_never_run(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    run_cancel(run=run, user=owner)
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED
    assert set(statuses(run).values()) == {"cancelled"}
    assert run.nodes.filter(started_at__isnull=False).count() == 0


def test_forgetting_an_output_forgets_what_was_computed_from_it(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    dataset = dataset_make(owner=owner)
    run = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    plus = run.nodes.get(node_id="plus")
    paths = {a.node_id: a.path for a in Artifact.objects.exclude(node_id="")}
    forgotten = node_output_forget(node_result=plus, user=owner)
    assert len(forgotten) == 2
    assert set(
        Artifact.objects.exclude(node_id="").values_list("node_id", flat=True)
    ) == {"in"}
    assert default_storage.exists(paths["out"]) is False
    again = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    assert statuses(again) == {"in": "reused", "plus": "succeeded", "out": "succeeded"}


def test_forgetting_a_node_without_a_stored_output_is_refused(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    with pytest.raises(CatenaAppError, match="no stored output"):
        node_output_forget(node_result=run.nodes.get(node_id="out"), user=owner)


def test_a_transient_error_is_retried_a_bounded_number_of_times(
    owner, staff, drain, settings
):
    settings.CATENA_TRANSIENT_MAX_RETRIES = 2
    model_make(
        name="remote", estimator=AlwaysTransient(["x", "y"]), owner=owner, staff=staff
    )
    version = chain_version_make(owner=owner, document=model_doc("remote"))
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    assert drain() == 4
    failed = run.nodes.get(node_id="m")
    assert failed.status == Status.FAILED
    assert failed.attempts == 3
    assert "gave up after 3 attempts: the service answered 503" in failed.error


def test_the_sweeper_requeues_a_node_whose_lease_expired(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    first = drain.queue.pop()
    assert claims.node_claim(first) is not None
    NodeResult.objects.filter(id=first).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert sweeper.runs_sweep()["requeued"] == 1
    assert drain() == 3
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    assert run.nodes.get(id=first).attempts == 2


def test_the_sweeper_fails_a_node_lost_too_often_and_skips_downstream(
    owner, drain, settings
):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    first = drain.queue.pop()
    claims.node_claim(first)
    NodeResult.objects.filter(id=first).update(
        attempts=settings.CATENA_NODE_MAX_ATTEMPTS,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    sweeper.runs_sweep()
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert "worker lost" in run.nodes.get(id=first).error
    assert statuses(run) == {"in": "failed", "plus": "skipped", "out": "skipped"}


def test_a_run_over_its_maximum_time_fails_with_that_reason(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    Run.objects.filter(id=run.id).update(deadline=timezone.now() - timedelta(seconds=1))
    assert sweeper.runs_sweep()["overdue"] == 1
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert "maximum run time" in run.error
    assert set(statuses(run).values()) == {"cancelled"}


def test_the_heartbeat_renews_a_running_nodes_lease(owner, drain, settings):
    settings.CATENA_NODE_LEASE_SECONDS = 1
    version = chain_version_make(owner=owner, document=linear_doc())
    run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    first = drain.queue.pop()
    claimed = claims.node_claim(first)
    before = claimed.lease_expires_at
    assert Heartbeat.renew([first], 30) == 1
    after = NodeResult.objects.get(id=first).lease_expires_at
    assert after > before + timedelta(seconds=20)
