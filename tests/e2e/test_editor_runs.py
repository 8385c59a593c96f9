"""Running a chain from the editor, with a real Celery worker behind the server."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import expect

from builder import services
from catena.reference import reference_doc
from runner.demo import demo_sales
from runner.services.datasets import dataset_create_from_frame
from tests.e2e.conftest import node, open_editor, shoot
from tests.runner.conftest import doc, model_make
from tests.runner.conftest import node as node_of
from tests.runner.estimators import Broken, SleepySum

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

RUN_TIMEOUT = 90_000


def run_and_wait(page) -> None:
    page.get_by_role("button", name="Run the chain on the data set").click()
    expect(page.get_by_test_id("run-status")).to_have_text(
        "succeeded", timeout=RUN_TIMEOUT
    )


def test_run_turns_every_node_done_with_its_output_openable_and_a_rerun_is_reused(
    page, demo_models, editor_user, celery_worker_process
):
    chain = services.chain_create(name="sales", owner=editor_user, title="Sales")
    document = reference_doc()
    services.chain_version_save(chain=chain, document=document, user=editor_user)
    dataset_create_from_frame(
        name="sales-40", df=demo_sales().head(40), owner=editor_user
    )
    ids = [n["id"] for n in document["nodes"]]
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/status" in r.url else None)
    open_editor(page, "sales")
    picker = page.get_by_label("Data set", exact=True)
    expect(picker.locator("option")).to_have_count(2)
    expect(picker).not_to_have_value("")

    run_and_wait(page)
    for node_id in ids:
        expect(node(page, node_id).locator(".step")).to_have_attribute(
            "data-status", "succeeded"
        )
    progress = page.get_by_role("progressbar", name="Run progress")
    expect(progress).to_have_attribute("aria-valuenow", "100")
    node(page, "stack").click()
    output = page.get_by_test_id("node-output")
    expect(output).to_contain_text("sales-stacker")
    expect(
        output.locator("table.data th").filter(has_text="prediction")
    ).to_be_visible()
    expect(output.locator("table.data tbody tr").first).to_be_visible()
    expect(output.get_by_role("img", name="Distribution of prediction")).to_be_visible()
    shoot(page, "10-run-done-output-open")
    # The editor's looks at the run wait on the server for its end (up to
    # half a second), so the end shows as it happens.
    assert asked
    assert all(url.endswith("/status?wait=0.5") for url in asked)

    run_and_wait(page)
    for node_id in ids:
        expect(node(page, node_id).locator(".step")).to_have_attribute(
            "data-status", "reused"
        )
    expect(output).to_contain_text("reused")
    shoot(page, "11-second-run-reused")

    runs = page.get_by_label("Run history").locator("option")
    expect(runs).to_have_count(3)
    first = runs.nth(2).get_attribute("value")
    page.get_by_label("Run history").select_option(first)
    expect(node(page, "stack").locator(".step")).to_have_attribute(
        "data-status", "succeeded"
    )


def test_a_keyboard_run_shows_nodes_running_then_failed_and_skipped_with_the_error(
    page, editor_user, staff, celery_worker_process
):
    model_make(
        name="sleepy",
        estimator=SleepySum(["x", "y"], 2.0),
        owner=editor_user,
        staff=staff,
    )
    model_make(
        name="broken", estimator=Broken(["x", "y"]), owner=editor_user, staff=staff
    )
    document = doc(
        [
            node_of("in", "input", schema=[["x", "float"], ["y", "float"]]),
            node_of("slow", "model", model="sleepy"),
            node_of("bad", "model", model="broken"),
            node_of("both", "combine", method="mean", name="m"),
            node_of("out", "output"),
        ],
        [
            ["in", "slow"],
            ["in", "bad"],
            ["slow", "both"],
            ["bad", "both"],
            ["both", "out"],
        ],
    )
    chain = services.chain_create(name="mixed", owner=editor_user, title="Mixed")
    services.chain_version_save(chain=chain, document=document, user=editor_user)
    dataset_create_from_frame(
        name="xy",
        df=pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]}),
        owner=editor_user,
    )
    open_editor(page, "mixed")

    # From the keyboard: Ctrl+Enter runs, Enter on a focused node opens its output.
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+Enter")
    status = node(page, "slow").locator(".step")
    expect(status).to_have_attribute("data-status", "running", timeout=RUN_TIMEOUT)
    expect(node(page, "bad").locator(".step")).to_have_attribute(
        "data-status", "failed"
    )
    shoot(page, "12-run-live-running-and-failed")
    expect(page.get_by_test_id("run-status")).to_have_text(
        "failed", timeout=RUN_TIMEOUT
    )
    expect(status).to_have_attribute("data-status", "succeeded")
    for skipped in ("both", "out"):
        expect(node(page, skipped).locator(".step")).to_have_attribute(
            "data-status", "skipped"
        )
    node(page, "bad").focus()
    page.keyboard.press("Enter")
    output = page.get_by_test_id("node-output")
    expect(output).to_contain_text("the broken model refuses these rows")
    expect(output).to_contain_text("broken v1")
