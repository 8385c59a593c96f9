"""A run on the labelled demo data is scored by a real worker after its last node."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from catena.reference import direct, fit_reference
from runner.demo import demo_sales_labelled
from runner.models import Dataset, Run
from runner.services.runs import run_start
from tests.runner.test_worker_runs import run_wait, wait_for, workers  # noqa: F401

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def test_the_demo_sales_chain_on_labelled_rows_stores_metrics(owner, staff, workers):  # noqa: F811
    from builder.demo import demo_chains_install
    from registry.demo import demo_models_install
    from runner.demo import demo_datasets_install
    from runner.selectors import chain_version_pick

    demo_models_install(user=staff)
    demo_chains_install(user=staff)
    demo_datasets_install(user=staff)
    workers()
    run = run_start(
        chain_version=chain_version_pick(chain_name="sales-stacked"),
        user=owner,
        dataset=Dataset.objects.get(name="demo-sales-labelled"),
    )
    run_wait(run)
    assert run.status == Run.Status.SUCCEEDED

    def scored() -> bool:
        run.refresh_from_db()
        return run.evaluation.get("status") != "pending"

    wait_for(scored)
    found = run.evaluation
    assert found["status"] == "done", found
    frame = demo_sales_labelled()
    actual = frame["sales"].to_numpy()
    stacked = direct(fit_reference(0), frame.drop(columns="sales"))
    by_node = {n["node"]: n for n in found["nodes"]}
    assert sorted(by_node) == ["boost", "forest", "out", "ridge", "stack"]
    assert by_node["out"]["output"] is True
    assert by_node["out"]["rows"] == 500
    assert by_node["out"]["metrics"] == pytest.approx(
        {
            "mae": skm.mean_absolute_error(actual, stacked),
            "rmse": math.sqrt(skm.mean_squared_error(actual, stacked)),
            "r2": skm.r2_score(actual, stacked),
        },
        rel=1e-9,
    )
    assert found["chart"]["node"] == "out"
    assert np.asarray(found["chart"]["points"]).shape == (250, 2)
