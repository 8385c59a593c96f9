"""An optimize node built in the editor, run on a worker, its curve on the run page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from builder import services
from catena.reference import INPUT_SCHEMA
from catena.reference_optimize import optimize_data
from runner.services.datasets import dataset_create_from_frame
from tests.e2e.conftest import connect, drop, node, open_editor, settle, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def test_add_an_optimize_node_set_its_objective_run_and_see_the_curve(
    page, demo_models, editor_user, celery_worker_process
):
    chain = services.chain_create(name="pricing", owner=editor_user, title="Pricing")
    schema = [*INPUT_SCHEMA, ["unit_cost", "float"]]
    document = {
        "format": "catena.chain/1",
        "nodes": [
            {"id": "in", "kind": "input", "params": {"schema": schema}},
            {"id": "out", "kind": "output", "params": {}},
        ],
        "edges": [["in", "out"]],
        "layout": {"in": [40, 80], "out": [640, 80]},
    }
    services.chain_version_save(chain=chain, document=document, user=editor_user)
    dataset_create_from_frame(name="costs-12", df=optimize_data(12), owner=editor_user)
    open_editor(page, "pricing")

    added = drop(page, "optimize", 340, 260)
    connect(page, "in", added)
    connect(page, added, "out")
    node(page, added).click()
    inspector = page.get_by_role("region", name="Inspector")
    inspector.get_by_label("Model").select_option("sales-predictor")
    objective = inspector.get_by_label("Objective")
    objective.fill("(price - unit_cost) * margin")
    settle(page)
    expect(inspector.locator("[data-objective-problem]")).to_contain_text("margin")
    objective.fill("(price - unit_cost) * prediction")
    settle(page)
    expect(inspector.locator("[data-objective-problem]")).to_have_count(0)
    shoot(page, "40-optimize-objective-set")

    page.get_by_role("button", name="Run the chain on the data set").click()
    page.get_by_label("Message").fill("optimize price")
    page.get_by_label("Message").press("Enter")
    expect(page.get_by_test_id("run-status")).to_have_text("succeeded", timeout=90_000)
    expect(node(page, added).locator(".step")).to_have_attribute(
        "data-status", "succeeded"
    )
    node(page, added).click()
    page.get_by_role("region", name="Run output").locator("h3 a").click()

    curves = page.locator("figure.curve")
    expect(curves).to_have_count(3)
    expect(curves.first.locator("svg polyline")).to_be_visible()
    expect(curves.first.locator("circle.chosen")).to_have_count(1)
    expect(curves.first).to_contain_text("chosen")
    expect(page.locator(f'[id="node-{added}.whatif"]')).to_contain_text("Succeeded")
    shoot(page, "41-optimize-curves-on-the-run-page")
