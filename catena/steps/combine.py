"""The combine step: fan-in without a trained meta-model.

``mean``, ``weighted_mean`` and ``vote`` reduce every incoming column (the joined
table, see :mod:`catena.fanin`) to one column ``name``; ``concat`` passes the
joined table through. ``weighted_mean`` uses only the columns given ``weights``.
``vote`` takes the most frequent value of each row; ties go to the value found
in the earliest column.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from catena.errors import StepSchemaError
from catena.frames import from_array
from catena.problems import Problem
from catena.schema import Column, Schema
from catena.steps.context import StepContext

#: Bump when a change to this module can change an output: old outputs are
#: then computed again instead of reused (the version is in every cache key).
CODE_VERSION = 1
TITLE = "Combine"
DESCRIPTION = "Mean, weighted mean, majority vote or concat of the incoming columns."

_NUMERIC = ("bool", "int", "float")


class Params(BaseModel):
    """``{"method", "weights", "name"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["mean", "weighted_mean", "vote", "concat"] = "mean"
    weights: dict[str, float] | None = None
    name: str = Field(default="combined", min_length=1)

    @model_validator(mode="after")
    def _weights_fit_method(self) -> Params:
        if self.method == "weighted_mean" and not self.weights:
            raise ValueError("weighted_mean needs weights {column: weight}")
        if self.method != "weighted_mean" and self.weights:
            raise ValueError("weights are used only by weighted_mean")
        if self.weights and sum(self.weights.values()) == 0:
            raise ValueError("the weights sum to zero")
        return self


def output_schema(params: Params, inputs: Schema, ctx: StepContext) -> Schema:
    """Return the joined schema (concat) or one column ``name``."""
    if params.method == "concat":
        return inputs
    used = _used(params, inputs, ctx)
    if params.method == "vote":
        return (Column(params.name, _vote_dtype(used, ctx)),)
    _numeric(used, ctx)
    return (Column(params.name, "float"),)


def _used(params: Params, inputs: Schema, ctx: StepContext) -> Schema:
    if not inputs:
        problem = ctx.problem(
            "missing_columns", variant="empty", columns=[], used_by="input"
        )
        raise StepSchemaError([problem])
    if params.weights is None:
        return inputs
    present = {c.name: c for c in inputs}
    missing = [n for n in params.weights if n not in present]
    if missing:
        raise ctx.missing("weights name unknown columns", missing, used_by="weights")
    return tuple(present[n] for n in params.weights)


def _numeric(used: Schema, ctx: StepContext) -> None:
    problems: list[Problem] = [
        ctx.problem(
            "dtype_mismatch",
            variant="average",
            via=c.name,
            feature=None,
            column=c.name,
            expected="numeric",
            actual=c.dtype,
        )
        for c in used
        if c.dtype not in _NUMERIC
    ]
    if problems:
        raise StepSchemaError(problems)


def _vote_dtype(used: Schema, ctx: StepContext) -> Any:
    dtypes = {c.dtype for c in used}
    if len(dtypes) > 1:
        problem = ctx.input_problem(
            "dtype_mismatch",
            variant="vote",
            feature=None,
            column=None,
            expected="one dtype",
            actual=sorted(dtypes),
        )
        raise StepSchemaError([problem])
    return used[0].dtype


def run(table: pd.DataFrame, params: Params, ctx: StepContext) -> pd.DataFrame:
    """Reduce the joined table to one column, or pass it through."""
    if params.method == "concat":
        return table
    if params.method == "vote":
        result = _vote(table.to_numpy())
    elif params.weights:
        weights = np.array(list(params.weights.values()), dtype=np.float64)
        values = table[list(params.weights)].to_numpy(dtype=np.float64)
        result = values @ weights / weights.sum()
    else:
        result = table.to_numpy(dtype=np.float64).mean(axis=1)
    return from_array(np.asarray(result), table.index, [params.name])


def _vote(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    # counts[i, j] = how many columns of row i equal the value in column j;
    # argmax picks the first column among the most frequent values.
    counts = (values[:, :, None] == values[:, None, :]).sum(axis=2)
    winners = counts.argmax(axis=1)
    chosen: np.ndarray[Any, Any] = values[np.arange(len(values)), winners]
    return chosen
