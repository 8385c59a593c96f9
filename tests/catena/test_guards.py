"""The evaluation guards: nested-model bias and the target fed as a feature."""

from __future__ import annotations

from typing import Any

import pandas as pd

from catena.graph import load
from catena.guards import target_problems
from catena.resolving import DictResolver
from catena.validation import check
from tests.catena.conftest import fake
from tests.catena.graphs import doc, inp, model, node


def _first(frame: pd.DataFrame) -> Any:
    return frame.iloc[:, 0]


def resolver(production: int, **stacker: Any) -> DictResolver:
    """base v1..v4 with @production at ``production``; a stacker over it."""
    base = [fake("base", [("x", "float")], _first, version=v) for v in (1, 2, 3, 4)]
    stack = fake("stack", [("prediction", "float")], _first, **stacker)
    return DictResolver(
        {"base": base, "stack": [stack]},
        aliases={"base": {"production": production}},
    )


STACKED = doc(
    [
        inp(x="float"),
        model("b", "base", version="@production"),
        model("s", "stack"),
        node("out", "output"),
    ],
    [["in", "b"], ["b", "s"], ["s", "out"]],
)


def warnings(document: dict[str, Any], models: DictResolver) -> list[tuple]:
    found = check(load(document), models).problems
    return [(p.code, p.node, dict(p.data)) for p in found if p.severity == "warning"]


def test_bias_guard_fires_when_the_base_alias_moved_past_the_stackers_training():
    models = resolver(4, trained_on=(("base", 3),), out_of_fold=True)
    assert warnings(STACKED, models) == [
        (
            "stacker_base_moved",
            "s",
            {
                "model": "stack",
                "version": 1,
                "base_model": "base",
                "trained_version": 3,
                "running_version": 4,
                "base_node": "b",
            },
        )
    ]


def test_bias_guard_stays_quiet_when_the_base_is_the_version_trained_on():
    models = resolver(3, trained_on=(("base", 3),), out_of_fold=True)
    assert warnings(STACKED, models) == []


def test_a_stacker_trained_in_sample_is_warned_about():
    models = resolver(3, trained_on=(("base", 3),), out_of_fold=False)
    assert [w[0] for w in warnings(STACKED, models)] == ["stacker_in_sample"]


def test_a_model_recording_nothing_gets_no_bias_warning():
    assert warnings(STACKED, resolver(4)) == []


def test_a_target_arriving_through_a_mapping_is_a_feature():
    m = fake("m", [("a", "float")], _first)
    document = doc(
        [
            inp(x="float", y="float"),
            model("m1", "m", columns={"a": "y"}),
            node("o", "output"),
        ],
        [["in", "m1"], ["m1", "o"]],
    )
    graph = load(document)
    report = check(graph, DictResolver({"m": [m]}))
    found = target_problems(graph, report.schemas, report.resolved, "y")
    assert [(p.node, p.data["feature"], p.data["column"]) for p in found] == [
        ("m1", "a", "y")
    ]
    assert found[0].severity == "warning"


def test_a_target_declared_but_not_taken_by_any_model_is_no_problem():
    m = fake("m", [("x", "float")], _first)
    document = doc(
        [inp(x="float", y="float"), model("m1", "m"), node("o", "output")],
        [["in", "m1"], ["m1", "o"]],
    )
    graph = load(document)
    report = check(graph, DictResolver({"m": [m]}))
    assert target_problems(graph, report.schemas, report.resolved, "y") == []
