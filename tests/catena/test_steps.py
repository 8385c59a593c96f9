"""Step kinds: palette, transform ops, safe arithmetic, combine, input, output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from catena import steps
from catena.errors import StepError, StepSchemaError
from catena.expression import ARITH
from catena.graph import load
from catena.resolving import DictResolver
from catena.schema import Column
from catena.steps.context import StepContext
from catena.validation import check
from tests.catena import graphs

CTX = StepContext(
    "t",
    inputs=None,
    sources={"price": "in", "qty": "in", "name": "in"},
    parents=("in",),
)
SCHEMA = (Column("price", "float"), Column("qty", "int"), Column("name", "str"))
TABLE = pd.DataFrame(
    {"price": [1.5, None, 3.0], "qty": [2, 3, 4], "name": ["a", "b", "a"]},
    index=[10, 11, 12],
)


def transform(*ops):
    step = steps.get("transform")
    params = step.Params.model_validate({"ops": list(ops)})
    return step, params


def schema_and_run(*ops):
    step, params = transform(*ops)
    return step.output_schema(params, SCHEMA, CTX), step.run(TABLE, params, CTX)


def test_palette_lists_every_kind_with_title_and_json_schema():
    assert list(steps.STEP_KINDS) == [
        "input",
        "model",
        "transform",
        "combine",
        "chain",
        "optimize",
        "optimize.whatif",
        "optimize.whatifchain",
        "output",
    ]
    assert [k.TITLE for k in steps.kinds()] == [
        "Input",
        "Model",
        "Transform",
        "Combine",
        "Chain",
        "Optimize",
        "Output",
    ]
    schema = steps.params_json_schema("transform")
    assert sorted(schema["$defs"]) == [
        "ArithOp",
        "CastOp",
        "DropOp",
        "FillOp",
        "OneHotOp",
        "RenameOp",
        "SelectOp",
    ]
    assert steps.params_json_schema("input")["required"] == ["schema"]


def test_unknown_kind_is_a_key_error():
    with pytest.raises(KeyError):
        steps.get("teleport")


def test_select_rename_drop_cast():
    schema, out = schema_and_run(
        {"op": "select", "columns": ["qty", "price"]},
        {"op": "rename", "mapping": {"qty": "n"}},
        {"op": "cast", "columns": {"n": "float"}},
        {"op": "drop", "columns": ["price"]},
    )
    assert schema == (Column("n", "float"),)
    assert out.to_dict("list") == {"n": [2.0, 3.0, 4.0]}
    assert list(out.index) == [10, 11, 12]


def test_fill_and_a_fill_value_of_the_wrong_type():
    schema, out = schema_and_run({"op": "fill", "columns": {"price": 0}})
    assert schema == SCHEMA
    assert out["price"].tolist() == [1.5, 0.0, 3.0]
    step, params = transform({"op": "fill", "columns": {"qty": "many"}})
    with pytest.raises(
        StepSchemaError, match="fill value 'many' does not fit int column 'qty'"
    ):
        step.output_schema(params, SCHEMA, CTX)


def test_onehot_replaces_the_column_with_known_categories():
    schema, out = schema_and_run(
        {"op": "onehot", "column": "name", "categories": ["a", "b", "c"]}
    )
    assert [c.name for c in schema] == ["price", "qty", "name=a", "name=b", "name=c"]
    assert list(out.columns) == [c.name for c in schema]
    assert out["name=a"].tolist() == [1.0, 0.0, 1.0]
    assert out["name=c"].tolist() == [0.0, 0.0, 0.0]


def test_arith_computes_a_float_column():
    schema, out = schema_and_run(
        {"op": "arith", "name": "total", "expr": "price * 2 + qty"}
    )
    assert schema[-1] == Column("total", "float")
    assert out["total"].tolist()[::2] == [5.0, 10.0]
    assert np.isnan(out["total"].iloc[1])


def test_arith_replaces_a_column_of_the_same_name_in_place():
    schema, out = schema_and_run(
        {"op": "arith", "name": "qty", "expr": "-qty ** 2 / 2"}
    )
    assert [c.name for c in schema] == ["price", "qty", "name"]
    assert out["qty"].tolist() == [-2.0, -4.5, -8.0]
    assert TABLE["qty"].tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("price.real", "attribute access is not allowed: price.real"),
        ("__import__('os')", "function calls are not allowed"),
        ("abs(price)", "function calls are not allowed: abs(price)"),
        ("price[0]", "indexing is not allowed"),
        ("price > 1", "comparisons are not allowed"),
        ("price and qty", "boolean operators are not allowed"),
        ("price % 2", "operator not allowed: price % 2"),
        ("'a' + name", "only numbers are allowed as constants, not 'a'"),
        ("lambda: 1", "lambdas are not allowed"),
        ("price +", "the expression does not parse"),
        ("[price]", "List is not allowed"),
        ("1" + "0" * 400 + " * price", "a number in the expression is too large"),
        ("-" * 400 + "price", "nested deeper than 32 levels"),
        ("price" * 101, "longer than 500 characters"),
    ],
)
def test_safe_arith_rejects_everything_but_arithmetic(expr, message):
    with pytest.raises(
        ValueError,
        match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\["),
    ):
        ARITH.parse(expr)


def test_arith_op_with_bad_syntax_is_bad_params():
    doc = graphs.doc(
        [
            graphs.inp(x="float"),
            graphs.node(
                "t", "transform", ops=[{"op": "arith", "name": "y", "expr": "x.real"}]
            ),
        ],
        [["in", "t"]],
    )
    with pytest.raises(
        ValueError,
        match=r"node 't': params.ops.0.arith.expr: Value error, attribute access",
    ):
        load(doc)


def test_arith_rejects_names_that_are_not_columns_and_str_columns():
    step, params = transform({"op": "arith", "name": "y", "expr": "price * tax"})
    with pytest.raises(StepSchemaError, match="uses unknown columns: 'tax'") as info:
        step.output_schema(params, SCHEMA, CTX)
    assert info.value.problems[0].code == "missing_columns"
    step, params = transform({"op": "arith", "name": "y", "expr": "name * 2"})
    with pytest.raises(
        StepSchemaError, match="expression uses str column 'name'"
    ) as info:
        step.output_schema(params, SCHEMA, CTX)
    assert info.value.problems[0].edge == ("in", "t")


def test_arith_huge_powers_overflow_instead_of_hanging():
    values = ARITH.evaluate(ARITH.parse("10 ** 10 ** 10 + x"), {"x": np.array([1.0])})
    assert values.tolist() == [float("inf")]


def test_transform_ops_name_unknown_columns():
    step, params = transform({"op": "select", "columns": ["price", "nope"]})
    with pytest.raises(StepSchemaError, match="select names unknown columns: 'nope'"):
        step.output_schema(params, SCHEMA, CTX)


def test_rename_onto_an_existing_column_is_a_duplicate():
    step, params = transform({"op": "rename", "mapping": {"qty": "price"}})
    with pytest.raises(StepSchemaError, match="would produce duplicate columns: price"):
        step.output_schema(params, SCHEMA, CTX)


def test_a_failing_cast_is_a_step_error_naming_the_op():
    step, params = transform({"op": "cast", "columns": {"name": "float"}})
    with pytest.raises(StepError, match=r"node 't': op 1 \(cast\) failed"):
        step.run(TABLE, params, CTX)


def test_unknown_op_is_refused_by_the_discriminator():
    with pytest.raises(ValueError, match="does not match any of the expected tags"):
        transform({"op": "eval", "code": "1"})


def combine(method, table, **params):
    step = steps.get("combine")
    p = step.Params.model_validate({"method": method, **params})
    return step.run(table, p, CTX)


def test_combine_mean_weighted_mean_vote_and_concat():
    table = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 6.0]}, index=[5, 6])
    assert combine("mean", table).to_dict("list") == {"combined": [2.0, 4.0]}
    weighted = combine("weighted_mean", table, weights={"a": 3, "b": 1}, name="w")
    assert weighted.to_dict("list") == {"w": [1.5, 3.0]}
    assert combine("concat", table) is table
    votes = pd.DataFrame({"a": [1, 2, 1], "b": [2, 2, 3], "c": [2, 1, 4]})
    assert combine("vote", votes).to_dict("list") == {"combined": [2, 2, 1]}


def test_combine_params_and_schema_rules():
    step = steps.get("combine")
    with pytest.raises(ValueError, match="weighted_mean needs weights"):
        step.Params.model_validate({"method": "weighted_mean"})
    with pytest.raises(ValueError, match="weights are used only by weighted_mean"):
        step.Params.model_validate({"method": "mean", "weights": {"a": 1}})
    mean = step.Params.model_validate({"method": "mean"})
    with pytest.raises(StepSchemaError, match="cannot average str column 'name'"):
        step.output_schema(mean, SCHEMA, CTX)
    vote = step.Params.model_validate({"method": "vote"})
    with pytest.raises(
        StepSchemaError, match="votes over columns of different dtypes: float, int, str"
    ):
        step.output_schema(vote, SCHEMA, CTX)


def test_input_selects_and_casts_declared_columns():
    step = steps.get("input")
    params = step.Params.model_validate({"schema": [["qty", "float"], ["name", "str"]]})
    out = step.run(pd.DataFrame(), params, StepContext("in", inputs=TABLE))
    assert out.to_dict("list") == {"qty": [2.0, 3.0, 4.0], "name": ["a", "b", "a"]}
    assert str(out["qty"].dtype) == "float64"


def test_input_names_missing_columns():
    step = steps.get("input")
    params = step.Params.model_validate(
        {"schema": [["qty", "int"], ["age", "int"], ["h", "float"]]}
    )
    with pytest.raises(
        StepError, match="node 'in': the input table lacks columns: age, h"
    ):
        step.run(pd.DataFrame(), params, StepContext("in", inputs=TABLE))


def test_output_selects_listed_columns_and_checks_them():
    report = check(
        load(
            graphs.doc(
                [graphs.inp(x="float"), graphs.node("out", "output", columns=["y"])],
                [["in", "out"]],
            )
        ),
        DictResolver({}),
    )
    assert [(p.code, p.message) for p in report.problems] == [
        ("missing_columns", "node 'out': output columns not in its input: 'y'")
    ]
