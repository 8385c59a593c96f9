"""The chain step: a saved chain as one node, in the core (no database)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from catena import executor
from catena.chains import MAX_DEPTH, expand
from catena.graph import canonical_hash, load
from catena.keys import node_keys
from catena.resolving import DictResolver, ResolvedChain, ResolvedModel
from catena.store import MemoryStore
from catena.validation import check
from tests.catena.conftest import fake
from tests.catena.graphs import doc, inp, model, node


def saved(name: str, document: dict[str, Any], version: int = 1, live: int = 1):
    return ResolvedChain(name, version, canonical_hash(document), load(document), live)


def plus_one() -> dict[str, Any]:
    """in(x, y) -> add (prediction = x + y + 1) -> out."""
    return doc(
        [inp(x="float", y="float"), model("add", "adder"), node("out", "output")],
        [["in", "add"], ["add", "out"]],
    )


def user(chain: str = "sub", version: Any = 1, **params: Any) -> dict[str, Any]:
    """in(a, x, y) -> step (chain) -> out."""
    return doc(
        [
            inp(a="float", x="float", y="float"),
            node("step", "chain", chain=chain, version=version, **params),
            node("out", "output"),
        ],
        [["in", "step"], ["step", "out"]],
    )


def adder() -> ResolvedModel:
    return fake(
        "adder", [("x", "float"), ("y", "float")], lambda f: f["x"] + f["y"] + 1
    )


def resolver(**chains: list[ResolvedChain]) -> DictResolver:
    return DictResolver({"adder": [adder()]}, chains=chains)


def codes(report: Any) -> list[tuple[str, str | None]]:
    return [(p.code, p.node) for p in report.problems]


DATA = pd.DataFrame({"a": [0.5, 1.5], "x": [1.0, 2.0], "y": [10.0, 20.0]})


def test_chain_node_schema_is_the_saved_chains_output():
    report = check(load(user()), resolver(sub=[saved("sub", plus_one())]))
    assert report.problems == []
    assert [c.name for c in report.schemas["step"]] == ["prediction"]
    assert [c.name for c in report.chains["step"].inputs] == ["x", "y"]


def test_missing_input_column_across_the_boundary_is_named_on_the_edge():
    outer = user()
    outer["nodes"][0] = inp(a="float", x="float")
    report = check(load(outer), resolver(sub=[saved("sub", plus_one())]))
    [problem] = report.problems
    assert (problem.code, problem.node, problem.edge) == (
        "missing_features",
        "step",
        ("in", "step"),
    )
    assert problem.data["features"] == ["y"]


def test_column_mapping_feeds_the_saved_chain_by_another_name():
    outer = user(columns={"y": "a"})
    result = executor.run(load(outer), DATA, resolver(sub=[saved("sub", plus_one())]))
    assert result.outputs["out"]["prediction"].tolist() == [2.5, 4.5]


def test_dtype_mismatch_across_the_boundary_is_reported():
    outer = user()
    outer["nodes"][0] = inp(a="float", x="float", y="str")
    report = check(load(outer), resolver(sub=[saved("sub", plus_one())]))
    assert codes(report) == [("dtype_mismatch", "step")]


def test_unknown_chain_and_unknown_version_are_refused_on_the_node():
    found = resolver(sub=[saved("sub", plus_one())])
    assert codes(check(load(user(chain="nope")), found)) == [("unknown_chain", "step")]
    report = check(load(user(version=7)), found)
    assert codes(report) == [("unknown_chain", "step")]
    assert report.problems[0].data["version"] == 7


def test_a_chain_using_itself_is_refused_with_the_cycle_named():
    report = check(load(user(chain="outer")), resolver(outer=[saved("o", user())]))
    report = check(
        load(user(chain="sub")),
        resolver(
            sub=[saved("sub", user(chain="outer"))], outer=[saved("outer", user())]
        ),
        chain="outer",
    )
    [problem] = report.problems
    assert problem.code == "chain_cycle"
    assert problem.data["cycle"] == ["outer", "sub", "outer"]
    assert "outer -> sub -> outer" in problem.message


def test_a_cycle_between_saved_chains_is_named_without_knowing_the_outer_name():
    chains = {
        "a": [saved("a", user(chain="b"))],
        "b": [saved("b", user(chain="a"))],
    }
    [problem] = check(load(user(chain="a")), resolver(**chains)).problems
    assert problem.code == "chain_cycle"
    assert problem.data["cycle"] == ["a", "b", "a"]


def nest(levels: int) -> dict[str, list[ResolvedChain]]:
    """c1 uses c2 uses ... c{levels}, which is plus_one."""
    chains = {f"c{levels}": [saved(f"c{levels}", plus_one())]}
    for level in range(levels - 1, 0, -1):
        chains[f"c{level}"] = [saved(f"c{level}", user(chain=f"c{level + 1}"))]
    return chains


def test_nesting_up_to_the_limit_runs_and_deeper_is_refused():
    ok = executor.run(load(user(chain="c1")), DATA, resolver(**nest(MAX_DEPTH)))
    assert ok.outputs["out"]["prediction"].tolist() == [12.0, 23.0]
    assert "step/" * MAX_DEPTH + "add" in ok.outcomes
    [problem] = check(load(user(chain="c1")), resolver(**nest(MAX_DEPTH + 1))).problems
    assert (problem.code, problem.node) == ("chain_depth", "step")
    assert problem.data == {"depth": MAX_DEPTH + 1, "limit": MAX_DEPTH}


def test_a_wide_depth_bomb_is_checked_once_per_version():
    calls = []
    chains = nest(MAX_DEPTH)
    for level in range(1, MAX_DEPTH):
        wide = user(chain=f"c{level + 1}")
        for i in range(30):
            wide["nodes"].append(
                node(f"s{i}", "chain", chain=f"c{level + 1}", version=1)
            )
            wide["edges"] += [["in", f"s{i}"], [f"s{i}", "out"]]
        chains[f"c{level}"] = [saved(f"c{level}", wide)]
    found = resolver(**chains)
    original = found.resolve_chain

    def counting(name: str, version: int | str) -> ResolvedChain:
        calls.append(name)
        return original(name, version)

    found.resolve_chain = counting  # type: ignore[method-assign]
    report = check(load(user(chain="c1")), found)
    assert [p.code for p in report.problems] == ["chain_size"]
    assert len(calls) < 31 * MAX_DEPTH


def test_inner_errors_refuse_the_chain_node():
    broken = plus_one()
    broken["nodes"][1] = model("add", "missing-model")
    [problem] = check(load(user()), resolver(sub=[saved("sub", broken)])).problems
    assert (problem.code, problem.node) == ("chain_invalid", "step")
    assert problem.data["problems"][0]["code"] == "unknown_model"


def test_inner_nodes_have_the_keys_of_the_saved_chain_run_alone():
    found = resolver(sub=[saved("sub", plus_one())])
    alone = executor.run(load(plus_one()), DATA, found, MemoryStore())
    inside = executor.run(load(user()), DATA, found, MemoryStore())
    for inner in ("in", "add", "out"):
        assert inside.outcomes[f"step/{inner}"].key == alone.outcomes[inner].key


def test_a_stored_inner_output_is_reused_by_another_chain_using_it():
    found, store = resolver(sub=[saved("sub", plus_one())]), MemoryStore()
    executor.run(load(plus_one()), DATA, found, store)
    other = user()
    other["nodes"][1]["id"] = "renamed"
    other["edges"] = [["in", "renamed"], ["renamed", "out"]]
    result = executor.run(load(other), DATA, found, store)
    assert result.outcomes["renamed/add"].reused is True
    assert result.outputs["out"]["prediction"].tolist() == [12.0, 23.0]


def test_live_names_the_version_runs_use_and_a_move_is_a_warning():
    versions = [
        saved("sub", plus_one(), 1, live=2),
        saved("sub", plus_one() | {"layout": {}}, 2, live=2),
    ]
    report = check(load(user(version="@live", drawn=1)), resolver(sub=versions))
    assert report.chains["step"].chain.version == 2
    [problem] = report.problems
    assert (problem.code, problem.severity) == ("chain_live_moved", "warning")
    assert problem.data == {"chain": "sub", "drawn": 1, "version": 2}


def test_expansion_puts_inner_nodes_under_the_chain_node():
    report = check(load(user()), resolver(sub=[saved("sub", plus_one())]))
    flat = expand(load(user()), report.resolved, report.chains)
    assert list(flat.graph.nodes) == [
        "in",
        "step/in",
        "step/add",
        "step/out",
        "step",
        "out",
    ]
    assert flat.graph.parents["step/in"] == ("in",)
    assert flat.graph.parents["step"] == ("step/out",)
    assert flat.resolved["step/add"].name == "adder"
    keys = node_keys(flat.graph, flat.resolved, "0" * 64)
    assert len(set(keys.values())) == len(keys)


def test_chain_params_are_refused_when_malformed():
    bad = user(version="@production")
    with pytest.raises(Exception, match="version"):
        load(bad)
