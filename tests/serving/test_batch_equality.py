"""A prediction equals a batch run of the same chain version on the same rows."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from catena.reference import synthetic_sales
from runner.models import NodeResult, Run
from runner.services.runs import run_start
from runner.store import artifact_load

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def run_wait(run: Run, timeout: float = 120.0) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if not run.is_active:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run.id} still {run.status}")


def test_predict_equals_a_batch_run_of_the_same_version(
    celery_worker_process, api, owner, sales
):
    data, _ = synthetic_sales(40, seed=11)
    rows = data.to_dict("records")
    answer = api.post(
        "/api/chains/sales-stacked/predict", {"rows": rows}, format="json"
    ).json()
    run = run_start(chain_version=sales.live_version, user=owner, rows=rows)
    assert run_wait(run).status == Run.Status.SUCCEEDED
    out = NodeResult.objects.get(run=run, node_id="out")
    batch = artifact_load(artifact=out.artifact)
    served = pd.DataFrame(answer["rows"])
    assert list(served.columns) == list(batch.columns)
    pd.testing.assert_frame_equal(
        served, batch.reset_index(drop=True), check_exact=False, atol=1e-9, rtol=0
    )
    used = {m["node"]: [m["name"], m["version"], m["sha256"]] for m in answer["models"]}
    assert used == {node: list(ref) for node, ref in run.resolved.items()}
