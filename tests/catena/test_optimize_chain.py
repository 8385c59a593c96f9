"""The optimize step predicting with a saved chain version (no database)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from catena import executor, serving
from catena.chains import expand
from catena.graph import canonical_hash, load
from catena.keys import node_keys
from catena.resolving import DictResolver, ResolvedChain
from catena.store import MemoryStore
from catena.validation import check
from tests.catena.conftest import fake
from tests.catena.graphs import doc, inp, model, node, optimize


def _sales(frame: pd.DataFrame) -> Any:
    return 40.0 - 3.0 * frame["x"] + 0.5 * frame["y"] * np.sqrt(frame["x"])


def wrapper(name: str = "m", version: Any = 1) -> dict[str, Any]:
    """in(x, y) -> m -> out: a saved chain that is the one model."""
    return doc(
        [
            inp(x="float", y="float"),
            model("pred", name, version=version),
            node("out", "output"),
        ],
        [["in", "pred"], ["pred", "out"]],
    )


def saved(name: str, document: dict[str, Any], version: int = 1, live: int = 1):
    return ResolvedChain(name, version, canonical_hash(document), load(document), live)


def user(predictor: dict[str, Any], **params: Any) -> dict[str, Any]:
    columns = {"x": "float", "y": "float", "cost": "float"}
    params.setdefault("objective", "(x - cost) * prediction")
    return doc(
        [
            inp(**columns),
            optimize(predictor=predictor, **params),
            node("out", "output"),
        ],
        [["in", "opt"], ["opt", "out"]],
    )


XY = [("x", "float"), ("y", "float")]


def resolver(**chains: list[ResolvedChain]) -> DictResolver:
    models = {
        "m": [
            fake("m", [("x", "float"), ("y", "float")], _sales, sha256="1" * 64),
            fake("m", XY, _sales, version=2, sha256="2" * 64),
        ]
    }
    return DictResolver(models, chains=chains)


ROWS = pd.DataFrame(
    {
        "x": np.linspace(1.0, 9.0, 30),
        "y": np.linspace(0.0, 20.0, 30),
        "cost": np.linspace(0.5, 3.0, 30),
    },
    index=pd.RangeIndex(7, 37),
)
CANDIDATES = {"kind": "multipliers", "values": [0.5, 0.8, 1.0, 1.3, 1.7, 2.0]}
CHAIN = {"chain": "wrap", "version": "@live"}


def codes(report: Any) -> list[tuple[str, str | None]]:
    return [(p.code, p.node) for p in report.problems]


def test_a_chain_predictor_equals_the_model_it_wraps():
    found = resolver(wrap=[saved("wrap", wrapper())])
    by_model = user({"model": "m", "version": 1}, candidates=CANDIDATES, curve=True)
    by_chain = user(CHAIN, candidates=CANDIDATES, curve=True)

    expected = executor.run(load(by_model), ROWS, found).outputs["opt"]
    got = executor.run(load(by_chain), ROWS, found).outputs["opt"]

    assert got.columns.tolist() == expected.columns.tolist()
    assert got.index.tolist() == ROWS.index.tolist()
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-9)


def test_serving_runs_a_chain_predictor_like_a_batch_run():
    found = resolver(wrap=[saved("wrap", wrapper())])
    graph = load(user(CHAIN, candidates=CANDIDATES))
    batch = executor.run(graph, ROWS, found).outputs["opt"]

    served = serving.predict(serving.prepare(graph, found), ROWS)["opt"]

    np.testing.assert_allclose(served.to_numpy(), batch.to_numpy(), rtol=0, atol=1e-9)


def test_the_predictor_chain_is_resolved_and_recorded_at_its_exact_version():
    found = resolver(wrap=[saved("wrap", wrapper()), saved("wrap", wrapper(), 2)])
    graph = load(user(CHAIN, candidates=CANDIDATES))
    report = check(graph, found)
    assert report.problems == []
    assert report.schemas["opt.whatif"] is not None
    flat = expand(graph, report.resolved, report.chains)
    assert set(flat.graph.nodes) == set(graph.nodes)
    assert flat.chains["opt.whatif"].ref[:2] == ("wrap", 1)
    assert flat.resolved["opt.whatif/pred"].version == 1


def _whatif_key(found: DictResolver, predictor: dict[str, Any], **params: Any) -> str:
    graph = load(user(predictor, candidates=CANDIDATES, **params))
    report = check(graph, found)
    flat = expand(graph, report.resolved, report.chains)
    keys = node_keys(flat.graph, flat.resolved, "0" * 64, chains=flat.chains)
    return keys["opt.whatif"]


def test_a_live_move_changes_the_whatif_key_and_an_objective_change_not():
    same = saved("wrap", wrapper(version=1), 2, live=1)
    v1 = resolver(wrap=[saved("wrap", wrapper()), same])
    moved = saved("wrap", wrapper(version=2), 2, live=2)
    v2 = resolver(wrap=[saved("wrap", wrapper(), live=2), moved])

    key = _whatif_key(v1, CHAIN)

    assert _whatif_key(v1, CHAIN, objective="x * prediction") == key
    assert _whatif_key(v1, CHAIN, goal="minimize") == key
    assert _whatif_key(v2, CHAIN) != key
    # Version 2 of v1 is the same document over the same model: the same work.
    assert _whatif_key(v1, {"chain": "wrap", "version": 2}) == key


def test_an_inner_model_alias_move_changes_the_whatif_key():
    chain = saved("wrap", wrapper(version="@latest"))
    before = resolver(wrap=[chain])
    after = DictResolver(
        {"m": [*before.models["m"].values(), fake("m", XY, _sales, version=3)]},
        chains={"wrap": [chain]},
    )
    assert _whatif_key(before, CHAIN) != _whatif_key(after, CHAIN)


def test_an_objective_only_change_reuses_the_stored_chain_predictions():
    found = resolver(wrap=[saved("wrap", wrapper())])
    store = MemoryStore()
    executor.run(load(user(CHAIN, candidates=CANDIDATES)), ROWS, found, store)

    again = user(CHAIN, candidates=CANDIDATES, goal="minimize")
    outcomes = executor.run(load(again), ROWS, found, store).outcomes

    assert outcomes["opt.whatif"].reused is True
    assert outcomes["opt"].reused is False


def test_unknown_chain_and_version_are_refused_on_the_optimize_node():
    found = resolver(wrap=[saved("wrap", wrapper())])
    report = check(load(user({"chain": "nope"}, candidates=CANDIDATES)), found)
    assert codes(report) == [("unknown_chain", "opt")]
    report = check(load(user({"chain": "wrap", "version": 9})), found)
    assert codes(report) == [("unknown_chain", "opt")]
    assert report.problems[0].data["version"] == 9


def test_a_chain_whose_optimize_predicts_with_itself_is_a_named_cycle():
    selfish = user({"chain": "loop", "version": "@live"})
    found = resolver(loop=[saved("loop", selfish)])
    [problem] = check(load(selfish), found, chain="loop").problems
    assert (problem.code, problem.node) == ("chain_cycle", "opt")
    assert problem.data["cycle"] == ["loop", "loop"]


def test_a_predictor_chain_with_two_outputs_is_a_bad_predictor():
    two = doc(
        [inp(x="float", y="float"), node("out", "output")],
        [["in", "out"]],
    )
    found = resolver(two=[saved("two", two)])
    [problem] = check(load(user({"chain": "two"})), found).problems
    assert (problem.code, problem.node) == ("bad_predictor", "opt")
    assert problem.data["outputs"] == ["x", "y"]


def test_a_predictor_chain_that_ignores_the_decision_is_refused():
    only_y = doc([inp(y="float"), node("out", "output")], [["in", "out"]])
    found = resolver(only=[saved("only", only_y)])
    [problem] = check(load(user({"chain": "only"})), found).problems
    assert (problem.code, problem.node) == ("bad_predictor", "opt")
    assert problem.data["decision"] == "x"
    assert "not a feature" in problem.message


def test_a_missing_predictor_feature_is_named_on_the_optimize_node():
    needs_z = doc(
        [inp(x="float", z="float"), node("out", "output", columns=["x"])],
        [["in", "out"]],
    )
    found = resolver(zed=[saved("zed", needs_z)])
    problems = check(load(user({"chain": "zed"})), found).problems
    assert [(p.code, p.node) for p in problems] == [("missing_features", "opt")]
    assert problems[0].data["features"] == ["z"]
