"""Remote models in the browser: recorded on the form, then drawn in the editor
where a missing feature is named on the edge and Fix… maps it, like a local model."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from builder import services
from registry.models import AllowedHost, ModelVersion
from tests.e2e.conftest import (
    connect,
    document,
    drop,
    open_editor,
    problem_count,
    settle,
    shoot,
)

pytestmark = pytest.mark.e2e


def test_a_remote_model_is_recorded_on_the_form_and_fixed_in_the_editor(
    page, nodejs, remote_fresh
):
    AllowedHost.objects.create(entry="127.0.0.1", note="test model servers")
    page.goto("/models/")
    page.get_by_role("link", name="Add a remote model").click()
    page.get_by_label("Name").fill("lin")
    page.get_by_label("URL").fill(f"{nodejs.url}/ok/v2/models/lin-cols")
    page.get_by_label("Protocol").select_option("v2")
    page.get_by_label("Batch size").fill("500")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#endpoint-url")).to_have_text(
        f"{nodejs.url}/ok/v2/models/lin-cols"
    )
    expect(page.get_by_text("signature fetched from the endpoint")).to_be_visible()
    shoot(page, "remote-01-recorded")
    version = ModelVersion.objects.get(model__name="lin")
    assert version.endpoint.batch_size == 500

    user = version.uploaded_by
    chain = services.chain_create(name="mixed", owner=user, title="Mixed")
    schema = [["a", "float"], ["b", "float"], ["z", "float"]]
    services.chain_version_save(
        chain=chain,
        user=user,
        document={
            "format": "catena.chain/1",
            "nodes": [
                {"id": "in", "kind": "input", "params": {"schema": schema}},
                {"id": "out", "kind": "output", "params": {}},
            ],
            "edges": [["in", "out"]],
            "layout": {"in": [60, 200], "out": [560, 200]},
        },
    )
    open_editor(page, "mixed")
    remote = drop(page, "model:lin", 330, 330)
    connect(page, "in", remote)
    connect(page, remote, "out")
    settle(page)
    label = page.locator(f'.edge-problem[data-edge="in->{remote}"]')
    expect(label).to_contain_text("missing features upstream")
    expect(label).to_contain_text("c")
    shoot(page, "remote-02-missing-feature")

    label.get_by_role("button", name=f"Fix the columns from in to {remote}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Column for feature c").select_option("z")
    dialog.get_by_role("button", name="Apply the column mapping").click()
    settle(page)
    assert problem_count(page) == 0
    params = {n["id"]: n["params"] for n in document(page)["nodes"]}[remote]
    assert params["columns"]["c"] == "z"
    shoot(page, "remote-03-fixed")
