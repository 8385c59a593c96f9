"""Fan-in: parents joined on the index, clashing names prefixed by source id."""

from __future__ import annotations

import pandas as pd

from catena.executor import run
from catena.fanin import join_frames, join_schemas, joined_names
from catena.graph import load
from catena.schema import Column
from catena.validation import check
from tests.catena import graphs


def test_clashing_columns_are_prefixed_with_their_source_id():
    schema, sources = join_schemas(
        [
            ("a", (Column("y", "float"), Column("k", "int"))),
            ("b", (Column("y", "int"),)),
        ]
    )
    assert schema == (Column("a.y", "float"), Column("k", "int"), Column("b.y", "int"))
    assert sources == {"a.y": "a", "k": "a", "b.y": "b"}


def test_nested_fan_in_names_stay_unique():
    names = joined_names([("a", ["x"]), ("b", ["x"]), ("c", ["a.x", "b.x"])])
    assert names == [("a", "a.x"), ("b", "b.x"), ("c", "c.a.x"), ("c", "c.b.x")]


def test_frames_are_inner_joined_on_the_index_in_edge_order():
    a = pd.DataFrame({"y": [1.0, 2.0, 3.0]}, index=[1, 2, 3])
    b = pd.DataFrame({"y": [20.0, 30.0, 40.0], "z": [0, 1, 2]}, index=[2, 3, 4])
    joined = join_frames([("b", b), ("a", a)])
    assert list(joined.columns) == ["b.y", "z", "a.y"]
    assert list(joined.index) == [2, 3]
    assert joined.to_dict("list") == {
        "b.y": [20.0, 30.0],
        "z": [0, 1],
        "a.y": [2.0, 3.0],
    }


def test_a_single_parent_is_passed_through_without_a_copy():
    a = pd.DataFrame({"y": [1.0]})
    assert join_frames([("a", a)]) is a


def test_schema_inference_and_run_agree_on_fan_in_names(resolver):
    doc = graphs.fan_in()
    doc["nodes"][3]["params"] = {"method": "concat"}
    graph = load(doc)
    report = check(graph, resolver)
    frame = pd.DataFrame({"x": [1.0, 2.0], "a": [1.0, 1.0], "b": [0.5, 0.0]})
    result = run(graph, frame, resolver)
    assert [c.name for c in report.schemas["avg"]] == [
        "double.prediction",
        "sum.prediction",
    ]
    output = result.outcomes["out"].output
    assert list(output.columns) == ["double.prediction", "sum.prediction"]
    assert output.round(9).to_dict("list") == {
        "double.prediction": [2.0, 4.0],
        "sum.prediction": [1.5, 1.0],
    }
