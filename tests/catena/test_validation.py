"""Validation: structure, models and schemas, every problem at once."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from catena.graph import load
from catena.problems import CODES
from catena.resolving import DictResolver
from catena.schema import Column
from catena.validation import check, validate
from tests.catena import graphs
from tests.catena.conftest import fake


def codes(doc, resolver):
    return [(p.code, p.node, p.edge) for p in validate(load(doc), resolver)]


def test_a_good_chain_has_no_problems_and_known_schemas(resolver):
    report = check(load(graphs.linear()), resolver)
    assert report.problems == []
    assert report.ok is True
    assert report.schemas == {
        "in": (Column("x", "float"),),
        "double": (Column("prediction", "float"),),
        "out": (Column("prediction", "float"),),
    }
    assert report.resolved["double"].version == 2


def test_cycle_is_reported_with_its_nodes(resolver):
    report = check(load(graphs.cycle()), resolver)
    cycles = [p for p in report.problems if p.code == "cycle"]
    assert [(p.node, p.edge, p.message) for p in cycles] == [
        ("double", ("t", "double"), "the edges form a cycle: double -> t -> double")
    ]
    assert set(report.schemas.values()) == {None}


def test_unknown_model_is_reported_on_its_node(resolver):
    assert codes(graphs.missing_model(), resolver) == [
        ("unknown_model", "double", None)
    ]


def test_unknown_version_and_alias_are_reported(resolver):
    doc = graphs.linear()
    doc["nodes"][1]["params"]["version"] = 7
    (problem,) = validate(load(doc), resolver)
    assert problem.message == "node 'double': model 'doubler' has no version 7"
    doc["nodes"][1]["params"]["version"] = "@staging"
    (problem,) = validate(load(doc), resolver)
    assert problem.message == "node 'double': model 'doubler' has no alias '@staging'"


def test_alias_resolves_to_its_version(resolver):
    doc = graphs.linear()
    doc["nodes"][1]["params"]["version"] = "@production"
    assert check(load(doc), resolver).resolved["double"].version == 1


def test_missing_features_are_named_with_node_and_edge(resolver):
    (problem,) = validate(load(graphs.missing_features()), resolver)
    assert (problem.code, problem.node, problem.edge) == (
        "missing_features",
        "sum",
        ("in", "sum"),
    )
    assert problem.message == "node 'sum': missing features upstream: a, b"


def test_dtype_mismatch_names_the_feature_column_and_edge(resolver):
    (problem,) = validate(load(graphs.dtype_clash()), resolver)
    assert (problem.code, problem.node, problem.edge) == (
        "dtype_mismatch",
        "double",
        ("in", "double"),
    )
    assert (
        problem.message == "node 'double': feature 'x' needs float, column 'x' is str"
    )


def test_int_feeds_a_float_feature_but_float_does_not_feed_int():
    resolver = DictResolver({"m": [fake("m", [("k", "int")], lambda f: f["k"])]})
    doc = graphs.doc(
        [graphs.inp(k="float"), graphs.model("m", "m"), graphs.node("out", "output")],
        [["in", "m"], ["m", "out"]],
    )
    assert codes(doc, resolver) == [("dtype_mismatch", "m", ("in", "m"))]
    doc["nodes"][0] = graphs.inp(k="int")
    assert codes(doc, resolver) == []


def test_column_mapping_feeds_features_from_other_columns(resolver):
    doc = graphs.missing_features()
    doc["nodes"][0] = graphs.inp(p="float", q="float")
    doc["nodes"][1]["params"]["columns"] = {"a": "p", "b": "q"}
    assert codes(doc, resolver) == []
    doc["nodes"][1]["params"]["columns"] = {"a": "p", "zz": "q"}
    (problem,) = validate(load(doc), resolver)
    assert (problem.code, problem.message) == (
        "bad_value",
        "node 'sum': column mapping names unknown features: zz",
    )


def test_positional_model_counts_its_columns():
    model = fake("pos", [("x0", "float"), ("x1", "float")], lambda f: f.sum(axis=1))
    resolver = DictResolver({"pos": [model]})
    doc = graphs.doc(
        [
            graphs.inp(a="float", b="float", c="float"),
            graphs.model("m", "pos"),
            graphs.node("out", "output"),
        ],
        [["in", "m"], ["m", "out"]],
    )
    (problem,) = validate(load(doc), resolver)
    assert (problem.code, problem.edge) == ("feature_count", ("in", "m"))
    assert problem.message == "node 'm': takes 2 columns by position, gets 3"
    doc["nodes"][0] = graphs.inp(a="float", b="float")
    assert codes(doc, resolver) == []


def test_untrusted_model_is_an_error(resolver):
    untrusted = replace(resolver.resolve("doubler", 1), version=3, trusted=False)
    resolver.models["doubler"][3] = untrusted
    (problem,) = validate(load(graphs.linear()), resolver)
    assert (problem.code, problem.severity) == ("untrusted_model", "error")
    assert (
        problem.message == "node 'double': model 'doubler' v3 is not trusted "
        "(a staff user must trust it)"
    )


def test_resolver_warnings_become_compat_warnings(resolver):
    warned = replace(
        resolver.resolve("doubler", 1),
        version=3,
        warnings=("saved with scikit-learn 1.0",),
    )
    resolver.models["doubler"][3] = warned
    report = check(load(graphs.linear()), resolver)
    assert [(p.code, p.severity, p.message) for p in report.problems] == [
        (
            "compat_warning",
            "warning",
            "node 'double': model 'doubler' v3: saved with scikit-learn 1.0",
        )
    ]
    assert report.ok is True
    assert report.schemas["out"] == (Column("prediction", "float"),)


def test_method_not_offered_by_the_model(resolver):
    doc = graphs.linear()
    doc["nodes"][1]["params"]["method"] = "predict_proba"
    (problem,) = validate(load(doc), resolver)
    assert (problem.code, problem.node) == ("unknown_method", "double")
    assert (
        problem.message
        == "node 'double': model 'doubler' has no method 'predict_proba' (predict)"
    )


def test_classifier_methods_have_per_class_columns(resolver):
    doc = graphs.linear()
    doc["nodes"][1] = graphs.model("double", "classifier", method="predict_proba")
    report = check(load(doc), resolver)
    assert report.schemas["double"] == (
        Column("proba_0", "float"),
        Column("proba_1", "float"),
    )
    doc["nodes"][1]["params"]["method"] = "predict"
    assert check(load(doc), resolver).schemas["double"] == (
        Column("prediction", "int"),
    )


def test_no_input_and_no_output_are_reported(resolver):
    doc = graphs.doc([graphs.node("t", "transform")], [])
    assert codes(doc, resolver) == [("no_input", None, None), ("no_output", None, None)]


def test_unreachable_node_and_unconnected_output(resolver):
    doc = graphs.unreachable()
    doc["nodes"].append(graphs.node("out2", "output"))
    assert codes(doc, resolver) == [
        ("unconnected_output", "out2", None),
        ("unreachable", "lost", None),
    ]


def test_input_with_parents_is_reported_on_its_edge(resolver):
    doc = graphs.linear()
    doc["nodes"].append(graphs.inp("in2", y="float"))
    doc["edges"].append(["in", "in2"])
    assert codes(doc, resolver) == [("input_with_parents", "in2", ("in", "in2"))]


def test_schemas_downstream_of_a_broken_node_are_none_without_more_problems(resolver):
    doc = graphs.missing_model()
    doc["nodes"].insert(
        2, graphs.node("t", "transform", ops=[{"op": "select", "columns": ["nope"]}])
    )
    doc["edges"] = [["in", "double"], ["double", "t"], ["t", "out"]]
    report = check(load(doc), resolver)
    assert [p.code for p in report.problems] == ["unknown_model"]
    assert report.schemas == {
        "in": (Column("x", "float"),),
        "double": None,
        "t": None,
        "out": None,
    }


def test_all_problems_are_returned_not_the_first(resolver):
    doc = graphs.fan_in()
    doc["nodes"][1] = graphs.model("double", "ghost")
    doc["nodes"][2]["params"]["columns"] = {"a": "nope"}
    doc["nodes"].append(graphs.node("lost", "output"))
    assert [p.code for p in validate(load(doc), resolver)] == [
        "unconnected_output",
        "unknown_model",
        "missing_features",
    ]


def test_every_emitted_code_is_listed_with_a_meaning():
    assert all(
        code == code.lower() and " " not in code and CODES[code] for code in CODES
    )
    assert {
        "cycle",
        "unknown_model",
        "missing_features",
        "dtype_mismatch",
        "compat_warning",
    } <= set(CODES)


def test_problem_as_dict_is_json_ready(resolver):
    (problem,) = validate(load(graphs.dtype_clash()), resolver)
    assert problem.as_dict() == {
        "code": "dtype_mismatch",
        "message": "node 'double': feature 'x' needs float, column 'x' is str",
        "node": "double",
        "edge": ["in", "double"],
        "severity": "error",
        "data": {"feature": "x", "column": "x", "expected": "float", "actual": "str"},
    }


# Properties -------------------------------------------------------------------
EMPTY = DictResolver({})


@st.composite
def dags(draw):
    """A random DAG: in -> transforms (edges only forward) -> out."""
    count = draw(st.integers(1, 8))
    middle = [f"n{i}" for i in range(count)]
    edges = [["in", middle[0]]]
    for i in range(1, count):
        parents = draw(st.sets(st.integers(0, i - 1), min_size=1, max_size=3))
        edges += [[middle[p], middle[i]] for p in sorted(parents)]
    edges.append([middle[-1], "out"])
    nodes = [
        graphs.inp(x="float"),
        *(graphs.node(n, "transform") for n in middle),
        graphs.node("out", "output"),
    ]
    return graphs.doc(nodes, edges)


@settings(max_examples=60, deadline=None)
@given(dags())
def test_random_dags_validate_clean(doc):
    report = check(load(doc), EMPTY)
    assert report.problems == []
    assert all(schema is not None for schema in report.schemas.values())


@settings(max_examples=60, deadline=None)
@given(dags(), st.data())
def test_random_graphs_with_a_cycle_never_validate(doc, data):
    middle = [n["id"] for n in doc["nodes"][1:-1]]
    forward = [e for e in doc["edges"] if e[0] in middle and e[1] in middle]
    if forward:
        a, b = data.draw(st.sampled_from(forward))
        doc["edges"].append([b, a])
    else:
        doc["nodes"].append(graphs.node("loop", "transform"))
        doc["edges"] += [[middle[0], "loop"], ["loop", middle[0]]]
    problems = validate(load(doc), EMPTY)
    assert "cycle" in [p.code for p in problems]


def test_remembered_schemas_follow_the_resolved_signatures(resolver):
    graph = load(graphs.linear())
    assert check(graph, resolver).problems == []
    other = DictResolver(
        {"doubler": [fake("doubler", [("z", "float")], lambda f: f["z"])]}
    )
    (problem,) = check(graph, other).problems
    assert problem.message == "node 'double': missing features upstream: z"
    assert check(graph, resolver).problems == []


def test_reports_are_independent_copies(resolver):
    graph = load(graphs.missing_features())
    first = check(graph, resolver)
    first.problems.clear()
    first.schemas.clear()
    second = check(graph, resolver)
    assert [p.code for p in second.problems] == ["missing_features"]
    assert second.schemas["in"] == (Column("x", "float"),)
