"""MLServer (its own virtualenv, started by the fixture) serving scikit-learn
over V2: metadata gives the signature, outputs equal the model called directly."""

from __future__ import annotations

import json
import urllib.request

import numpy as np
import pytest

from catena.resolving import Signature
from catena.schema import Column
from registry.remote import tensors as tz
from registry.remote.adapter import Endpoint, RemoteModel, fetch_metadata
from registry.remote.boundary import AllowList
from registry.remote.http import Limits
from tests.registry.remote.servers import fitted, training_data

pytestmark = pytest.mark.slow

LOOPBACK = AllowList.parse(["127.0.0.1"])
LIMITS = Limits(timeout=30, retries=0)


def test_mlserver_metadata_and_predictions_match_scikit_learn(ml):
    url = f"{ml.url}/v2/models/sk"
    inputs, outputs = fetch_metadata(url, allow=LOOPBACK, limits=LIMITS, headers={})
    signature = Signature(tz.columns_of(inputs), {"predict": tz.columns_of(outputs)})
    assert signature.inputs == tuple(Column(f"x{i}", "float") for i in range(3))
    assert signature.outputs == {"predict": (Column("predict", "float"),)}
    endpoint = Endpoint(
        url, "v2", signature, inputs, outputs, batch_size=16, parallel=2, limits=LIMITS
    )
    frame, _ = training_data(50, seed=3)
    got = RemoteModel(endpoint, lambda: (LOOPBACK, {})).call("predict", frame)
    assert got.shape == (50,)
    assert got.tolist() == direct(url, frame.to_numpy(), batch=16)
    # Another numpy in MLServer's virtualenv may round the last bit differently.
    np.testing.assert_allclose(got, fitted().predict(frame.to_numpy()), rtol=1e-12)


def direct(url: str, features: np.ndarray, *, batch: int) -> list[float]:
    """MLServer called by hand over V2, with the same batches."""
    values: list[float] = []
    for start in range(0, len(features), batch):
        part = features[start : start + batch]
        body = {
            "inputs": [
                {
                    "name": "x",
                    "datatype": "FP64",
                    "shape": list(part.shape),
                    "data": part.ravel().tolist(),
                }
            ]
        }
        request = urllib.request.Request(
            f"{url}/infer",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            values += json.load(answer)["outputs"][0]["data"]
    return values
