"""The optimize node on the runner: two stored parts, reuse of the what-if part."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from config.exceptions import CatenaAppError
from runner.models import Artifact, NodeResult, Run
from runner.services.datasets import dataset_create_from_frame
from runner.services.runs import run_start
from tests.runner.conftest import chain_version_make, doc, model_make, node
from tests.runner.test_worker_runs import run_wait

Status = NodeResult.Status
ROWS = [{"x": float(i), "y": 2.0 * i, "cost": 0.5} for i in range(1, 6)]


def _demand() -> LinearRegression:
    """sales = 20 - 2 x + 0.5 y, fitted on named columns."""
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 1.0], "y": [0.0, 0.0, 0.0, 2.0]})
    return LinearRegression().fit(frame, 20 - 2 * frame["x"] + 0.5 * frame["y"])


def _doc(**params: Any) -> dict[str, Any]:
    settings = {
        "predictor": {"model": "demand", "version": "@latest"},
        "decision": "x",
        "candidates": {"kind": "multipliers", "lo": 0.5, "hi": 1.5, "steps": 5},
        "objective": "(x - cost) * prediction",
        **params,
    }
    schema = [["x", "float"], ["y", "float"], ["cost", "float"]]
    return doc(
        [
            node("in", "input", schema=schema),
            node("opt", "optimize", **settings),
            node("out", "output"),
        ],
        [["in", "opt"], ["opt", "out"]],
    )


@pytest.mark.worker
@pytest.mark.slow
def test_an_objective_only_change_computes_exactly_the_choose_part(
    owner, staff, celery_worker_process
):
    model_make(name="demand", estimator=_demand(), owner=owner, staff=staff)
    first_version = chain_version_make(owner=owner, document=_doc())
    first = run_wait(run_start(chain_version=first_version, user=owner, rows=ROWS))
    second_version = chain_version_make(
        owner=owner, document=_doc(objective="x * prediction")
    )

    second = run_wait(run_start(chain_version=second_version, user=owner, rows=ROWS))

    assert first.status == second.status == Run.Status.SUCCEEDED
    statuses = dict(second.nodes.values_list("node_id", "status"))
    assert statuses == {
        "in": Status.REUSED,
        "opt.whatif": Status.REUSED,
        "opt": Status.SUCCEEDED,
        "out": Status.SUCCEEDED,
    }
    computed = second.nodes.filter(status=Status.SUCCEEDED, kind="optimize.whatif")
    assert computed.count() == 0
    whatif = second.nodes.get(node_id="opt.whatif")
    assert whatif.reused_from_id == first.id
    assert whatif.model_name == "demand"


@pytest.mark.worker
@pytest.mark.slow
def test_an_identical_rerun_computes_nothing(owner, staff, celery_worker_process):
    model_make(name="demand", estimator=_demand(), owner=owner, staff=staff)
    version = chain_version_make(owner=owner, document=_doc())
    run_wait(run_start(chain_version=version, user=owner, rows=ROWS))

    again = run_wait(run_start(chain_version=version, user=owner, rows=ROWS))

    assert set(again.nodes.values_list("status", flat=True)) == {Status.REUSED}


@pytest.mark.django_db
def test_rows_times_candidates_over_the_limit_is_refused_before_anything_is_stored(
    owner, staff
):
    model_make(name="demand", estimator=_demand(), owner=owner, staff=staff)
    many = {"kind": "range", "lo": 1.0, "hi": 2.0, "steps": 1000}
    version = chain_version_make(owner=owner, document=_doc(candidates=many))
    rows = pd.DataFrame({"x": 1.0, "y": 2.0, "cost": 0.5}, index=range(50_001))
    dataset = dataset_create_from_frame(name="big", df=rows, owner=owner)
    before = (Run.objects.count(), Artifact.objects.count())

    with pytest.raises(CatenaAppError) as caught:
        run_start(chain_version=version, user=owner, dataset=dataset)

    (problem,) = caught.value.extra["problems"]
    assert (problem["code"], problem["node"]) == ("grid_too_large", "opt")
    assert problem["data"] == {
        "rows": 50_001,
        "candidates": 1000,
        "limit": 50_000_000,
    }
    assert (Run.objects.count(), Artifact.objects.count()) == before
