"""The run page follows a running run live, in a real browser, with a real worker."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from runner.services.runs import run_start
from tests.e2e.conftest import browser, editor_user, page  # noqa: F401 - fixtures
from tests.runner.conftest import chain_version_make, doc, model_make, node
from tests.runner.estimators import SleepySum

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def test_the_run_page_colours_nodes_live_and_ends_with_every_output(
    page,  # noqa: F811
    editor_user,  # noqa: F811
    staff,
    celery_worker_process,
):
    # Running for 3 s: the page shows the end as it happens, so "running" is
    # on screen only from its first answer after the node starts until the
    # end, and Playwright looks about once a second by then. A 1.5 s node
    # left it on screen for about half a second, which is likely how CI once
    # missed it (not reproduced here).
    sleepy = SleepySum(["x", "y"], 3.0)
    model_make(name="sleepy", estimator=sleepy, owner=editor_user, staff=staff)
    document = doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            node("slow", "model", model="sleepy"),
            node("out", "output"),
        ],
        [["in", "slow"], ["slow", "out"]],
    )
    version = chain_version_make(owner=editor_user, document=document)
    run = run_start(chain_version=version, user=editor_user, rows=[{"x": 1, "y": 2}])
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/status" in r.url else None)
    page.goto(f"/runs/{run.id}/")
    expect(page.locator('g[data-node="slow"]')).to_have_class(
        re.compile("st-running"), timeout=15_000
    )
    expect(page.locator("#run-status")).to_have_text(
        re.compile("succeeded", re.IGNORECASE), timeout=30_000
    )
    expect(page.locator("#run-progress-text")).to_have_text("3 of 3")
    expect(page.locator('g[data-node="out"]')).to_have_class(re.compile("st-succeeded"))
    expect(
        page.get_by_role("img", name="Distribution of prediction").first
    ).to_be_visible()
    expect(page.get_by_role("link", name="sleepy v1").first).to_be_visible()
    # Each look waited on the server for the end (up to a second), so the
    # page shows it as it happens, not at its next look.
    assert asked
    assert all(url.endswith(f"/api/runs/{run.id}/status?wait=1") for url in asked)
