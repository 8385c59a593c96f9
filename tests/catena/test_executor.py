"""The in-process executor: results, reuse, partial runs, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from catena.errors import ChainInvalidError, StepError
from catena.executor import run, run_node
from catena.graph import load
from catena.scheduling import ready
from catena.store import MemoryStore
from catena.validation import check
from tests.catena import graphs

FRAME = pd.DataFrame(
    {"x": [1.0, 2.0, 3.0], "a": [1.0, 0.0, 2.0], "b": [0.0, 1.0, 1.0]}, index=[4, 5, 6]
)


def test_stacked_chain_equals_calling_the_models_by_hand(stacked):
    result = run(load(stacked.doc), stacked.data, stacked.resolver)
    output = result.outcomes["out"].output
    expected = stacked.by_hand(stacked.data)
    assert list(output.columns) == ["prediction"]
    assert list(output.index) == list(stacked.data.index)
    np.testing.assert_allclose(
        output["prediction"].to_numpy(), expected, rtol=0, atol=1e-9
    )


def test_every_node_has_an_outcome_with_its_model_and_timing(stacked):
    result = run(load(stacked.doc), stacked.data.head(5), stacked.resolver)
    assert list(result.outcomes) == [
        "in",
        "enc",
        "scale",
        "ridge",
        "forest",
        "boost",
        "stack",
        "out",
    ]
    ridge = result.outcomes["ridge"]
    assert ridge.model == ("ridge", 1, stacked.resolver.resolve("ridge", 1).sha256)
    assert result.outcomes["out"].model is None
    assert all(
        o.seconds >= 0 and o.reused is False and o.key is None
        for o in result.outcomes.values()
    )


def test_reuse_skips_exactly_the_unchanged_nodes(resolver):
    store = MemoryStore()
    first = run(load(graphs.fan_in()), FRAME, resolver, store)
    assert not any(o.reused for o in first.outcomes.values())
    assert len(store.tables) == 5
    again = run(load(graphs.fan_in()), FRAME, resolver, store)
    assert all(o.reused for o in again.outcomes.values())
    assert again.outcomes["out"].output.equals(first.outcomes["out"].output)
    doc = graphs.fan_in()
    doc["nodes"][2]["params"]["columns"] = {"a": "x"}
    changed = run(load(doc), FRAME, resolver, store)
    rerun = sorted(n for n, o in changed.outcomes.items() if not o.reused)
    assert rerun == ["avg", "out", "sum"]
    assert changed.outcomes["sum"].output["prediction"].round(9).tolist() == [
        1.0,
        3.0,
        4.0,
    ]


def test_reused_models_are_not_loaded_or_called(resolver):
    store = MemoryStore()
    graph = load(graphs.linear())
    run(graph, FRAME, resolver, store)
    adapter = resolver.resolve("doubler", 2).load()
    calls = []
    adapter.estimator.predict = lambda x: calls.append(x)  # type: ignore[attr-defined]
    run(graph, FRAME, resolver, store)
    assert calls == []


def test_until_runs_only_the_node_and_its_ancestors(resolver):
    result = run(load(graphs.fan_in()), FRAME, resolver, until="sum")
    assert list(result.outcomes) == ["in", "sum"]
    assert result.outcomes["sum"].output["prediction"].round(9).tolist() == [
        1.0,
        1.0,
        3.0,
    ]


def test_until_ignores_errors_outside_the_partial_run(resolver):
    doc = graphs.fan_in()
    doc["nodes"][1] = graphs.model("double", "ghost")
    with pytest.raises(ChainInvalidError, match="no model named 'ghost'"):
        run(load(doc), FRAME, resolver)
    assert list(run(load(doc), FRAME, resolver, until="sum").outcomes) == ["in", "sum"]


def test_until_an_unknown_node_is_invalid(resolver):
    with pytest.raises(ChainInvalidError, match="no node 'nope'") as info:
        run(load(graphs.linear()), FRAME, resolver, until="nope")
    assert [p.code for p in info.value.problems] == ["unknown_node"]


def test_an_invalid_chain_is_refused_with_all_its_problems(resolver):
    doc = graphs.missing_features()
    doc["nodes"].append(graphs.node("lost", "output"))
    with pytest.raises(ChainInvalidError) as info:
        run(load(doc), FRAME, resolver)
    assert [p.code for p in info.value.problems] == [
        "unconnected_output",
        "missing_features",
    ]


def test_warnings_do_not_stop_a_run(resolver):
    from dataclasses import replace

    resolver.models["doubler"][2] = replace(
        resolver.models["doubler"][2], warnings=("old sklearn",)
    )
    result = run(load(graphs.linear()), FRAME, resolver)
    assert [p.code for p in result.warnings] == ["compat_warning"]
    assert result.outcomes["out"].output["prediction"].round(9).tolist() == [
        2.0,
        4.0,
        6.0,
    ]


def test_a_failing_model_is_a_step_error_keeping_the_cause(resolver):
    doc = graphs.linear()
    doc["nodes"][1] = graphs.model("double", "boom")
    with pytest.raises(
        StepError,
        match="node 'double': model 'boom' v1 predict failed: the model divided by",
    ) as info:
        run(load(doc), FRAME, resolver)
    assert info.value.node == "double"
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_missing_input_columns_fail_the_input_node(resolver):
    with pytest.raises(StepError, match="node 'in': the input table lacks columns: x"):
        run(load(graphs.linear()), FRAME.drop(columns=["x"]), resolver)


def test_run_node_runs_one_node_on_its_parents_outputs(resolver):
    graph = load(graphs.fan_in())
    resolved = check(graph, resolver).resolved
    parents = {
        "double": pd.DataFrame({"prediction": [1.0, 2.0]}, index=[0, 1]),
        "sum": pd.DataFrame({"prediction": [3.0, 5.0]}, index=[1, 0]),
    }
    out = run_node(graph, "avg", parents, resolved)
    assert out.sort_index().to_dict("list") == {"avg": [3.0, 2.5]}
    first = run_node(graph, "in", {}, resolved, inputs=FRAME)
    assert list(first.columns) == ["x", "a", "b"]


def test_ready_follows_graphlib_vocabulary():
    graph = load(graphs.fan_in())
    assert ready(graph, set()) == ["in"]
    assert ready(graph, {"in"}) == ["double", "sum"]
    assert ready(graph, {"in", "double"}) == ["sum"]
    assert ready(graph, {"in", "double", "sum"}) == ["avg"]
    assert ready(graph, {"in", "double"}, among={"in", "double"}) == []


def test_store_outputs_are_keyed_by_node_keys(resolver):
    store = MemoryStore()
    result = run(load(graphs.linear()), FRAME, resolver, store)
    keys = {o.key for o in result.outcomes.values()}
    assert keys == set(store.tables)
    assert all(len(k) == 64 for k in keys if k is not None)


def test_a_partial_run_stores_what_a_full_run_then_reuses(resolver):
    store = MemoryStore()
    graph = load(graphs.fan_in())
    run(graph, FRAME, resolver, store, until="sum")
    result = run(graph, FRAME, resolver, store)
    reused = sorted(n for n, o in result.outcomes.items() if o.reused)
    assert reused == ["in", "sum"]
