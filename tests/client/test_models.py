"""The registry from the client: upload, alias, trust, list, get."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from catena_client import BadRequest, Conflict, NotFound
from sklearn.linear_model import Ridge
from sklearn.tree import DecisionTreeRegressor

pytestmark = [pytest.mark.worker, pytest.mark.slow]


@pytest.fixture(scope="module")
def training():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"area": rng.uniform(20, 200, 80), "rooms": rng.uniform(1, 6, 80)})
    y = 3.0 * X["area"] + 10.0 * X["rooms"] + rng.normal(0, 1, 80)
    return X, y


def test_a_fitted_estimator_is_uploaded_as_skops_with_sample_metrics_and_notes(
    client, training
):
    X, y = training
    version = client.models.upload(
        "client-ridge",
        Ridge().fit(X, y),
        sample=X.head(10),
        metrics={"rmse": 1.02},
        notes="first fit",
    )
    assert (version.name, version.number, version.format) == (
        "client-ridge",
        1,
        "skops",
    )
    assert version.features == [("area", "float"), ("rooms", "float")]
    assert version.metrics == {"rmse": 1.02}
    assert version.raw["notes"] == "first fit"
    assert version.trusted is True
    second = client.models.upload("client-ridge", Ridge(alpha=3.0).fit(X, y))
    assert second.number == 2
    assert [v.number for v in client.models.versions("client-ridge")] == [2, 1]


def test_an_alias_moves_and_resolves(client, training):
    X, y = training
    client.models.upload("client-alias", Ridge().fit(X, y))
    client.models.upload("client-alias", Ridge(alpha=2.0).fit(X, y))
    moved = client.models.alias("client-alias", "production", 1)
    assert (moved["alias"], moved["version"]) == ("production", 1)
    assert client.models.info("client-alias").aliases == {"production": 1}
    assert client.models.resolve("client-alias", "@production").number == 1
    assert client.models.resolve("client-alias", "@latest").number == 2
    assert client.models.get("client-alias").number == 2
    names = [m.name for m in client.models.list(search="client-alias")]
    assert names == ["client-alias"]


def test_a_file_path_and_an_onnx_export_upload(client, training, tmp_path):
    X, y = training
    path = tmp_path / "ridge.skops"
    sio.dump(Ridge().fit(X, y), path)
    assert client.models.upload("client-path", path).format == "skops"
    onnx = client.models.upload(
        "client-onnx", Ridge().fit(X, y), sample=X.head(5), format="onnx"
    )
    assert onnx.format == "onnx"
    assert onnx.raw["methods"] == ["predict"]


def test_a_tree_waits_for_trust_and_staff_trusts_exactly_its_types(client, training):
    X, y = training
    version = client.models.upload("client-tree", DecisionTreeRegressor().fit(X, y))
    assert version.trusted is False
    assert version.untrusted_types == ["sklearn.tree._tree.Tree"]
    trusted = client.models.trust("client-tree", 1, version.untrusted_types)
    assert trusted.trusted is True


def test_a_refused_file_raises_the_servers_message_and_registers_nothing(
    client, tmp_path
):
    path = tmp_path / "broken.skops"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(BadRequest) as raised:
        client.models.upload("client-refused", path, metrics={"rmse": 1.0})
    assert raised.value.status == 400
    assert raised.value.message
    with pytest.raises(NotFound):
        client.models.info("client-refused")


def test_an_alias_move_that_breaks_a_live_chain_is_a_conflict_with_the_impact(
    client, training
):
    X, y = training
    client.models.upload("client-live", Ridge().fit(X, y))
    client.models.alias("client-live", "production", 1)
    client.chain("client-live-chain").input(X).model(
        "client-live", version="@production"
    ).save(live=True)
    renamed = X.rename(columns={"area": "surface"})  # a feature the chain lacks
    client.models.upload("client-live", Ridge().fit(renamed, y))
    with pytest.raises(Conflict) as raised:
        client.models.alias("client-live", "production", 2)
    assert raised.value.extra["impact"]["broken_live"] == 1
    assert client.models.info("client-live").aliases == {"production": 1}
