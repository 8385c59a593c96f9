"""Chain steps run on a real worker: a saved chain's inner nodes are stored under
the keys they have on their own, so every chain that uses it reuses them."""

from __future__ import annotations

from typing import Any

import pytest

from builder.models import Chain, ChainVersion
from runner.models import NodeResult, Run
from runner.services.runs import run_start
from tests.conftest import WorkerProcess
from tests.runner.conftest import (
    arith,
    chain_version_make,
    dataset_make,
    doc,
    linear_doc,
    node,
)
from tests.runner.test_worker_runs import run_wait

pytestmark = [pytest.mark.worker]

Status = NodeResult.Status


def user_doc(node_id: str, *after: dict[str, Any]) -> dict[str, Any]:
    """in(x, y) -> <node_id> (chain sum @live) -> each of ``after`` -> out."""
    ids = ["in", node_id, *(n["id"] for n in after), "out"]
    nodes = [
        node("in", "input", schema=[["x", "float"], ["y", "float"]]),
        node(node_id, "chain", chain="sum", version="@live"),
        *after,
        node("out", "output"),
    ]
    return doc(nodes, [[a, b] for a, b in zip(ids, ids[1:], strict=False)])


def live(version: ChainVersion) -> None:
    Chain.objects.filter(id=version.chain_id).update(live_version=version)


def computed(run: Run) -> list[str]:
    return sorted(
        run.nodes.filter(status=Status.SUCCEEDED).values_list("node_id", flat=True)
    )


def test_a_stored_inner_output_is_reused_across_two_chains_using_it(
    owner, api, celery_worker_process: WorkerProcess
):
    data = dataset_make(owner=owner)
    alone = chain_version_make(owner=owner, document=linear_doc(), name="sum")
    live(alone)
    first = chain_version_make(owner=owner, document=user_doc("step"), name="first")
    second = chain_version_make(
        owner=owner,
        document=user_doc("total", arith("twice", "t", "s * 2", "t")),
        name="second",
    )

    run_wait(run_start(chain_version=alone, user=owner, dataset=data))
    one = run_wait(run_start(chain_version=first, user=owner, dataset=data))
    two = run_wait(run_start(chain_version=second, user=owner, dataset=data))

    assert (one.status, two.status) == (Run.Status.SUCCEEDED, Run.Status.SUCCEEDED)
    # The saved chain ran alone first: inside "first" its nodes are all reused;
    # the chain node (passing its inner output on) and the output are new.
    assert computed(one) == ["out", "step"]
    keys = dict(one.nodes.values_list("node_id", "cache_key"))
    alone_run = Run.objects.filter(chain_version=alone).get()
    alone_keys = dict(alone_run.nodes.values_list("node_id", "cache_key"))
    assert {k: keys[f"step/{k}"] for k in alone_keys} == alone_keys
    # "second" names its chain node otherwise and adds a step after it: only
    # that step and the output are computed.
    assert computed(two) == ["out", "twice"]
    assert two.nodes.get(node_id="total/plus").status == Status.REUSED
    assert two.chains == {"total": ["sum", 1, alone.hash]}
    assert two.nodes.get(node_id="twice").rows == 5
    # The run page opens an inner node's output like any other node's.
    url = f"/api/runs/{two.id}/nodes/total/plus/output?format=csv"
    response = api.get(url)
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].split(",")[-1] == "s"
    assert len(lines) == 6


def test_live_moved_is_picked_up_on_the_next_run_and_said(
    owner, celery_worker_process: WorkerProcess
):
    data = dataset_make(owner=owner)
    v1 = chain_version_make(owner=owner, document=linear_doc(), name="sum")
    live(v1)
    outer = chain_version_make(owner=owner, document=user_doc("step"), name="outer")
    before = run_wait(run_start(chain_version=outer, user=owner, dataset=data))

    changed = linear_doc()
    changed["nodes"][1] = arith("plus", "s", "x + 10 * y")
    live(chain_version_make(owner=owner, document=changed, name="sum"))
    after = run_wait(run_start(chain_version=outer, user=owner, dataset=data))

    assert (before.chains["step"][1], after.chains["step"][1]) == (1, 2)
    note = after.nodes.get(node_id="step").note
    assert "'sum' v2" in note
    assert "changed since the previous run (v1)" in note
    assert "changed" not in before.nodes.get(node_id="step").note
    assert after.nodes.get(node_id="step/plus").status == Status.SUCCEEDED
    assert after.nodes.get(node_id="step/in").status == Status.REUSED
