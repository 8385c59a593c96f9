"""The Open Inference Protocol (V2), spoken to a live server by tritonclient."""

from __future__ import annotations

import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from accounts.services import api_token_create
from catena.reference import synthetic_sales

pytestmark = pytest.mark.slow


@pytest.fixture
def v2(live_server, transactional_db, owner):
    """A real V2 client on the live server, and the token headers it sends."""
    client = triton.InferenceServerClient(url=live_server.url.removeprefix("http://"))
    headers = {"Authorization": f"Token {api_token_create(user=owner).key}"}
    yield client, headers
    client.close()


def tensor(name, values, datatype, binary):
    item = triton.InferInput(name, [len(values)], datatype)
    dtype = object if datatype == "BYTES" else None
    item.set_data_from_numpy(np.array(values, dtype=dtype), binary_data=binary)
    return item


SHOP_INPUTS = [
    ("temperature", [20.0, 31.5], "FP64"),
    ("price", [2.0, 3.5], "FP64"),
    ("shape", ["round", "square"], "BYTES"),
    ("color", ["red", "blue"], "BYTES"),
    ("promo", [1, 2], "INT64"),
]


def test_health_answers_only_with_a_token(v2):
    client, headers = v2
    assert client.is_server_live(headers=headers) is True
    assert client.is_server_ready(headers=headers) is True
    assert client.is_server_live() is False


def test_model_metadata_lists_the_chains_columns_as_tensors(v2, shop):
    client, headers = v2
    meta = client.get_model_metadata("shop", headers=headers)
    assert meta["name"] == "shop"
    assert meta["versions"] == ["1"]
    assert [(i["name"], i["datatype"]) for i in meta["inputs"]] == [
        ("temperature", "FP64"),
        ("price", "FP64"),
        ("shape", "BYTES"),
        ("color", "BYTES"),
        ("promo", "INT64"),
    ]
    assert meta["outputs"] == [{"name": "revenue", "datatype": "FP64", "shape": [-1]}]
    assert client.is_model_ready("shop", headers=headers) is True
    assert client.is_model_ready("no-such-chain", headers=headers) is False


@pytest.mark.parametrize("binary", [False, True])
def test_infer_round_trip_json_and_binary_tensors(v2, shop, binary):
    client, headers = v2
    inputs = [tensor(n, v, t, binary) for n, v, t in SHOP_INPUTS]
    result = client.infer("shop", inputs, headers=headers, request_id="r-1")
    assert result.as_numpy("revenue").tolist() == [2.0, 7.0]
    response = result.get_response()
    assert response["model_name"] == "shop"
    assert response["model_version"] == "1"
    assert response["id"] == "r-1"


def test_infer_with_a_wrong_tensor_names_the_column(v2, shop):
    client, headers = v2
    inputs = [tensor(n, v, t, False) for n, v, t in SHOP_INPUTS]
    inputs[4] = tensor("promo", ["one", "two"], "BYTES", False)
    with pytest.raises(InferenceServerException, match="promo") as caught:
        client.infer("shop", inputs, headers=headers)
    assert caught.value.status() == "400"
    with pytest.raises(InferenceServerException, match="price"):
        client.infer("shop", inputs[:1] + inputs[2:], headers=headers)


def test_infer_on_the_demo_chain_equals_the_predict_api(v2, sales, api):
    client, headers = v2
    data, _ = synthetic_sales(25, seed=5)
    datatypes = {"float64": "FP64", "int64": "INT64"}
    inputs = [
        tensor(c, data[c].tolist(), datatypes.get(str(data[c].dtype), "BYTES"), True)
        for c in data.columns
    ]
    result = client.infer("sales-stacked", inputs, headers=headers)
    answer = api.post(
        "/api/chains/sales-stacked/predict",
        {"rows": data.to_dict("records")},
        format="json",
    ).json()
    column = list(answer["rows"][0])[0]
    expected = [row[column] for row in answer["rows"]]
    assert result.as_numpy(column).tolist() == pytest.approx(expected, abs=1e-9)
