"""Loading, dumping and hashing graph documents."""

from __future__ import annotations

import pytest

from catena.errors import GraphCycleError, GraphDocumentError
from catena.graph import canonical_hash, dump, find_cycle, load
from catena.steps.model import Params as ModelParams
from tests.catena import graphs


def problems_of(doc):
    with pytest.raises(GraphDocumentError) as info:
        load(doc)
    return info.value.problems


def test_a_good_document_loads_with_validated_params():
    graph = load(graphs.linear())
    assert list(graph.nodes) == ["in", "double", "out"]
    assert graph.edges == [("in", "double"), ("double", "out")]
    assert graph.layout["double"] == (100.0, 0.0)
    params = graph.nodes["double"].params
    assert isinstance(params, ModelParams)
    assert (params.model, params.version, params.method) == (
        "doubler",
        "@latest",
        "predict",
    )
    assert graph.nodes["double"].raw == {"model": "doubler"}
    assert sorted(graph.dag.edges) == [("double", "out"), ("in", "double")]
    assert graph.order == ("in", "double", "out")


def test_a_document_that_is_not_an_object_is_refused():
    with pytest.raises(GraphDocumentError, match="must be an object, not list") as info:
        load([1, 2])
    assert [p.code for p in info.value.problems] == ["bad_document"]


def test_every_malformed_part_is_reported_at_once():
    found = [(p.code, p.node, p.edge) for p in problems_of(graphs.malformed())]
    assert found == [
        ("bad_format", None, None),
        ("duplicate_node", "in", None),
        ("bad_id", "bad.id", None),
        ("unknown_kind", "m", None),
        ("bad_params", "p", None),
        ("bad_node", None, None),
        ("missing_node", None, ("in", "ghost")),
        ("self_edge", "in", ("in", "in")),
        ("duplicate_edge", None, ("in", "p")),
        ("bad_edge", None, None),
    ]


def test_wrong_format_tag_is_named():
    doc = graphs.linear()
    doc["format"] = "catena.chain/2"
    with pytest.raises(
        GraphDocumentError,
        match="format tag must be 'catena.chain/1', not 'catena.chain/2'",
    ):
        load(doc)


def test_duplicate_edge_is_reported_with_its_edge():
    doc = graphs.linear()
    doc["edges"].append(["in", "double"])
    (problem,) = problems_of(doc)
    assert (problem.code, problem.edge) == ("duplicate_edge", ("in", "double"))
    assert problem.message == "edge in -> double appears twice"


def test_edge_to_a_missing_node_names_it():
    doc = graphs.linear()
    doc["edges"].append(["double", "ghost"])
    (problem,) = problems_of(doc)
    assert problem.message == "edge double -> ghost names missing node 'ghost'"


def test_bad_params_name_the_node_and_field():
    doc = graphs.linear()
    doc["nodes"][1]["params"] = {"model": "doubler", "method": "fly", "colour": 1}
    found = [(p.code, p.node, p.message) for p in problems_of(doc)]
    assert found == [
        (
            "bad_params",
            "double",
            "node 'double': params.method: Input should be 'predict', 'predict_proba', "
            "'transform' or 'decision_function'",
        ),
        (
            "bad_params",
            "double",
            "node 'double': params.colour: Extra inputs are not permitted",
        ),
    ]


def test_bad_version_reference_is_refused():
    doc = graphs.linear()
    doc["nodes"][1]["params"] = {"model": "doubler", "version": "production"}
    messages = [p.message for p in problems_of(doc)]
    assert any("params.version" in m for m in messages)


@pytest.mark.parametrize("node_id", ["", "a.b", "a b", "x" * 65, "-lead"])
def test_bad_node_ids_are_refused(node_id):
    doc = graphs.linear()
    doc["nodes"].append({"id": node_id, "kind": "output", "params": {}})
    (problem,) = problems_of(doc)
    assert (problem.code, problem.node) == ("bad_id", node_id)


def test_input_schema_with_duplicate_columns_is_bad_params():
    doc = graphs.linear()
    doc["nodes"][0]["params"]["schema"].append(["x", "int"])
    (problem,) = problems_of(doc)
    assert problem.code == "bad_params"
    assert problem.message.endswith("duplicate column names: x")


def test_bad_layout_entries_are_reported():
    doc = graphs.linear()
    doc["layout"] = {"in": [1, "a"], "ghost": [0, 0]}
    found = [(p.code, p.node) for p in problems_of(doc)]
    assert found == [("bad_layout", "in"), ("bad_layout", None)]


def test_nodes_and_edges_must_be_lists():
    found = [
        p.message
        for p in problems_of({"format": "catena.chain/1", "nodes": {}, "edges": 3})
    ]
    assert found == [
        "'nodes' must be a list, not dict",
        "'edges' must be a list, not int",
    ]


def test_dump_round_trips_a_document():
    doc = graphs.linear()
    assert dump(load(doc)) == {
        **doc,
        "layout": {"in": [0.0, 0.0], "double": [100.0, 0.0], "out": [200.0, 0.0]},
    }


def test_canonical_hash_ignores_layout_key_order_and_node_order():
    doc = graphs.fan_in()
    moved = {**doc, "layout": {"in": [5, 5]}, "nodes": list(reversed(doc["nodes"]))}
    assert canonical_hash(doc) == canonical_hash(moved)
    assert canonical_hash(doc) == canonical_hash(load(doc))
    assert len(canonical_hash(doc)) == 64


def test_canonical_hash_changes_with_params_and_fan_in_order():
    doc = graphs.fan_in()
    changed = graphs.fan_in()
    changed["nodes"][3]["params"]["name"] = "other"
    swapped = graphs.fan_in()
    swapped["edges"][2:4] = [["sum", "avg"], ["double", "avg"]]
    hashes = {canonical_hash(d) for d in (doc, changed, swapped)}
    assert len(hashes) == 3


def test_order_of_a_cyclic_graph_raises_with_the_cycle():
    graph = load(graphs.cycle())
    with pytest.raises(GraphCycleError, match="double -> t") as info:
        _ = graph.order
    assert info.value.cycle == ["double", "t"]
    assert find_cycle(graph) == ["double", "t"]
