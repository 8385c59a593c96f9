"""Malformed V2 requests answer 4xx with the protocol error; nothing runs or is kept."""

from __future__ import annotations

import json
import struct

import pytest

from runner.models import Artifact, Run

pytestmark = pytest.mark.django_db

URL = "/v2/models/shop/infer"


def tensor(name, data, datatype="FP64", shape=None):
    return {
        "name": name,
        "datatype": datatype,
        "shape": shape or [len(data)],
        "data": data,
    }


def good_inputs():
    return [
        tensor("temperature", [20.0]),
        tensor("price", [2.0]),
        tensor("shape", ["round"], "BYTES"),
        tensor("color", ["red"], "BYTES"),
        tensor("promo", [3], "INT64"),
    ]


def post(api, body, **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.generic("POST", URL, raw, content_type="application/json", **headers)


def test_a_json_request_answers_the_outputs(api, shop):
    response = post(api, {"inputs": good_inputs()})
    assert response.status_code == 200
    assert response.json()["outputs"] == [
        {"name": "revenue", "datatype": "FP64", "shape": [1], "data": [6.0]}
    ]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"shape": [1, 2]}, "shape must be [n] or [n, 1]"),
        ({"shape": [2]}, "shape holds 2 values, data 1"),
        ({"shape": [-1]}, "shape must be"),
        ({"data": "x"}, "no 'data' list"),
        ({"data": [[1.0, 2.0]], "shape": [1, 1]}, "one value per row"),
        ({"name": 5}, "each input needs"),
        ({"parameters": {"binary_data_size": 8}}, "binary_data_size"),
        ({"data": ["hot"]}, "expected float, got text"),
    ],
)
def test_malformed_tensors_answer_400_with_an_error(api, shop, change, says):
    inputs = good_inputs()
    inputs[0] = {**inputs[0], **change}
    response = post(api, {"inputs": inputs})
    assert response.status_code == 400
    assert says in response.json()["error"]
    assert response.json()["message"] == response.json()["error"]
    assert Run.objects.count() == 0
    assert Artifact.objects.count() == 0


@pytest.mark.parametrize(
    "body", [{}, {"inputs": "x"}, [], {"inputs": [], "outputs": "y"}, b"{", b"\xff"]
)
def test_malformed_requests_answer_400(api, shop, body):
    response = post(api, body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_binary_data_longer_than_its_tensors_is_refused(api, shop):
    inputs = good_inputs()
    inputs[0] = {
        "name": "temperature",
        "datatype": "FP64",
        "shape": [1],
        "parameters": {"binary_data_size": 8},
    }
    head = json.dumps({"inputs": inputs}).encode()
    raw = head + struct.pack("<d", 20.0) + b"extra"
    response = post(api, raw, HTTP_INFERENCE_HEADER_CONTENT_LENGTH=str(len(head)))
    assert response.status_code == 400
    assert "longer than the tensors" in response.json()["error"]
    fits = post(
        api,
        head + struct.pack("<d", 20.0),
        HTTP_INFERENCE_HEADER_CONTENT_LENGTH=str(len(head)),
    )
    assert fits.status_code == 200
    bad_header = post(api, raw, HTTP_INFERENCE_HEADER_CONTENT_LENGTH="99999")
    assert bad_header.status_code == 400


def test_an_unknown_output_or_chain_is_refused(api, shop):
    asked = post(api, {"inputs": good_inputs(), "outputs": [{"name": "nope"}]})
    assert asked.status_code == 400
    assert "nope" in asked.json()["error"]
    missing = api.get("/v2/models/no-such-chain")
    assert missing.status_code == 404
    assert missing.json()["error"]


def test_more_rows_than_the_limit_answer_413(api, shop, settings):
    settings.CATENA_SERVE_MAX_ROWS = 1
    inputs = [{**t, "shape": [2], "data": t["data"] * 2} for t in good_inputs()]
    response = post(api, {"inputs": inputs})
    assert response.status_code == 413


def test_v2_needs_a_token(client, shop):
    response = client.post(
        URL, {"inputs": good_inputs()}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["error"]
