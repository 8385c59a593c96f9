"""The demo data sets install once and fit the demo chains' inputs."""

from __future__ import annotations

import pytest

from runner.demo import demo_datasets_install
from runner.models import Dataset

pytestmark = pytest.mark.django_db


def test_demo_data_sets_install_once(owner, media):
    assert "installed demo-sales, iris" in demo_datasets_install(user=owner)
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
