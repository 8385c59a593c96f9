"""Step one now, step two later, from the editor: Run up to here on a node,
Continue the partial run, and Try variants of a node landing on the run page's
form with that node chosen; in a real browser, with a real worker."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from builder import services
from runner.models import Experiment, Run
from tests.e2e.conftest import node, open_editor, shoot
from tests.runner.conftest import dataset_make, fan_doc

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

RUN_TIMEOUT = 90_000


def status_of(page, node_id: str):
    return node(page, node_id).locator(".step")


def test_run_up_to_a_node_then_continue_then_try_variants_of_a_later_node(
    page,  # noqa: F811
    editor_user,
    celery_worker_process,
):
    chain = services.chain_create(name="fan", owner=editor_user, title="Fan")
    services.chain_version_save(chain=chain, document=fan_doc(), user=editor_user)
    dataset_make(owner=editor_user)
    open_editor(page, "fan")
    expect(page.get_by_label("Data set", exact=True)).not_to_have_value("")

    # An unsaved change (a node moved): a run runs a saved version, so the save
    # dialog comes first and says the run up to the node follows.
    box = node(page, "out").bounding_box()
    page.mouse.move(box["x"] + 60, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 100, box["y"] + 120, steps=6)
    page.mouse.up()
    expect(page.get_by_test_id("unsaved")).to_be_visible()

    # Step one: right-click a node, Run up to here.
    node(page, "a").click(button="right")
    menu = page.get_by_role("menu", name="Actions of a")
    menu.get_by_role("menuitem", name="Run up to here").click()
    expect(menu).to_have_count(0)
    save = page.get_by_role("dialog", name="Save a new version")
    expect(save.get_by_test_id("save-then-run")).to_have_text(
        "The chain has unsaved changes. A run runs a saved version: save, and then "
        "it runs up to a."
    )
    save.get_by_role("button", name="Save version").click()
    expect(page.get_by_test_id("version")).to_have_text("version 2")
    expect(page.get_by_test_id("run-status")).to_have_text(
        "succeeded", timeout=RUN_TIMEOUT
    )
    expect(page.get_by_test_id("run-until")).to_have_text("up to a")
    for computed in ("in", "a"):
        expect(status_of(page, computed)).to_have_attribute("data-status", "succeeded")
    for later in ("b", "both", "out"):
        expect(status_of(page, later)).to_have_attribute("data-status", "")
    partial = Run.objects.get()
    assert (partial.until, partial.chain_version.number) == ("a", 2)
    history = page.get_by_label("Run history")
    expect(history.locator("option:checked")).to_have_text(
        f"#{partial.id} · v2 · succeeded · up to a"
    )
    shoot(page, "30-run-up-to-a")

    # Step two: Continue runs the rest on the stored outputs.
    page.get_by_role("button", name=f"Continue run #{partial.id}").click()
    expect(page.get_by_test_id("run-continues")).to_have_text(
        f"continues #{partial.id}"
    )
    expect(page.get_by_test_id("run-status")).to_have_text(
        "succeeded", timeout=RUN_TIMEOUT
    )
    rest = Run.objects.exclude(id=partial.id).get()
    assert rest.continues_id == partial.id
    assert rest.until == ""
    for reused in ("in", "a"):
        expect(status_of(page, reused)).to_have_attribute("data-status", "reused")
    for computed in ("b", "both", "out"):
        expect(status_of(page, computed)).to_have_attribute("data-status", "succeeded")
    expect(history.locator("option:checked")).to_have_text(
        f"#{rest.id} · v2 · succeeded · continues #{partial.id}"
    )
    shoot(page, "31-continued")
    # The pair is linked both ways: back to the partial run, which names its sequel.
    page.get_by_test_id("run-continues").click()
    expect(page.get_by_test_id("run-until")).to_have_text("up to a")
    expect(page.get_by_role("button", name=f"continued by #{rest.id}")).to_be_visible()
    continue_button = page.get_by_role("button", name=f"Continue run #{partial.id}")
    expect(continue_button).to_have_count(0)

    # Try variants of "both": the partial run did not compute it, the sequel did.
    node(page, "both").click()
    page.get_by_role("button", name="Try variants of both").click()
    dialog = page.get_by_role("dialog", name="Try variants of both")
    expect(dialog.get_by_label("Base run")).to_have_value(str(rest.id))
    expect(dialog.get_by_label("Base run").locator("option")).to_have_count(1)
    shoot(page, "32-try-variants-dialog")
    dialog.get_by_role("link", name="Open the variants form").click()
    expect(page).to_have_url(re.compile(rf"/runs/{rest.id}/\?experiment_node=both$"))
    form = page.get_by_role("form", name="Variants of both")
    expect(form).to_be_visible()
    expect(page.get_by_role("form", name="Variants of a")).to_be_hidden()
    variants = form.get_by_label(re.compile("Variants, one JSON object per line"))
    expect(variants).to_be_focused()
    expect(variants).to_be_in_viewport()
    variants.fill(json.dumps({"label": "vote", "params": {"method": "vote"}}))
    form.get_by_role("button", name="Start the experiment").click()
    expect(page).to_have_url(re.compile(r"/experiments/\d+/$"))
    experiment = Experiment.objects.get()
    assert (experiment.base_run_id, experiment.node_id) == (rest.id, "both")
    expect(page.locator("#experiment-status")).to_have_text("succeeded", timeout=30_000)
