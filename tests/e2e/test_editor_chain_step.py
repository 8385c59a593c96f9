"""A saved chain as one node in the editor: add it from the palette, see its
columns, open the inner chain read-only, run it on a real worker."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import expect

from builder import services
from runner.models import NodeResult, Run
from runner.services.datasets import dataset_create_from_frame
from tests.e2e.conftest import node, open_editor, problem_count, settle, shoot, toast
from tests.e2e.test_editor_runs import run_and_wait
from tests.runner.conftest import arith, doc
from tests.runner.conftest import node as node_of

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def twice_chain(user) -> None:
    """Chain 'twice' v1, live: in(x) -> double (s = x * 2) -> out."""
    chain = services.chain_create(name="twice", owner=user)
    document = doc(
        [
            node_of("in", "input", schema=[["x", "float"]]),
            arith("double", "s", "x * 2"),
            node_of("out", "output"),
        ],
        [["in", "double"], ["double", "out"]],
    )
    services.chain_version_save(chain=chain, document=document, user=user)
    services.chain_live_set(chain=chain, number=1, user=user)


def test_a_chain_node_from_the_palette_shows_its_columns_opens_and_runs(
    page, editor_user, celery_worker_process
):
    twice_chain(editor_user)
    services.chain_create(name="outer", owner=editor_user)
    dataset_create_from_frame(
        name="xs", df=pd.DataFrame({"x": [1.0, 2.5]}), owner=editor_user
    )
    open_editor(page, "outer")
    chains = page.get_by_label("Saved chains")
    expect(chains).to_contain_text("@live→v1")

    page.locator('[data-palette="input"]').press("Enter")
    page.locator('[data-palette="chain:twice"]').press("Enter")
    page.locator('[data-palette="output"]').press("Enter")
    settle(page)
    assert problem_count(page) == 0
    step = node(page, "twice")
    expect(step.locator(".step-body")).to_have_text("twice @live")
    columns = step.locator(".step-columns li span")
    expect(columns).to_have_text(["x", "s"])
    shoot(page, "20-chain-node-added")

    step.click()
    expect(page.get_by_test_id("saved-chain")).to_contain_text("Runs twice v1")
    with page.expect_popup() as opened:
        page.get_by_role("link", name="Open v1 read-only").click()
    inner = opened.value
    inner.wait_for_load_state()
    expect(inner.locator("body")).to_contain_text("double")
    inner.close()

    page.keyboard.press("Control+s")
    page.get_by_label("Message").fill("uses twice")
    page.get_by_label("Message").press("Enter")
    toast(page, "Saved version 1")
    run_and_wait(page)
    expect(step.locator(".step")).to_have_attribute("data-status", "succeeded")
    shoot(page, "21-chain-node-ran")
    run = Run.objects.get(chain_version__chain__name="outer")
    inner_nodes = run.nodes.filter(node_id__startswith="twice/")
    assert sorted(inner_nodes.values_list("node_id", flat=True)) == [
        "twice/double",
        "twice/in",
        "twice/out",
    ]
    # The inner input declares what the outer one does: same key, same output.
    assert dict(inner_nodes.values_list("node_id", "status")) == {
        "twice/in": NodeResult.Status.REUSED,
        "twice/double": NodeResult.Status.SUCCEEDED,
        "twice/out": NodeResult.Status.SUCCEEDED,
    }
