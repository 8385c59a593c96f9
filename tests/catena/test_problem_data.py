"""Problems carry their facts as data: rewording every message breaks nothing."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from catena import executor, problems
from catena.errors import ChainInvalidError, GraphDocumentError
from catena.graph import canonical_hash, load
from catena.guards import target_problems
from catena.problems import CODES, FIELDS, MESSAGES, Problem, make
from catena.resolving import DictResolver, ResolvedChain
from catena.validation import check, rows_problems
from tests.catena.conftest import fake
from tests.catena.graphs import doc, inp, model, node, optimize

NONSENSE = "zzz nonsense zzz"


def _identity(frame: pd.DataFrame) -> Any:
    return frame.iloc[:, 0]


def _saved(name: str, document: dict[str, Any], live: int = 1) -> ResolvedChain:
    return ResolvedChain(name, 1, canonical_hash(document), load(document), live)


def _user(name: str, times: int = 1) -> dict[str, Any]:
    """in(x, y) -> ``times`` chain nodes using ``name`` -> out."""
    used = [node(f"c{i}", "chain", chain=name, version=1) for i in range(times)]
    nodes = [inp(x="float", y="float"), *used, node("out", "output")]
    edges = [
        [a, b] for i in range(times) for a, b in (["in", f"c{i}"], [f"c{i}", "out"])
    ]
    return doc(nodes, edges)


def _chains() -> dict[str, list[ResolvedChain]]:
    """Saved chains for the chain problems: good, looping, broken, deep, wide."""
    good = _chain(model("m1", "m"), x="float", y="float")
    found = {
        "sub": [_saved("sub", good)],
        "moved": [_saved("moved", good, live=1)],
        "loop": [_saved("loop", _user("loop"))],
        "broken": [_saved("broken", _chain(model("m1", "ghost"), x="float"))],
        "wide2": [_saved("wide2", _user("sub", 50))],
        "wide": [_saved("wide", _user("wide2", 50))],
        "d9": [_saved("d9", good)],
    }
    for level in range(1, 9):
        found[f"d{level}"] = [_saved(f"d{level}", _user(f"d{level + 1}"))]
    return found


@pytest.fixture
def models() -> DictResolver:
    """A model per case: named features, positional features, untrusted, warned;
    and saved chains for the chain cases."""
    return DictResolver(
        {
            "m": [fake("m", [("x", "float"), ("y", "float")], _identity)],
            "pos": [fake("pos", [("x0", "float"), ("x1", "float")], _identity)],
            "shady": [fake("shady", [("x", "float")], _identity, trusted=False)],
            "old": [
                fake("old", [("x", "float")], _identity, warnings=("old sklearn",))
            ],
            "base": [
                fake("base", [("x", "float")], _identity, version=v) for v in (1, 2)
            ],
            "stack": [
                fake(
                    "stack",
                    [("prediction", "float")],
                    _identity,
                    trained_on=(("base", 1),),
                    out_of_fold=False,
                )
            ],
        },
        chains=_chains(),
    )


def _found(document: Any, resolver: DictResolver) -> list[Problem]:
    try:
        graph = load(document)
    except GraphDocumentError as exc:
        return exc.problems
    return check(graph, resolver).problems


def _chain(*middle: dict[str, Any], **columns: str) -> dict[str, Any]:
    """in -> each middle node in turn -> out."""
    ids = ["in", *(n["id"] for n in middle), "out"]
    nodes = [inp(**columns), *middle, node("out", "output")]
    return doc(nodes, [[a, b] for a, b in zip(ids, ids[1:], strict=False)])


STACKED = _chain(model("b", "base", version="@latest"), model("s", "stack"), x="float")

# (document, code, the data it must carry)
CASES: list[tuple[Any, str, dict[str, Any]]] = [
    (
        STACKED,
        "stacker_base_moved",
        {
            "model": "stack",
            "version": 1,
            "base_model": "base",
            "trained_version": 1,
            "running_version": 2,
            "base_node": "b",
        },
    ),
    (STACKED, "stacker_in_sample", {"model": "stack", "version": 1}),
    ([], "bad_document", {"field": None, "expected": "object", "got": "list"}),
    (
        {"format": "catena.chain/1", "nodes": {}},
        "bad_document",
        {"field": "nodes", "expected": "list", "got": "dict"},
    ),
    ({"format": "x/2"}, "bad_format", {"expected": "catena.chain/1", "got": "x/2"}),
    (doc([7], []), "bad_node", {"index": 1, "field": None, "unknown_fields": []}),
    (
        doc([{"id": "a", "kind": "input", "params": {}, "zz": 1}], []),
        "bad_node",
        {"index": 1, "field": None, "unknown_fields": ["zz"]},
    ),
    (
        doc([{"id": 3, "kind": "input"}], []),
        "bad_node",
        {"index": 1, "field": "id", "unknown_fields": []},
    ),
    (doc([node("a b", "output")], []), "bad_id", {"id": "a b"}),
    (
        doc([node("o", "output"), node("o", "output")], []),
        "duplicate_node",
        {"id": "o"},
    ),
    (doc([], [["a"]]), "bad_edge", {"index": 1}),
    (
        doc([node("o", "output")], [["o", "ghost"]]),
        "missing_node",
        {"missing": ["ghost"]},
    ),
    (doc([node("o", "output")], [["o", "o"]]), "self_edge", {}),
    (
        doc([inp(x="float"), node("o", "output")], [["in", "o"], ["in", "o"]]),
        "duplicate_edge",
        {},
    ),
    (
        doc([node("o", "output")], [], layout={"ghost": [0, 0]}),
        "bad_layout",
        {"entry": "ghost"},
    ),
    (doc([], [], layout=[]), "bad_layout", {"entry": None}),
    (
        doc([node("o", "sorcery")], []),
        "unknown_kind",
        {
            "kind": "sorcery",
            "known": [
                "input",
                "model",
                "transform",
                "combine",
                "chain",
                "optimize",
                "output",
            ],
        },
    ),
    (
        doc([node("c", "combine", method="median")], []),
        "bad_params",
        {"path": "method", "type": "literal_error"},
    ),
    (
        doc(
            [inp(x="float"), node("a", "output"), node("b", "output")],
            [["a", "b"], ["b", "a"]],
        ),
        "cycle",
        {"nodes": ["a", "b"]},
    ),
    (doc([node("o", "output")], []), "no_input", {}),
    (doc([inp(x="float")], []), "no_output", {}),
    (
        doc([inp(x="float"), model("lost", "m"), node("o", "output")], [["in", "o"]]),
        "unreachable",
        {},
    ),
    (
        doc(
            [inp(x="float"), inp("in2", x="float"), node("o", "output")],
            [["in2", "in"], ["in", "o"]],
        ),
        "input_with_parents",
        {"parent": "in2"},
    ),
    (doc([inp(x="float"), node("o", "output")], []), "unconnected_output", {}),
    (
        _chain(model("m1", "nope", version=2), x="float"),
        "unknown_model",
        {"model": "nope", "version": 2},
    ),
    (
        _chain(model("m1", "shady"), x="float"),
        "untrusted_model",
        {"model": "shady", "version": 1},
    ),
    (
        _chain(model("m1", "old"), x="float"),
        "compat_warning",
        {"model": "old", "version": 1, "warning": "old sklearn"},
    ),
    (
        _chain(model("m1", "m", method="transform"), x="float", y="float"),
        "unknown_method",
        {"model": "m", "method": "transform", "offered": ["predict"]},
    ),
    (
        _chain(model("m1", "m", columns={"y": "b"}), x="float", a="float"),
        "missing_features",
        {"features": ["y"], "columns": ["x", "a"], "mapping": {"y": "b"}},
    ),
    (
        _chain(model("m1", "pos"), a="float", b="float", c="float"),
        "feature_count",
        {"expected": 2, "got": 3, "columns": ["a", "b", "c"]},
    ),
    (
        _chain(model("m1", "m"), x="float", y="str"),
        "dtype_mismatch",
        {"feature": "y", "column": "y", "expected": "float", "actual": "str"},
    ),
    (
        _chain(node("avg", "combine", method="mean"), x="float", s="str"),
        "dtype_mismatch",
        {"feature": None, "column": "s", "expected": "numeric", "actual": "str"},
    ),
    (
        _chain(node("v", "combine", method="vote"), x="float", s="str"),
        "dtype_mismatch",
        {
            "feature": None,
            "column": None,
            "expected": "one dtype",
            "actual": ["float", "str"],
        },
    ),
    (
        _chain(
            node("t", "transform", ops=[{"op": "arith", "name": "z", "expr": "s + 1"}]),
            s="str",
        ),
        "dtype_mismatch",
        {"feature": None, "column": "s", "expected": "numeric", "actual": "str"},
    ),
    (
        _chain(
            node("t", "transform", ops=[{"op": "cast", "columns": {"q": "int"}}]),
            x="float",
        ),
        "missing_columns",
        {"columns": ["q"], "used_by": "cast"},
    ),
    (
        _chain(
            node("t", "transform", ops=[{"op": "rename", "mapping": {"x": "y"}}]),
            x="float",
            y="float",
        ),
        "duplicate_columns",
        {"columns": ["y"]},
    ),
    (
        _chain(model("m1", "m", columns={"w": "x"}), x="float", y="float"),
        "bad_value",
        {"param": "columns", "column": None, "value": ["w"]},
    ),
    (
        _chain(
            node("t", "transform", ops=[{"op": "fill", "columns": {"x": "a"}}]),
            x="float",
        ),
        "bad_value",
        {"param": "fill", "column": "x", "value": "a", "expected": "float"},
    ),
    (
        _chain(node("c", "chain", chain="nope"), x="float"),
        "unknown_chain",
        {"chain": "nope", "version": "@live"},
    ),
    (_user("loop"), "chain_cycle", {"cycle": ["loop", "loop"]}),
    (_user("d1"), "chain_depth", {"depth": 9, "limit": 8}),
    (_user("wide"), "chain_size", {"limit": 2000}),
    (_user("broken"), "chain_invalid", {"chain": "broken", "version": 1}),
    (
        _chain(
            node("c", "chain", chain="moved", version="@live", drawn=3),
            x="float",
            y="float",
        ),
        "chain_live_moved",
        {"chain": "moved", "drawn": 3, "version": 1},
    ),
    (
        _chain(optimize(decision="a"), x="float", y="float", a="float"),
        "bad_predictor",
        {"model": "m", "method": "predict", "decision": "a"},
    ),
    (
        _chain(optimize(bounds={"lower": "x"}), x="float", y="float"),
        "bad_bounds",
        {"lower": "x", "upper": None},
    ),
]


def test_every_code_has_its_fields_and_a_message():
    assert set(FIELDS) == set(CODES)
    assert {key.split(".")[0] for key in MESSAGES} == set(CODES)


@pytest.fixture
def reworded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every message template replaced by nonsense."""
    monkeypatch.setattr(problems, "MESSAGES", dict.fromkeys(MESSAGES, NONSENSE))


@pytest.mark.usefixtures("reworded")
@pytest.mark.parametrize(("document", "code", "expected"), CASES)
def test_problem_fields_carry_the_data_when_every_message_is_reworded(
    document, code, expected, models
):
    found = [p for p in _found(document, models) if p.code == code]

    assert found, f"no {code} in {_found(document, models)}"
    problem = found[0]
    assert problem.message == NONSENSE
    assert set(problem.data) == set(FIELDS[code])
    assert {k: problem.data[k] for k in expected} == expected
    assert problem.as_dict()["data"] == dict(problem.data)


def test_the_cases_cover_every_code_but_unknown_node():
    known_when_running = {"unknown_node", "grid_too_large", "target_as_feature"}
    assert {code for _, code, _ in CASES} == set(CODES) - known_when_running


@pytest.mark.usefixtures("reworded")
def test_target_as_feature_carries_the_column_when_the_message_is_reworded(models):
    graph = load(_chain(model("m1", "m"), x="float", y="float"))
    report = check(graph, models)
    found = target_problems(graph, report.schemas, report.resolved, "y")
    assert [(p.code, p.message, dict(p.data)) for p in found] == [
        (
            "target_as_feature",
            NONSENSE,
            {"model": "m", "version": 1, "feature": "y", "column": "y", "target": "y"},
        )
    ]


@pytest.mark.usefixtures("reworded")
def test_grid_too_large_carries_the_row_count_when_the_message_is_reworded():
    graph = load(_chain(optimize(), x="float", y="float"))

    (problem,) = rows_problems(graph, 20_000_000)

    assert (problem.code, problem.node, problem.message) == (
        "grid_too_large",
        "opt",
        NONSENSE,
    )
    assert problem.data == {"rows": 20_000_000, "candidates": 3, "limit": 50_000_000}


@pytest.mark.usefixtures("reworded")
def test_unknown_node_names_the_node_when_the_message_is_reworded(models):
    graph = load(_chain(x="float"))

    with pytest.raises(ChainInvalidError) as caught:
        executor.run(graph, pd.DataFrame({"x": [1.0]}), models, until="ghost")

    (problem,) = caught.value.problems
    assert (problem.code, problem.message, problem.data) == (
        "unknown_node",
        NONSENSE,
        {"id": "ghost"},
    )


def test_messages_render_lists_and_quote_them():
    problem = make(
        "missing_columns",
        node="t",
        extra={"what": "w"},
        columns=["a", "b"],
        used_by="x",
    )

    assert problem.message == "node 't': w: 'a', 'b'"
