"""An experiment from the run page, followed live, then its winner promoted:
in a real browser, with a real worker."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from builder import services
from builder.models import ChainVersion
from runner.models import Promotion, Run
from runner.services.runs import run_start
from tests.e2e.conftest import browser, editor_user, page, shoot  # noqa: F401
from tests.runner.conftest import dataset_make, fan_doc

pytestmark = [pytest.mark.e2e, pytest.mark.worker]
WEIGHTED = {"params": {"method": "weighted_mean", "weights": {"a": 1.0, "b": 3.0}}}


def finished(run: Run) -> Run:
    deadline = time.monotonic() + 60
    while run.is_active and time.monotonic() < deadline:
        time.sleep(0.1)
        run.refresh_from_db()
    return run


def test_an_experiment_started_on_the_run_page_shows_its_variants_and_promotes_one(
    page,  # noqa: F811
    editor_user,  # noqa: F811
    celery_worker_process,
):
    chain = services.chain_create(name="fan", owner=editor_user)
    version, _ = services.chain_version_save(
        chain=chain, document=fan_doc(), user=editor_user
    )
    base = run_start(
        chain_version=version, user=editor_user, dataset=dataset_make(owner=editor_user)
    )
    assert finished(base).status == Run.Status.SUCCEEDED
    page.goto(f"/runs/{base.id}/")
    page.get_by_text("Try variants of both").click()
    form = page.get_by_role("form", name="Variants of both")
    form.get_by_label("Title").fill("weights")
    lines = [
        json.dumps({"label": "weighted", **WEIGHTED}),
        '{"label": "vote", "params": {"method": "vote"}}',
    ]
    form.get_by_label(re.compile("Variants, one JSON object per line")).fill(
        "\n".join(lines)
    )
    form.get_by_role("button", name="Start the experiment").click()
    expect(page).to_have_url(re.compile(r"/experiments/\d+/$"))
    expect(page.locator("#experiment-status")).to_have_text("succeeded", timeout=30_000)
    rows = page.locator("table#variants tbody tr")
    expect(rows).to_have_count(2)
    for row in (rows.nth(0), rows.nth(1)):
        expect(row.locator('[data-cell="status"]')).to_have_text("succeeded")
        expect(row.locator('[data-cell="counts"]')).to_contain_text("2 / 3")
    expect(page.locator("#experiment-progress-text")).to_have_text("2 of 2")
    shoot(page, "experiment-done")

    page.get_by_role("link", name=re.compile("^label")).click()
    expect(rows.nth(0)).to_contain_text("vote")
    expect(page).to_have_url(re.compile(r"\?sort=label$"))

    weighted = rows.filter(has_text="weighted")
    weighted.get_by_role("button", name="New version").click()
    expect(page.get_by_text("Saved as fan v2.")).to_be_visible()
    expect(page.locator("ul.promotions")).to_contain_text("saved as fan v2")
    promoted = ChainVersion.objects.get(chain=chain, number=2)
    both = next(n for n in promoted.document["nodes"] if n["id"] == "both")
    assert both["params"]["method"] == "weighted_mean"
    assert Promotion.objects.get().chain_version == promoted


def test_a_labelled_experiment_draws_a_chart_per_metric_and_the_outputs_side_by_side(
    page,  # noqa: F811
    editor_user,  # noqa: F811
    celery_worker_process,
):
    import pandas as pd

    from runner.services.datasets import dataset_create_from_frame
    from runner.services.experiments import experiment_start

    frame = pd.DataFrame(
        {
            "x": [float(i) for i in range(12)],
            "y": [float(i % 4) for i in range(12)],
            "t": [float(3 * i) for i in range(12)],
        }
    )
    dataset = dataset_create_from_frame(
        name="xyt", df=frame, owner=editor_user, target="t"
    )
    chain = services.chain_create(name="fan", owner=editor_user)
    version, _ = services.chain_version_save(
        chain=chain, document=fan_doc(), user=editor_user
    )
    base = run_start(chain_version=version, user=editor_user, dataset=dataset)
    assert finished(base).status == Run.Status.SUCCEEDED
    experiment = experiment_start(
        user=editor_user,
        base_run=base,
        node_id="both",
        variants=[{"label": "mean"}, {"label": "weighted", **WEIGHTED}],
    )
    # Opened at once: the page follows the variants, then waits for the worker
    # to score their runs, and reloads with the charts.
    page.goto(f"/experiments/{experiment.id}/")
    charts = page.locator("figure.metric-chart")
    expect(charts).to_have_count(3, timeout=60_000)
    for metric, name in (("mae", "MAE"), ("rmse", "RMSE"), ("r2", "R²")):
        chart = charts.and_(page.locator(f'[data-metric="{metric}"]'))
        expect(
            chart.get_by_role("img", name=re.compile(f"^{name} by variant"))
        ).to_be_visible()
        expect(chart.locator("g.bar")).to_have_count(2)
    sample = page.locator("table#sample tbody tr")
    expect(sample).to_have_count(5)
    expect(page.locator("table#sample thead")).to_contain_text("weighted")
    shoot(page, "experiment-charts")
