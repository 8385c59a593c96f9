"""Diff correctness on hand-made pairs of documents."""

from __future__ import annotations

from builder.diff import ModelChange, NodeChange, ParamChange, documents_diff
from tests.builder import files


def test_identical_documents_have_an_empty_diff():
    diff = documents_diff(files.stacked(), files.stacked())
    assert diff.is_empty is True
    assert diff.moved == []


def test_a_move_alone_is_not_a_change():
    old, new = files.linear(), files.linear()
    new["layout"]["ridge"] = [300, 300]
    diff = documents_diff(old, new)
    assert diff.is_empty is True
    assert diff.moved == ["ridge"]


def test_added_and_removed_nodes_and_edges():
    old = files.linear()
    new = files.doc(
        [
            files.inp(),
            files.model("ridge", "sales-ridge", 1),
            files.node("t", "transform", ops=[]),
            files.node("out", "output"),
        ],
        [["in", "ridge"], ["ridge", "t"], ["t", "out"]],
    )
    diff = documents_diff(old, new)
    assert diff.nodes_added == ["t"]
    assert diff.nodes_removed == []
    assert diff.edges_added == [("ridge", "t"), ("t", "out")]
    assert diff.edges_removed == [("ridge", "out")]
    assert diff.nodes_changed == []
    back = documents_diff(new, old)
    assert back.nodes_removed == ["t"]
    assert back.edges_added == [("ridge", "out")]


def test_a_model_version_change_is_a_model_change_not_a_param_change():
    diff = documents_diff(files.linear(version=1), files.linear(version="@production"))
    assert diff.models_changed == [
        ModelChange("ridge", "sales-ridge@1", "sales-ridge@production")
    ]
    assert diff.nodes_changed == []
    assert diff.is_empty is False


def test_a_model_swap_is_reported_with_both_names():
    diff = documents_diff(files.linear(), files.linear(name="sales-gbm"))
    assert diff.models_changed == [ModelChange("ridge", "sales-ridge@1", "sales-gbm@1")]


def test_params_changes_are_listed_per_key_with_nested_keys():
    old, new = files.linear(), files.linear()
    new["nodes"][1]["params"]["method"] = "predict"
    new["nodes"][1]["params"]["columns"] = {"price": "p"}
    old["nodes"][1]["params"]["columns"] = {"price": "cost", "area": "a"}
    diff = documents_diff(old, new)
    assert diff.nodes_changed == [
        NodeChange(
            "ridge",
            "model",
            "model",
            [
                ParamChange("columns.price", "cost", "p", "changed"),
                ParamChange("columns.area", "a", None, "removed"),
                ParamChange("method", None, "predict", "added"),
            ],
        )
    ]


def test_a_kind_change_under_the_same_id():
    old = files.linear()
    new = files.linear()
    new["nodes"][1] = files.node("ridge", "transform", ops=[])
    (change,) = documents_diff(old, new).nodes_changed
    assert change.kind_changed is True
    assert (change.old_kind, change.new_kind) == ("model", "transform")
    assert [p.key for p in change.params] == ["model", "version", "ops"]


def test_reordered_fan_in_is_a_change_of_its_node():
    old = files.stacked()
    new = files.stacked()
    new["edges"] = [
        ["in", "r1"],
        ["in", "r2"],
        ["r2", "avg"],
        ["r1", "avg"],
        ["avg", "out"],
    ]
    diff = documents_diff(old, new)
    assert diff.fan_in_reordered == ["avg"]
    assert diff.edges_added == []
    assert diff.edges_removed == []
    assert diff.is_empty is False


def test_an_integer_that_becomes_a_float_is_a_change():
    old, new = files.linear(), files.linear()
    old["nodes"][2]["params"] = {"x": 1}
    new["nodes"][2]["params"] = {"x": 1.0}
    (change,) = documents_diff(old, new).nodes_changed
    assert change.params == [ParamChange("x", 1, 1.0, "changed")]
