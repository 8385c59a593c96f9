"""Each bad request gets a 4xx naming what is wrong, and nothing is stored."""

from __future__ import annotations

import json

import pytest

from builder.models import Chain, ChainDraft, ChainVersion
from tests.builder import files

VERSIONS = "/api/chains/sales/versions/"


def post_raw(client, url, body, content_type="application/json"):
    return client.post(url, body, content_type=content_type)


def stored():
    return (
        Chain.objects.count(),
        ChainVersion.objects.count(),
        ChainDraft.objects.count(),
    )


@pytest.fixture
def before(chain, ridge):
    return stored()


def nested(depth):
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def many_nodes(count):
    doc = files.linear()
    doc["nodes"] += [files.node(f"n{i}", "output") for i in range(count)]
    return doc


def test_malformed_json_is_a_400(api, before):
    response = post_raw(api, VERSIONS, b'{"document": {"format": ')
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["message"]
    assert stored() == before


def test_a_wrong_format_tag_is_named(api, before):
    doc = files.linear()
    doc["format"] = "catena.chain/9"
    response = post_raw(api, VERSIONS, json.dumps({"document": doc}))
    assert response.status_code == 400
    assert "format tag" in response.json()["message"]
    assert response.json()["extra"]["problems"][0]["code"] == "bad_format"
    assert stored() == before


def test_ten_thousand_nodes_break_the_node_limit(api, before):
    response = post_raw(api, VERSIONS, json.dumps({"document": many_nodes(10_000)}))
    assert response.status_code in (400, 413)
    assert response.json()["extra"]["limit"] in ("nodes", "body")
    assert stored() == before


def test_more_than_a_thousand_nodes_are_refused_by_name(api, before):
    response = post_raw(
        api, "/api/validate", json.dumps({"document": many_nodes(1000)})
    )
    assert response.status_code == 400
    assert response.json()["extra"] == {"limit": "nodes", "max": 1000, "got": 1003}
    assert "1000" in response.json()["message"]
    assert stored() == before


def test_more_than_five_thousand_edges_are_refused_by_name(api, before):
    doc = files.linear()
    doc["edges"] = [["in", "ridge"]] * 5001
    response = post_raw(api, VERSIONS, json.dumps({"document": doc}))
    assert response.status_code == 400
    assert response.json()["extra"]["limit"] == "edges"
    assert stored() == before


def test_deeply_nested_params_are_refused(api, before):
    doc = files.linear()
    doc["nodes"][2]["params"] = {"deep": nested(40)}
    response = post_raw(api, VERSIONS, json.dumps({"document": doc}))
    assert response.status_code == 400
    assert response.json()["extra"]["limit"] == "depth"
    assert stored() == before


def test_nesting_too_deep_for_the_json_decoder_is_a_400(api, before):
    body = '{"document": ' + "[" * 200_000 + "]" * 200_000 + "}"
    response = post_raw(api, VERSIONS, body.encode())
    assert response.status_code == 400
    assert response.json()["extra"]["limit"] == "depth"
    assert stored() == before


def test_a_50_mb_body_is_refused_before_parsing(api, before):
    body = b'{"document": {"format": "' + b"x" * (50 * 1024 * 1024) + b'"}}'
    response = post_raw(api, VERSIONS, body)
    assert response.status_code == 413
    assert response.json()["extra"]["limit"] == "body"
    assert stored() == before


def test_a_document_over_one_mib_is_refused(api, before):
    doc = files.linear()
    doc["nodes"][2]["params"] = {"note": "x" * (1024 * 1024)}
    body = json.dumps({"document": doc})
    response = api.put("/api/chains/sales/draft", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["extra"]["limit"] == "document_size"
    assert stored() == before


def test_names_longer_than_80_characters_are_refused(api, before):
    doc = files.linear(name="m" * 81)
    response = post_raw(api, VERSIONS, json.dumps({"document": doc}))
    assert response.status_code == 400
    assert response.json()["extra"] == {"limit": "name_length", "max": 80, "got": 81}
    long_chain = post_raw(api, "/api/chains/", json.dumps({"name": "c" * 81}))
    assert long_chain.status_code == 400
    assert stored() == before


def test_an_edge_to_itself_is_named(api, before):
    doc = files.linear()
    doc["edges"].append(["ridge", "ridge"])
    response = post_raw(api, VERSIONS, json.dumps({"document": doc}))
    assert response.status_code == 400
    problem = response.json()["extra"]["problems"][0]
    assert (problem["code"], problem["edge"]) == ("self_edge", ["ridge", "ridge"])
    assert stored() == before


def test_duplicate_node_ids_are_named(api, before):
    doc = files.linear()
    doc["nodes"].append(files.node("ridge", "output"))
    response = post_raw(api, VERSIONS, json.dumps({"document": doc}))
    assert response.status_code == 400
    problem = response.json()["extra"]["problems"][0]
    assert (problem["code"], problem["node"]) == ("duplicate_node", "ridge")
    assert stored() == before


@pytest.mark.parametrize(
    "body",
    [
        {"document": []},
        {"document": "x"},
        {},
        {"document": files.linear(), "message": 5 * "x" * 200},
    ],
)
def test_a_body_of_the_wrong_shape_is_a_400(api, before, body):
    response = post_raw(api, VERSIONS, json.dumps(body))
    assert response.status_code == 400
    assert response.json()["message"]
    assert stored() == before


def test_nan_is_not_json(api, before):
    response = post_raw(api, "/api/validate", b'{"document": {"x": NaN}}')
    assert response.status_code == 400
    assert stored() == before
