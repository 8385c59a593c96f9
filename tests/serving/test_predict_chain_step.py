"""Serving a chain that uses a saved chain as a step: its nodes run in place."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from registry.services.aliases import alias_set
from tests.serving.conftest import chain_make, model_doc, model_upload

pytestmark = pytest.mark.django_db


def outer_doc() -> dict[str, Any]:
    """in(x, y) -> step (saved chain 'lin-chain' @live) -> out."""
    return {
        "format": "catena.chain/1",
        "nodes": [
            {
                "id": "in",
                "kind": "input",
                "params": {"schema": [["x", "float"], ["y", "float"]]},
            },
            {
                "id": "step",
                "kind": "chain",
                "params": {"chain": "lin-chain", "version": "@live"},
            },
            {"id": "out", "kind": "output", "params": {}},
        ],
        "edges": [["in", "step"], ["step", "out"]],
    }


def test_a_chain_step_is_served_as_its_saved_chain_answers(api, owner, staff, media):
    x = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 0.0, 5.0, 2.0]})
    fitted = LinearRegression().fit(x, 2 * x.x - 3 * x.y)
    v1 = model_upload(name="lin", estimator=fitted, owner=owner, staff=staff)
    alias_set(model=v1.model, alias="production", number=1, user=owner)
    chain_make(name="lin-chain", document=model_doc("lin"), user=owner)
    chain_make(name="outer", document=outer_doc(), user=owner)
    rows = [{"x": 1.5, "y": -2.0}, {"x": 0.0, "y": 4.0}]

    inner = api.post("/api/chains/lin-chain/predict", {"rows": rows}, format="json")
    outer = api.post("/api/chains/outer/predict", {"rows": rows}, format="json")

    assert outer.status_code == 200, outer.json()
    assert outer.json()["rows"] == inner.json()["rows"]
    expected = fitted.predict(pd.DataFrame(rows))
    got = [row["prediction"] for row in outer.json()["rows"]]
    assert got == pytest.approx(list(expected), abs=1e-9)
    # The answer names the inner model node by its place in the outer chain.
    models = {m["node"]: (m["name"], m["version"]) for m in outer.json()["models"]}
    assert models == {"step/m": ("lin", 1)}
