"""The optimize step: what-if and choose parts, objectives, problems on the node."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from catena import executor
from catena.errors import GraphDocumentError
from catena.expression import OBJECTIVE, names
from catena.graph import dump, load
from catena.keys import node_keys
from catena.resolving import DictResolver
from catena.store import MemoryStore
from catena.validation import check
from tests.catena.conftest import fake
from tests.catena.graphs import doc, inp, node, optimize


def _sales(frame: pd.DataFrame) -> Any:
    """A made-up demand curve: falls with price x, rises with y."""
    return 40.0 - 3.0 * frame["x"] + 0.5 * frame["y"] * np.sqrt(frame["x"])


@pytest.fixture
def models() -> DictResolver:
    return DictResolver({"m": [fake("m", [("x", "float"), ("y", "float")], _sales)]})


def _doc(**params: Any) -> dict[str, Any]:
    columns = {"x": "float", "y": "float", "cost": "float", "lo": "float"}
    return doc(
        [inp(**columns), optimize(**params), node("out", "output")],
        [["in", "opt"], ["opt", "out"]],
    )


def _rows(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lo = rng.uniform(1.0, 6.0, n)
    lo[::4] = np.nan  # no lower bound on every fourth row
    return pd.DataFrame(
        {
            "x": rng.uniform(1.0, 10.0, n),
            "y": rng.uniform(0.0, 20.0, n),
            "cost": rng.uniform(0.5, 3.0, n),
            "lo": lo,
        },
        index=pd.RangeIndex(100, 100 + n),
    )


def _brute_force(
    rows: pd.DataFrame, multipliers: list[float]
) -> list[tuple[float, ...]]:
    """The optimize node's answer, one row and one candidate at a time."""
    found = []
    for _, row in rows.iterrows():
        best: tuple[float, ...] | None = None
        for m in multipliers:
            price = row["x"] * m
            if not math.isnan(row["lo"]) and price < row["lo"]:
                continue
            sales = 40.0 - 3.0 * price + 0.5 * row["y"] * math.sqrt(price)
            revenue = (price - row["cost"]) * sales
            if best is None or revenue > best[1]:
                best = (price, revenue, sales)
        found.append(best if best is not None else (math.nan,) * 3)
    return found


def test_optimize_equals_a_brute_force_loop(models):
    multipliers = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
    params = {
        "candidates": {"kind": "multipliers", "values": multipliers},
        "objective": "(x - cost) * prediction",
        "bounds": {"lower": "lo"},
    }
    rows = _rows(40)

    result = executor.run(load(_doc(**params)), rows, models).outputs["opt"]

    expected = np.array(_brute_force(rows, multipliers))
    got = result[["best_x", "best_objective", "best_prediction"]].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert result.index.tolist() == rows.index.tolist()


def test_minimize_with_upper_bound_and_curve_columns(models):
    params = {
        "candidates": {"kind": "range", "lo": 1.0, "hi": 5.0, "steps": 5},
        "objective": "abs(prediction - 30)",
        "goal": "minimize",
        "bounds": {"upper": "lo"},
        "curve": True,
    }
    rows = pd.DataFrame({"x": [2.0], "y": [0.0], "cost": [1.0], "lo": [2.5]})

    out = executor.run(load(_doc(**params)), rows, models).outputs["opt"]

    # prediction = 40 - 3x at y = 0; allowed x in {1, 2}; |34-30| > |37-30|? no.
    assert out.loc[0, "best_x"] == 2.0
    assert out.loc[0, "best_objective"] == 4.0
    assert [out.loc[0, f"curve_x_{i}"] for i in range(5)] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [out.loc[0, f"curve_objective_{i}"] for i in range(5)] == [
        7.0,
        4.0,
        1.0,
        2.0,
        5.0,
    ]


def test_a_row_without_allowed_candidates_gets_nan(models):
    params = {"bounds": {"lower": "lo"}}
    rows = pd.DataFrame({"x": [1.0], "y": [1.0], "cost": [0.0], "lo": [99.0]})

    out = executor.run(load(_doc(**params)), rows, models).outputs["opt"]

    assert out.iloc[0].isna().all()


def test_an_allowed_candidate_wins_even_when_its_objective_is_minus_infinity(models):
    params = {"objective": "-exp(1000) * x", "bounds": {"lower": "lo"}}
    rows = pd.DataFrame({"x": [1.0], "y": [1.0], "cost": [0.0], "lo": [2.0]})

    out = executor.run(load(_doc(**params)), rows, models).outputs["opt"]

    assert out.loc[0, "best_x"] == 2.0
    assert out.loc[0, "best_objective"] == -math.inf


def test_the_whatif_part_is_its_own_node_fed_like_the_canvas_node(models):
    graph = load(_doc())

    assert list(graph.nodes) == ["in", "opt.whatif", "opt", "out"]
    assert graph.parents["opt.whatif"] == ("in",)
    assert graph.parents["opt"] == ("in", "opt.whatif")
    assert dump(graph)["nodes"] == _doc()["nodes"]
    assert dump(graph)["edges"] == _doc()["edges"]


def test_a_document_cannot_name_the_internal_kind():
    document = _doc()
    document["nodes"][1] = node("opt", "optimize.whatif", model="m", decision="x")

    with pytest.raises(GraphDocumentError) as caught:
        load(document)

    assert [(p.code, p.node) for p in caught.value.problems] == [
        ("unknown_kind", "opt")
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"objective": "prediction"},
        {"goal": "minimize"},
        {"bounds": {"lower": "lo"}},
        {"curve": True},
    ],
)
def test_objective_goal_bounds_and_curve_leave_the_whatif_key_alone(models, change):
    before, after = load(_doc()), load(_doc(**change))
    keys = [node_keys(g, check(g, models).resolved, "0" * 64) for g in (before, after)]

    assert keys[0]["opt.whatif"] == keys[1]["opt.whatif"]
    assert keys[0]["opt"] != keys[1]["opt"]


def test_candidates_change_the_whatif_key(models):
    other = {"candidates": {"kind": "list", "values": [1.0, 2.0]}}
    before, after = load(_doc()), load(_doc(**other))
    keys = [node_keys(g, check(g, models).resolved, "0" * 64) for g in (before, after)]

    assert keys[0]["opt.whatif"] != keys[1]["opt.whatif"]


def test_an_objective_only_change_reuses_the_stored_predictions(models):
    store, rows = MemoryStore(), _rows(10)
    executor.run(load(_doc()), rows, models, store)

    again = executor.run(load(_doc(objective="-prediction")), rows, models, store)

    reused = {n: o.reused for n, o in again.outcomes.items()}
    assert reused == {"in": True, "opt.whatif": True, "opt": False, "out": False}


def _problems(document: dict[str, Any], models: DictResolver) -> list[tuple[Any, ...]]:
    try:
        graph = load(document)
    except GraphDocumentError as exc:
        return [(p.code, p.node, p.data.get("path")) for p in exc.problems]
    found = check(graph, models).problems
    return [(p.code, p.node, p.data.get("used_by")) for p in found]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"objective": "(x - cost"}, ("bad_params", "opt", "objective")),
        ({"objective": "x * margin"}, ("missing_columns", "opt", "objective")),
        ({"objective": "floor(x)"}, ("bad_params", "opt", "objective")),
        (
            {"candidates": {"kind": "list", "values": []}},
            ("bad_params", "opt", "candidates"),
        ),
        (
            {"candidates": {"kind": "range", "lo": 1, "hi": 2, "steps": 0}},
            ("bad_params", "opt", "candidates"),
        ),
        (
            {"candidates": {"kind": "range", "lo": 0, "hi": 1, "steps": 1001}},
            ("bad_params", "opt", "candidates"),
        ),
        ({"decision": "z"}, ("missing_columns", "opt", "decision")),
        ({"bounds": {}}, ("bad_bounds", "opt", None)),
        ({"bounds": {"lower": "lo", "upper": "lo"}}, ("bad_bounds", "opt", None)),
        ({"bounds": {"upper": "nope"}}, ("missing_columns", "opt", "bounds")),
        (
            {"predictor": {"model": "ghost", "version": 1}},
            ("unknown_model", "opt", None),
        ),
        ({"goal": "maximise"}, ("bad_params", "opt", "goal")),
    ],
)
def test_every_param_error_is_named_on_the_optimize_node(models, params, expected):
    assert _problems(_doc(**params), models) == [expected]


def test_a_predictor_that_ignores_the_decision_is_refused(models):
    document = _doc(decision="cost")

    assert _problems(document, models) == [("bad_predictor", "opt", None)]


HOSTILE = [
    "__import__('os').system('touch /tmp/pwned')",
    "x.__class__.__mro__",
    "(lambda: 1)()",
    "[c for c in ()]",
    "x if y else cost",
    "open('/etc/passwd')",
    "exp(x, y=1)",
    "getattr(x, 'real')",
    "x[0]",
    "'text'",
    "9" * 400 + " * x",
    "x ** " + "(" * 300 + "2" + ")" * 300,
    "-" * 400 + "x",
    "x + " * 200 + "x",
    "max(" * 40 + "x" + ", 1)" * 40,
    "x" * 501,
    "(y := 3)",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_objectives_are_refused_as_problems_before_running(models, text):
    with pytest.raises(ValueError, match=r"."):
        OBJECTIVE.parse(text)

    assert _problems(_doc(objective=text), models) == [
        ("bad_params", "opt", "objective")
    ]


def test_huge_exponents_overflow_to_infinity_instead_of_hanging():
    tree = OBJECTIVE.parse("10 ** 10 ** 10 * x")

    assert OBJECTIVE.evaluate(tree, {"x": np.array([1.0])}).tolist() == [math.inf]


def test_objective_functions_are_the_listed_ones():
    listed = ["min", "max", "abs", "log", "exp", "sqrt"]
    assert list(OBJECTIVE.functions) == listed
    tree = OBJECTIVE.parse("min(x, 2) + max(x, 2) + abs(-x) + log(exp(x)) + sqrt(x)")
    values = np.array([1.0, 4.0])

    got = OBJECTIVE.evaluate(tree, {"x": values})

    np.testing.assert_allclose(got, [1 + 2 + 1 + 1 + 1, 2 + 4 + 4 + 4 + 2])
    assert names(tree) == ["x"]


def test_the_whatif_part_calls_the_predictor_once_for_all_rows_and_candidates():
    calls: list[int] = []

    def counted(frame: pd.DataFrame) -> Any:
        calls.append(len(frame))
        return frame["x"] + frame["y"]

    models = DictResolver({"m": [fake("m", [("x", "float"), ("y", "float")], counted)]})
    rows = _rows(7)

    out = executor.run(load(_doc()), rows, models).outputs["opt.whatif"]

    assert calls == [7 * 3]
    assert out.columns.tolist() == [
        *(f"candidate_{i}" for i in range(3)),
        *(f"prediction_{i}" for i in range(3)),
    ]
    for i, x in itertools.product(range(3), [0]):
        assert out.iloc[x, 3 + i] == [1.0, 2.0, 3.0][i] + rows["y"].iloc[x]
