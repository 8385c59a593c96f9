"""Both protocols against the Node.js server: outputs equal the server called
directly, batches keep the row order, answers that do not fit are named."""

from __future__ import annotations

import json
import urllib.request

import numpy as np
import pandas as pd
import pytest

from catena.resolving import Signature
from catena.schema import Column
from registry.remote import tensors as tz
from registry.remote.adapter import Endpoint, RemoteModel, fetch_metadata
from registry.remote.boundary import AllowList
from registry.remote.errors import RemoteError
from registry.remote.http import Limits
from tests.registry.remote.servers import FEATURES, fitted, training_data

LOOPBACK = AllowList.parse(["127.0.0.1"])
LIMITS = Limits(timeout=10, retries=0)


def v2_model(nodejs, name: str, mode: str = "ok", **batching) -> RemoteModel:
    url = f"{nodejs.url}/{mode}/v2/models/{name}"
    inputs, outputs = fetch_metadata(url, allow=LOOPBACK, limits=LIMITS, headers={})
    signature = Signature(tz.columns_of(inputs), {"predict": tz.columns_of(outputs)})
    endpoint = Endpoint(
        url, "v2", signature, inputs, outputs, limits=LIMITS, **batching
    )
    return RemoteModel(endpoint, lambda: (LOOPBACK, {}))


def records_model(nodejs, mode: str = "ok", **batching) -> RemoteModel:
    features = tuple(Column(f, "float") for f in FEATURES)
    signature = Signature(features, {"predict": (Column("y", "float"),)})
    endpoint = Endpoint(
        f"{nodejs.url}/{mode}/records", "records", signature, limits=LIMITS, **batching
    )
    return RemoteModel(endpoint, lambda: (LOOPBACK, {}))


def direct(nodejs, frame: pd.DataFrame) -> np.ndarray:
    """The Node.js server called by hand, one request for all rows."""
    body = json.dumps(frame.to_dict("records")).encode()
    request = urllib.request.Request(f"{nodejs.url}/ok/records", data=body)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return np.array([r["y"] for r in json.load(answer)])


def test_v2_metadata_gives_positional_features_for_one_matrix_tensor(nodejs):
    model = v2_model(nodejs, "lin")
    assert [c.name for c in model.endpoint.signature.inputs] == ["x0", "x1", "x2"]
    named = v2_model(nodejs, "lin-cols")
    assert [c.name for c in named.endpoint.signature.inputs] == FEATURES
    assert named.endpoint.signature.outputs == {"predict": (Column("y", "float"),)}


@pytest.mark.parametrize("make", ["lin", "lin-cols", "records"])
def test_outputs_equal_the_server_called_directly(nodejs, make):
    frame, _ = training_data(50)
    model = records_model(nodejs) if make == "records" else v2_model(nodejs, make)
    got = model.call("predict", frame)
    assert got.tolist() == direct(nodejs, frame).tolist()
    np.testing.assert_allclose(got, fitted().predict(frame.to_numpy()), rtol=1e-12)


@pytest.mark.parametrize("make", ["lin-cols", "records"])
def test_batches_in_parallel_keep_the_row_order(nodejs, make):
    frame, _ = training_data(101)
    batching = {"batch_size": 7, "parallel": 3}
    if make == "records":
        model = records_model(nodejs, **batching)
    else:
        model = v2_model(nodejs, make, **batching)
    before = nodejs.requests()
    got = model.call("predict", frame)
    assert nodejs.requests() == before + 15 + 1  # ceil(101 / 7) batches, then stats
    assert got.tolist() == direct(nodejs, frame).tolist()


def test_no_rows_make_no_request(nodejs):
    model = v2_model(nodejs, "lin")
    before = nodejs.requests()
    assert model.call("predict", training_data(3)[0].iloc[:0]).shape == (0, 1)
    assert nodejs.requests() == before + 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("v2", "output 'y' has 9 values; expected 10 rows x 1 columns = 10"),
        ("records", "the answer has 9 records; expected 10"),
    ],
)
def test_an_answer_with_too_few_rows_is_named(nodejs, make, message):
    frame, _ = training_data(10)
    model = records_model(nodejs, "short") if make == "records" else None
    model = model or v2_model(nodejs, "lin-cols", "short")
    with pytest.raises(RemoteError, match=message):
        model.call("predict", frame)


@pytest.mark.parametrize("make", ["v2", "records"])
def test_an_answer_of_the_wrong_dtype_is_named(nodejs, make):
    frame, _ = training_data(4)
    model = records_model(nodejs, "text") if make == "records" else None
    model = model or v2_model(nodejs, "lin-cols", "text")
    with pytest.raises(RemoteError, match="output 'y': expected numbers"):
        model.call("predict", frame)


def test_a_remote_model_offers_predict_only(nodejs):
    with pytest.raises(RemoteError, match="only predict, not predict_proba"):
        v2_model(nodejs, "lin").call("predict_proba", training_data(2)[0])


@pytest.mark.parametrize("make", ["v2", "records"])
def test_missing_values_are_refused_before_sending(nodejs, make):
    frame, _ = training_data(4)
    frame.loc[2, "b"] = float("nan")
    model = records_model(nodejs) if make == "records" else v2_model(nodejs, "lin")
    before = nodejs.requests()
    with pytest.raises(RemoteError, match="missing or infinite values"):
        model.call("predict", frame)
    assert nodejs.requests() == before + 1
