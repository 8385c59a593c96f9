"""Running, reusing and failing nodes through the real claim/lease/store code."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from runner.models import Artifact, NodeResult, Run
from runner.services.runs import run_start
from runner.store import artifact_load
from tests.runner.conftest import (
    chain_version_make,
    dataset_make,
    fan_doc,
    linear_doc,
    model_make,
)
from tests.runner.estimators import Broken

pytestmark = pytest.mark.django_db


def statuses(run: Run) -> dict[str, str]:
    return dict(run.nodes.values_list("node_id", "status"))


def test_a_run_computes_every_node_and_stores_each_output(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(
        chain_version=version, user=owner, dataset=dataset_make(owner=owner)
    )
    assert drain() == 3
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    assert statuses(run) == {"in": "succeeded", "plus": "succeeded", "out": "succeeded"}
    out = run.nodes.get(node_id="out")
    assert out.rows == 5
    assert artifact_load(artifact=out.artifact)["s"].tolist() == [
        1.0,
        2.0,
        3.0,
        4.0,
        5.0,
    ]


def test_a_second_identical_run_executes_no_node(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    dataset = dataset_make(owner=owner)
    first = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    second = run_start(chain_version=version, user=owner, dataset=dataset)
    assert drain() == 0
    second.refresh_from_db()
    assert second.status == Run.Status.SUCCEEDED
    assert set(statuses(second).values()) == {"reused"}
    assert {n.reused_from_id for n in second.nodes.all()} == {first.id}


def test_a_stored_output_whose_file_is_gone_is_recomputed(owner, drain):
    version = chain_version_make(owner=owner, document=linear_doc())
    dataset = dataset_make(owner=owner)
    run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    plus = Artifact.objects.get(node_id="plus")
    default_storage.delete(plus.path)
    again = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    assert statuses(again) == {"in": "reused", "plus": "succeeded", "out": "reused"}
    assert default_storage.exists(plus.path) is True


def test_fan_in_waits_for_both_branches(owner, drain):
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    assert drain() == 5
    run.refresh_from_db()
    out = run.nodes.get(node_id="out")
    assert artifact_load(artifact=out.artifact)["m"].tolist() == [2.5]
    assert run.status == Run.Status.SUCCEEDED


def test_a_failing_model_fails_its_node_with_its_own_error_and_skips_downstream(
    owner, staff, drain
):
    model_make(name="broken", estimator=Broken(["x", "y"]), owner=owner, staff=staff)
    document = linear_doc()
    document["nodes"][1] = {
        "id": "plus",
        "kind": "model",
        "params": {"model": "broken", "version": "@latest"},
    }
    version = chain_version_make(owner=owner, document=document)
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    drain()
    run.refresh_from_db()
    failed = run.nodes.get(node_id="plus")
    assert failed.status == NodeResult.Status.FAILED
    assert "the broken model refuses these rows" in failed.error
    assert "ValueError" in failed.traceback
    assert run.nodes.get(node_id="out").status == NodeResult.Status.SKIPPED
    assert run.status == Run.Status.FAILED
    assert "the broken model refuses these rows" in run.error
    assert failed.model_name == "broken"
    assert failed.model_version == 1


def test_the_django_store_keeps_a_table_once_and_misses_a_missing_file(media):
    import pandas as pd

    from runner.store import DjangoArtifactStore, recent_tables

    store = DjangoArtifactStore()
    table = pd.DataFrame({"a": [1.5, 2.5]}, index=[7, 9])
    assert store.get("k" * 64) is None
    store.put("k" * 64, table)
    store.put("k" * 64, table)
    assert Artifact.objects.filter(key="k" * 64).count() == 1
    assert store.get("k" * 64).to_dict("index") == {7: {"a": 1.5}, 9: {"a": 2.5}}
    default_storage.delete(Artifact.objects.get().path)
    recent_tables.clear()
    assert store.get("k" * 64) is None


def test_a_worker_goes_on_with_a_successor_it_claimed_without_a_message(owner, drain):
    version = chain_version_make(owner=owner, document=fan_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    assert drain() == 5
    # One message woke the input node; of the fan-out's two branches one went on
    # in the same worker and one was queued; the fan-in and out followed on.
    assert len(drain.sent) == 2
    assert run.nodes.filter(attempts=1).count() == 5
    assert run.nodes.filter(queued_at__isnull=False).count() == 5
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED


def test_a_successor_is_not_run_on_when_the_task_is_old(owner, drain, monkeypatch):
    from runner.claims import node

    monkeypatch.setattr(node, "HOP_SECONDS", 0.0)
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    assert drain() == 3
    assert len(drain.sent) == 3
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED


def test_an_output_recorded_meanwhile_under_the_same_key_is_kept_once(media):
    import pandas as pd

    from runner.store import ABSENT, artifact_put, artifact_record

    table = pd.DataFrame({"a": [1.5]})
    first = artifact_put(key="q" * 64, df=table)
    fields = {"path": first.path, "rows": 1, "size": first.size}
    # The caller saw no row under the key before another process stored one.
    again = artifact_record(key="q" * 64, fields=fields, known=ABSENT)
    assert again.id == first.id
    assert Artifact.objects.filter(key="q" * 64).count() == 1
