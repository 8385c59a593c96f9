"""An optimize node predicting with a saved chain, picked in the editor and run."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from builder import services
from builder.models import ChainVersion
from catena.reference import INPUT_SCHEMA
from catena.reference_optimize import optimize_data
from runner.models import Run
from runner.services.datasets import dataset_create_from_frame
from tests.e2e.conftest import (
    connect,
    drop,
    node,
    open_editor,
    problem_count,
    settle,
    shoot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def _save(name: str, document: dict, user) -> None:
    chain = services.chain_create(name=name, owner=user, title=name)
    services.chain_version_save(chain=chain, document=document, user=user)
    services.chain_live_set(chain=chain, number=1, user=user)


def test_pick_a_saved_chain_as_predictor_and_run_it(
    page, demo_models, editor_user, celery_worker_process
):
    predictor = {
        "format": "catena.chain/1",
        "nodes": [
            {"id": "in", "kind": "input", "params": {"schema": INPUT_SCHEMA}},
            {"id": "m", "kind": "model", "params": {"model": "sales-predictor"}},
            {"id": "out", "kind": "output", "params": {}},
        ],
        "edges": [["in", "m"], ["m", "out"]],
    }
    _save("demand", predictor, editor_user)
    schema = [*INPUT_SCHEMA, ["unit_cost", "float"]]
    pricing = {
        "format": "catena.chain/1",
        "nodes": [
            {"id": "in", "kind": "input", "params": {"schema": schema}},
            {"id": "out", "kind": "output", "params": {}},
        ],
        "edges": [["in", "out"]],
        "layout": {"in": [40, 80], "out": [640, 80]},
    }
    _save("pricing", pricing, editor_user)
    dataset_create_from_frame(name="costs-12", df=optimize_data(12), owner=editor_user)
    open_editor(page, "pricing")

    added = drop(page, "optimize", 340, 260)
    connect(page, "in", added)
    connect(page, added, "out")
    node(page, added).click()
    inspector = page.get_by_role("region", name="Inspector")
    inspector.get_by_label("Predict with").select_option("chain")
    inspector.get_by_label("Saved chain").select_option("demand")
    inspector.get_by_label("Objective").fill("(price - unit_cost) * prediction")
    settle(page)
    expect(inspector.get_by_test_id("predictor-chain")).to_have_text(
        "Predicts with demand v1."
    )
    assert problem_count(page) == 0
    shoot(page, "42-optimize-predicts-with-a-saved-chain")

    page.get_by_role("button", name="Run the chain on the data set").click()
    page.get_by_label("Message").fill("optimize over a chain")
    page.get_by_label("Message").press("Enter")
    expect(page.get_by_test_id("run-status")).to_have_text("succeeded", timeout=90_000)
    run = Run.objects.latest("id")
    demand = ChainVersion.objects.get(chain__name="demand", number=1)
    assert run.chains == {f"{added}.whatif": ["demand", 1, demand.hash]}
