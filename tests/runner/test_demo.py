"""The demo data sets install once and fit the demo chains' inputs."""

from __future__ import annotations

import pytest

from runner.demo import demo_datasets_install
from runner.models import Dataset

pytestmark = pytest.mark.django_db


def test_demo_data_sets_install_once(owner, media):
    assert "installed demo-sales, demo-sales-costs, iris" in demo_datasets_install(
        user=owner
    )
    assert "already installed" in demo_datasets_install(user=owner)
    sales = Dataset.objects.get(name="demo-sales")
    assert [c for c, _ in sales.artifact.schema] == [
        "temperature",
        "price",
        "shape",
        "color",
        "promo",
    ]
    iris = Dataset.objects.get(name="iris")
    assert iris.artifact.rows == 150
    assert iris.artifact.schema[0] == ["sepal_length", "float"]


def test_the_demo_sales_chain_runs_on_the_demo_sales_data(owner, staff, drain):
    from builder.demo import demo_chains_install
    from registry.demo import demo_models_install
    from runner.models import Run
    from runner.selectors import chain_version_pick
    from runner.services.runs import run_start

    demo_models_install(user=staff)
    demo_chains_install(user=staff)
    demo_datasets_install(user=staff)
    run = run_start(
        chain_version=chain_version_pick(chain_name="sales-stacked"),
        user=owner,
        dataset=Dataset.objects.get(name="demo-sales"),
    )
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    assert run.nodes.get(node_id="out").rows == 500
    assert run.resolved["stack"][0] == "sales-stacker"


def test_the_demo_optimize_chain_picks_prices_on_the_demo_costs(
    owner, owner_client, staff, drain
):
    from builder.demo import demo_chains_install
    from catena.reference_optimize import direct_optimize, fit_predictor
    from registry.demo import demo_models_install
    from runner.models import Run
    from runner.selectors import chain_version_pick
    from runner.services.runs import run_start
    from runner.store import artifact_load

    demo_models_install(user=staff)
    demo_chains_install(user=staff)
    demo_datasets_install(user=staff)
    dataset = Dataset.objects.get(name="demo-sales-costs")
    run = run_start(
        chain_version=chain_version_pick(chain_name="sales-optimize"),
        user=owner,
        dataset=dataset,
    )
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    assert run.resolved["optimize.whatif"][0] == "sales-predictor"
    chosen = artifact_load(artifact=run.nodes.get(node_id="optimize").artifact)
    expected = direct_optimize(
        fit_predictor(0), artifact_load(artifact=dataset.artifact)
    )
    assert chosen["best_price"].tolist() == expected["best_price"].tolist()
    page = owner_client.get(f"/runs/{run.id}/").content.decode()
    assert 'id="node-optimize.whatif"' in page
    assert page.count("data-curve-row=") == 3
    first = f"{expected['best_price'].iloc[0]:.3f}"
    assert f"chosen <strong>{first}</strong>" in page
    assert page.count('class="chosen"') == 3
