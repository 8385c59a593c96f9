"""The editor shows the evaluation guards' warnings: nested-model bias, with links
to both base versions, and a model taking the chosen data set's target."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect
from sklearn.linear_model import LinearRegression

from builder import services
from catena.reference import reference_doc
from registry import services as registry_services
from registry.models import ModelVersion, RegisteredModel
from runner.services.datasets import dataset_create_from_frame
from tests.e2e.conftest import open_editor, settle
from tests.runner.conftest import doc, model_make
from tests.runner.conftest import node as node_of

pytestmark = pytest.mark.e2e


def test_a_stacker_on_a_moved_base_is_warned_with_links_to_both_versions(
    page, demo_models, editor_user
):
    chain = services.chain_create(name="sales", owner=editor_user, title="Sales")
    services.chain_version_save(chain=chain, document=reference_doc(), user=editor_user)
    ridge = RegisteredModel.objects.get(name="sales-ridge")
    with ModelVersion.objects.get(model=ridge, number=1).file.open("rb") as handle:
        data = handle.read()
    registry_services.model_version_create(
        model=ridge,
        file=ContentFile(data, name="sales-ridge.skops"),
        uploaded_by=ridge.owner,
    )
    open_editor(page, "sales")
    warning = page.locator(".problem-list li.warning").filter(
        has=page.locator('[data-code="stacker_base_moved"]')
    )
    expect(warning).to_have_count(1)
    expect(
        warning.get_by_role("link", name="trained on sales-ridge v1")
    ).to_have_attribute("href", "/models/sales-ridge/versions/1/")
    expect(warning.get_by_role("link", name="runs sales-ridge v2")).to_have_attribute(
        "href", "/models/sales-ridge/versions/2/"
    )


def test_a_model_taking_the_chosen_data_sets_target_is_warned(page, editor_user, staff):
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 3.0, 5.0, 7.0]})
    leaky = LinearRegression().fit(frame[["x", "y"]], frame["y"])
    model_make(name="leaky", estimator=leaky, owner=editor_user, staff=staff)
    document = doc(
        [
            node_of("in", "input", schema=[["x", "float"], ["y", "float"]]),
            node_of("m", "model", model="leaky"),
            node_of("out", "output"),
        ],
        [["in", "m"], ["m", "out"]],
    )
    chain = services.chain_create(name="leak", owner=editor_user, title="Leak")
    services.chain_version_save(chain=chain, document=document, user=editor_user)
    dataset_create_from_frame(name="plain", df=frame, owner=editor_user)
    labelled = dataset_create_from_frame(
        name="labelled", df=frame, owner=editor_user, target="y"
    )
    open_editor(page, "leak")
    leak = page.locator('.problem-list [data-code="target_as_feature"]')
    page.get_by_label("Data set", exact=True).select_option(str(labelled.id))
    settle(page)
    expect(leak).to_have_count(1)
    expect(leak).to_contain_text("'y'")
    page.get_by_label("Data set", exact=True).select_option(label="plain (4 rows)")
    expect(leak).to_have_count(0)
