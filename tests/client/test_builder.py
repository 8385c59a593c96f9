"""The builder writes the canvas's graph document (no server needed)."""

from __future__ import annotations

import pandas as pd
import pytest
from catena_client import Catena, CatenaError, Step

from catena.graph import load
from catena.reference import BASE, INPUT_SCHEMA, reference_doc


@pytest.fixture
def offline() -> Catena:
    # Never contacted: every dtype is given, so nothing is looked up.
    return Catena("http://127.0.0.1:9", "unused")


def test_the_builder_writes_the_reference_document_node_for_node(offline):
    mapping = {f"x{i}": f"{b}.prediction" for i, b in enumerate(BASE)}
    builder = (
        offline.chain("sales")
        .input(INPUT_SCHEMA)
        .model("sales-encoder", method="transform", id="encode")
        .model("sales-scaler", method="transform", id="scale")
        .fan_out([Step.model(f"sales-{b}", id=b) for b in BASE])
        .stack("sales-stacker", columns=mapping)
    )
    document = builder.document()
    expected = reference_doc()
    assert document["format"] == "catena.chain/1"
    assert document["nodes"] == expected["nodes"]
    assert document["edges"] == expected["edges"]
    assert set(document["layout"]) == {n["id"] for n in expected["nodes"]}
    assert load(document).order == load(expected).order


def test_dtypes_come_from_a_frame_and_ids_stay_unique(offline):
    frame = pd.DataFrame({"a": [1.5], "b": [2], "c": ["x"], "d": [True]})
    document = (
        offline.chain("c")
        .input(frame)
        .fan_out(["m", "m"])
        .combine("mean")
        .output()
        .document()
    )
    assert document["nodes"][0]["params"]["schema"] == [
        ["a", "float"],
        ["b", "int"],
        ["c", "str"],
        ["d", "bool"],
    ]
    assert [n["id"] for n in document["nodes"]] == ["in", "m", "m-2", "combine", "out"]
    assert document["edges"] == [
        ["in", "m"],
        ["in", "m-2"],
        ["m", "combine"],
        ["m-2", "combine"],
        ["combine", "out"],
    ]


def test_a_column_without_a_dtype_and_no_model_to_ask_is_an_error(offline):
    builder = offline.chain("c").input(["a"]).combine("concat")
    with pytest.raises(CatenaError, match=r"dtypes of input columns \['a'\]"):
        builder.document()


def test_running_before_saving_says_to_save(offline):
    builder = offline.chain("c").input([("a", "float")])
    with pytest.raises(CatenaError, match="Save the chain 'c' first"):
        builder.run([{"a": 1.0}])


def test_a_client_without_url_or_token_says_where_to_get_them(monkeypatch):
    monkeypatch.delenv("CATENA_URL", raising=False)
    monkeypatch.delenv("CATENA_TOKEN", raising=False)
    with pytest.raises(ValueError, match="CATENA_URL and CATENA_TOKEN"):
        Catena()
    monkeypatch.setenv("CATENA_URL", "http://example.test/")
    monkeypatch.setenv("CATENA_TOKEN", "t")
    assert Catena().url == "http://example.test"


def test_optimize_adds_a_node_with_its_params_as_given(offline):
    params = {
        "predictor": {"model": "sales-ridge", "version": "@production"},
        "decision": "price",
        "candidates": {"kind": "range", "lo": 1.0, "hi": 12.0, "steps": 23},
        "objective": "price * prediction",
        "goal": "maximize",
    }
    document = (
        offline.chain("c").input([("price", "float")]).optimize(**params).document()
    )
    assert document["nodes"][1] == {
        "id": "optimize",
        "kind": "optimize",
        "params": params,
    }
    assert document["edges"] == [["in", "optimize"], ["optimize", "out"]]
