"""Chains that mix local and remote steps, for the run and bench tests."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rest_framework.test import APIClient
from sklearn.linear_model import LinearRegression

from registry.models import ModelVersion
from tests.registry.remote.servers import FEATURES, training_data
from tests.runner.conftest import arith, doc, model_make, node

SIGNATURE = {"inputs": [[f, "float"] for f in FEATURES], "outputs": [["y", "float"]]}


def remote_make(*, owner: Any, url: str, name: str = "lin", **fields: Any) -> None:
    """An endpoint version through the API, as a user records one."""
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post(
        f"/api/models/{name}/endpoints/", {"url": url, **fields}, format="json"
    )
    assert response.status_code == 201, response.json()


def local_make(*, owner: Any, staff: Any) -> ModelVersion:
    """The same linear model fitted here, uploaded as a file (named features)."""
    frame, target = training_data()
    estimator = LinearRegression().fit(frame, target)
    return model_make(name="lin-local", estimator=estimator, owner=owner, staff=staff)


def mixed_doc(remote: str = "lin") -> dict[str, Any]:
    """in(a, b, c) -> local model and remote model; remote -> y2 = y * 2 -> out."""
    return doc(
        [
            node("in", "input", schema=SIGNATURE["inputs"]),
            node("local", "model", model="lin-local", version="@latest"),
            node("remote", "model", model=remote, version="@latest"),
            arith("double", "y2", "y * 2", "y2"),
            node("out", "output"),
        ],
        [
            ["in", "local"],
            ["in", "remote"],
            ["remote", "double"],
            ["local", "out"],
            ["remote", "out"],
            ["double", "out"],
        ],
    )


def rows(n: int, seed: int = 11) -> list[dict[str, float]]:
    frame, _ = training_data(n, seed=seed)
    return frame.to_dict("records")


def frame_of(records: list[dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=FEATURES)
