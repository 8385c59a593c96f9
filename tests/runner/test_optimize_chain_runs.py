"""The optimize node predicting with a saved chain, on a real worker."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builder.models import Chain, ChainVersion
from runner.models import NodeResult, Run
from runner.services.runs import run_start
from runner.store import artifact_load
from tests.runner.conftest import chain_version_make, doc, model_make, node
from tests.runner.test_optimize_runs import ROWS, _demand, _doc
from tests.runner.test_worker_runs import run_wait

pytestmark = [pytest.mark.worker, pytest.mark.slow]

Status = NodeResult.Status


def _predictor_doc(model_version: int | str = "@latest") -> dict[str, object]:
    """in(x, y) -> demand -> out: the saved chain the optimize step predicts with."""
    return doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            node("pred", "model", model="demand", version=model_version),
            node("out", "output"),
        ],
        [["in", "pred"], ["pred", "out"]],
    )


def _live(version: ChainVersion) -> None:
    Chain.objects.filter(id=version.chain_id).update(live_version=version)


def _output(run: Run, node_id: str) -> pd.DataFrame:
    return artifact_load(artifact=run.nodes.get(node_id=node_id).artifact)


def test_a_chain_predictor_run_equals_the_model_predictor_and_records_its_version(
    owner, staff, celery_worker_process
):
    model_make(name="demand", estimator=_demand(), owner=owner, staff=staff)
    predictor = chain_version_make(owner=owner, document=_predictor_doc(), name="dm")
    _live(predictor)
    by_model = chain_version_make(owner=owner, document=_doc(), name="by-model")
    by_chain = chain_version_make(
        owner=owner,
        document=_doc(predictor={"chain": "dm", "version": "@live"}),
        name="by-chain",
    )

    one = run_wait(run_start(chain_version=by_model, user=owner, rows=ROWS))
    two = run_wait(run_start(chain_version=by_chain, user=owner, rows=ROWS))

    assert (one.status, two.status) == (Run.Status.SUCCEEDED, Run.Status.SUCCEEDED)
    expected, got = _output(one, "opt"), _output(two, "opt")
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-9)
    assert two.chains == {"opt.whatif": ["dm", 1, predictor.hash]}
    assert two.resolved["opt.whatif/pred"][:2] == ["demand", 1]
    assert two.nodes.get(node_id="opt.whatif").kind == "optimize.whatifchain"


def test_a_live_move_recomputes_the_whatif_part_and_an_objective_change_does_not(
    owner, staff, celery_worker_process
):
    model_make(name="demand", estimator=_demand(), owner=owner, staff=staff)
    first = chain_version_make(owner=owner, document=_predictor_doc(), name="dm")
    _live(first)
    chain = {"chain": "dm", "version": "@live"}
    user = chain_version_make(owner=owner, document=_doc(predictor=chain), name="u")
    run_wait(run_start(chain_version=user, user=owner, rows=ROWS))
    other = chain_version_make(
        owner=owner,
        document=_doc(predictor=chain, objective="x * prediction"),
        name="u",
    )

    objective_only = run_wait(run_start(chain_version=other, user=owner, rows=ROWS))
    second = chain_version_make(owner=owner, document=_predictor_doc(1), name="dm")
    _live(second)
    moved = run_wait(run_start(chain_version=other, user=owner, rows=ROWS))

    assert objective_only.nodes.get(node_id="opt.whatif").status == Status.REUSED
    assert moved.nodes.get(node_id="opt.whatif").status == Status.SUCCEEDED
    assert moved.chains["opt.whatif"] == ["dm", 2, second.hash]
