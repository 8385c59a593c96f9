"""The transform step: a list of declarative ops, no user code.

Ops run in order: ``select``, ``rename``, ``drop``, ``cast``, ``fill``,
``onehot`` (categories are given, so the output schema is known before running;
the column is replaced by float columns ``f"{column}={category}"`` appended at
the end) and ``arith`` (a safe arithmetic expression, see :mod:`catena.arith`;
the result is a float column, replacing one of the same name in place).
"""

from __future__ import annotations

import ast
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from catena.errors import StepError, StepSchemaError
from catena.expression import ARITH, names
from catena.schema import NUMPY_DTYPES, Column, Dtype, Schema, fits
from catena.steps.context import StepContext

#: Bump when a change to this module can change an output: old outputs are
#: then computed again instead of reused (the version is in every cache key).
CODE_VERSION = 1
TITLE = "Transform"
DESCRIPTION = "Select, rename, drop, cast, fill, one-hot or compute columns."

Scalar = bool | int | float | str
_NUMERIC = ("bool", "int", "float")


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def output_schema(self, inputs: Schema, ctx: StepContext) -> Schema:
        raise NotImplementedError

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        raise NotImplementedError


def _require(
    inputs: Schema, wanted: list[str], ctx: StepContext, what: str, used_by: str
) -> None:
    present = {c.name for c in inputs}
    missing = [n for n in wanted if n not in present]
    if missing:
        raise ctx.missing(what, missing, used_by=used_by)


def _unique(schema: Schema, ctx: StepContext) -> Schema:
    seen = [c.name for c in schema]
    dupes = sorted({n for n in seen if seen.count(n) > 1})
    if dupes:
        problem = ctx.problem("duplicate_columns", variant="transform", columns=dupes)
        raise StepSchemaError([problem])
    return schema


class SelectOp(_Op):
    """Keep the listed columns, in the listed order."""

    op: Literal["select"]
    columns: list[str] = Field(min_length=1)

    def output_schema(self, inputs: Schema, ctx: StepContext) -> Schema:
        _require(inputs, self.columns, ctx, "select names unknown columns", "select")
        by_name = {c.name: c for c in inputs}
        return _unique(tuple(by_name[n] for n in self.columns), ctx)

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        return df[self.columns]


class RenameOp(_Op):
    """Rename columns ``{old: new}``."""

    op: Literal["rename"]
    mapping: dict[str, str]

    def output_schema(self, inputs: Schema, ctx: StepContext) -> Schema:
        _require(
            inputs, list(self.mapping), ctx, "rename names unknown columns", "rename"
        )
        renamed = tuple(
            Column(self.mapping.get(c.name, c.name), c.dtype) for c in inputs
        )
        return _unique(renamed, ctx)

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        return df.rename(columns=self.mapping)


class DropOp(_Op):
    """Drop the listed columns."""

    op: Literal["drop"]
    columns: list[str] = Field(min_length=1)

    def output_schema(self, inputs: Schema, ctx: StepContext) -> Schema:
        _require(inputs, self.columns, ctx, "drop names unknown columns", "drop")
        return tuple(c for c in inputs if c.name not in self.columns)

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        return df.drop(columns=self.columns)


class CastOp(_Op):
    """Cast columns ``{column: dtype}``."""

    op: Literal["cast"]
    columns: dict[str, Dtype] = Field(min_length=1)

    def output_schema(self, inputs: Schema, ctx: StepContext) -> Schema:
        _require(inputs, list(self.columns), ctx, "cast names unknown columns", "cast")
        return tuple(Column(c.name, self.columns.get(c.name, c.dtype)) for c in inputs)

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        return df.astype({k: NUMPY_DTYPES[v] for k, v in self.columns.items()})


def _scalar_dtype(value: Scalar) -> Dtype:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "float" if isinstance(value, float) else "str"


class FillOp(_Op):
    """Fill missing values ``{column: value}``."""

    op: Literal["fill"]
    columns: dict[str, Scalar] = Field(min_length=1)

    def output_schema(self, inputs: Schema, ctx: StepContext) -> Schema:
        _require(inputs, list(self.columns), ctx, "fill names unknown columns", "fill")
        for column in inputs:
            value = self.columns.get(column.name)
            if value is not None and not fits(_scalar_dtype(value), column.dtype):
                problem = ctx.problem(
                    "bad_value",
                    variant="fill",
                    param="fill",
                    column=column.name,
                    value=value,
                    expected=column.dtype,
                )
                raise StepSchemaError([problem])
        return inputs

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        return df.fillna(value=self.columns)


class OneHotOp(_Op):
    """Replace ``column`` by one float column per category."""

    op: Literal["onehot"]
    column: str
    categories: list[Scalar] = Field(min_length=1)

    def names(self) -> list[str]:
        return [f"{self.column}={cat}" for cat in self.categories]

    def output_schema(self, inputs: Schema, ctx: StepContext) -> Schema:
        _require(inputs, [self.column], ctx, "onehot names an unknown column", "onehot")
        kept = tuple(c for c in inputs if c.name != self.column)
        return _unique(kept + tuple(Column(n, "float") for n in self.names()), ctx)

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        values = df[self.column].to_numpy()
        out = df.drop(columns=[self.column])
        for name, cat in zip(self.names(), self.categories, strict=True):
            out[name] = (values == cat).astype(np.float64)
        return out


class ArithOp(_Op):
    """Compute a float column ``name`` from a safe arithmetic ``expr``."""

    op: Literal["arith"]
    name: str = Field(min_length=1)
    expr: str = Field(min_length=1)
    _tree: ast.Expression = PrivateAttr()

    @field_validator("expr")
    @classmethod
    def _parses(cls, value: str) -> str:
        ARITH.parse(value)
        return value

    def model_post_init(self, context: Any, /) -> None:
        self._tree = ARITH.parse(self.expr)

    def output_schema(self, inputs: Schema, ctx: StepContext) -> Schema:
        used = names(self._tree)
        what = f"expression {self.expr!r} uses unknown columns"
        _require(inputs, used, ctx, what, "arith")
        for column in inputs:
            if column.name in used and column.dtype not in _NUMERIC:
                problem = ctx.problem(
                    "dtype_mismatch",
                    variant="expression",
                    via=column.name,
                    feature=None,
                    column=column.name,
                    expected="numeric",
                    actual=column.dtype,
                )
                raise StepSchemaError([problem])
        result = Column(self.name, "float")
        if any(c.name == self.name for c in inputs):
            return tuple(result if c.name == self.name else c for c in inputs)
        return (*inputs, result)

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        values = {n: df[n].to_numpy(dtype=np.float64) for n in names(self._tree)}
        result = ARITH.evaluate(self._tree, values)
        out = df.copy(deep=False)
        out[self.name] = np.broadcast_to(np.asarray(result, dtype=np.float64), len(df))
        return out


Op = Annotated[
    SelectOp | RenameOp | DropOp | CastOp | FillOp | OneHotOp | ArithOp,
    Field(discriminator="op"),
]


class Params(BaseModel):
    """``{"ops": [{"op": ...}, ...]}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ops: list[Op] = Field(default_factory=list)


def output_schema(params: Params, inputs: Schema, ctx: StepContext) -> Schema:
    """Apply each op's schema rule in order."""
    schema = inputs
    for op in params.ops:
        schema = op.output_schema(schema, ctx)
    return schema


def run(table: pd.DataFrame, params: Params, ctx: StepContext) -> pd.DataFrame:
    """Apply the ops in order.

    Raises
    ------
    StepError
        Naming the op that failed (e.g. a cast of ``"abc"`` to float).
    """
    for number, op in enumerate(params.ops, start=1):
        try:
            table = op.apply(table)
        except (KeyError, ValueError, TypeError) as exc:
            raise StepError(
                ctx.node_id, f"op {number} ({op.op}) failed: {exc}"
            ) from exc
    return table
