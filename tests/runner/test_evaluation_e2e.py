"""The run page shows a labelled run's metrics once a worker scored it, in a browser."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect
from sklearn.linear_model import LinearRegression

from runner.services.datasets import dataset_create_from_frame
from runner.services.runs import run_start
from tests.e2e.conftest import browser, editor_user, page  # noqa: F401 - fixtures
from tests.runner.conftest import chain_version_make, doc, model_make, node

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def test_the_run_page_shows_the_metrics_table_and_chart_after_scoring(
    page,  # noqa: F811
    editor_user,  # noqa: F811
    staff,
    celery_worker_process,
):
    x = np.linspace(0.0, 10.0, 40)
    frame = pd.DataFrame({"x": x, "y": 2.0 * x + np.sin(x)})
    dataset = dataset_create_from_frame(
        name="labelled", df=frame, owner=editor_user, target="y"
    )
    estimator = LinearRegression().fit(frame[["x"]], frame["y"])
    model_make(name="lin", estimator=estimator, owner=editor_user, staff=staff)
    document = doc(
        [
            node("in", "input", schema=[["x", "float"]]),
            node("m", "model", model="lin"),
            node("out", "output"),
        ],
        [["in", "m"], ["m", "out"]],
    )
    version = chain_version_make(owner=editor_user, document=document)
    run = run_start(chain_version=version, user=editor_user, dataset=dataset)
    page.goto(f"/runs/{run.id}/")
    table = page.locator("#metrics-table")
    expect(table).to_be_visible(timeout=30_000)
    expect(page.locator("#run-status")).to_have_text(
        re.compile("succeeded", re.IGNORECASE)
    )
    expect(table.locator("thead")).to_contain_text("rmse")
    expect(table.locator('tr[data-metrics-node="out"]')).to_contain_text("40")
    expect(
        page.get_by_role("img", name="Predicted against actual y for node out")
    ).to_be_visible()
