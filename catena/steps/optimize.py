"""The optimize step: for each row, the decision value that maximises an objective.

One node on the canvas, two stored nodes when loaded (see :func:`parts`): the
*what-if* part ``<id>.whatif`` (:mod:`catena.steps.whatif`) predicts every row
at every candidate; this node, the *choose* part, evaluates the objective on
those predictions, drops candidates outside the row's bounds and takes the
best. Its input is its parents' columns followed by the what-if columns (the
what-if node is its last parent), so changing only the objective, goal or
bounds recomputes this cheap part and reuses the stored predictions.

In the objective, the decision column's name and ``candidate`` stand for the
candidate value, ``prediction`` for the predictor's output there, and every
other name for the row's column. Output per row: ``best_<decision>``,
``best_objective``, ``best_prediction`` (NaN when no candidate is within the
bounds), and with ``curve`` the whole curve as ``curve_<decision>_<i>`` and
``curve_objective_<i>`` columns.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from catena import frames
from catena.errors import StepError, StepSchemaError
from catena.expression import OBJECTIVE
from catena.expression import names as expression_names
from catena.problems import Problem
from catena.schema import Column, Schema
from catena.steps.context import StepContext
from catena.steps.grid import Candidates, ChainPredictor, Predictor

CODE_VERSION = 1
TITLE = "Optimize"
DESCRIPTION = (
    "For each row, the decision value (e.g. price) that maximises an objective "
    "over a predictor's output."
)
#: The names the objective may use besides the row's columns.
RESERVED = ("candidate", "prediction")
_NUMERIC = ("float", "int", "bool")


class Bounds(BaseModel):
    """Per-row limits on the decision: columns holding the lowest and highest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lower: str | None = Field(default=None, min_length=1)
    upper: str | None = Field(default=None, min_length=1)


class Params(BaseModel):
    """``{"predictor", "decision", "candidates", "objective", "goal", "bounds",
    "curve"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    predictor: Predictor
    decision: str = Field(min_length=1, max_length=200)
    candidates: Candidates
    objective: str = Field(min_length=1)
    goal: Literal["maximize", "minimize"] = "maximize"
    bounds: Bounds | None = None
    curve: bool = False
    _tree: ast.Expression = PrivateAttr()

    @field_validator("objective")
    @classmethod
    def _parses(cls, value: str) -> str:
        OBJECTIVE.parse(value)
        return value

    def model_post_init(self, context: Any, /) -> None:
        self._tree = OBJECTIVE.parse(self.objective)


def parts(params: Params) -> list[tuple[str, str, dict[str, Any]]]:
    """The internal nodes this node expands to: ``(suffix, kind, params)``."""
    whatif = {
        **params.predictor.model_dump(exclude_none=True),
        "decision": params.decision,
        "candidates": params.candidates.model_dump(exclude_none=True),
    }
    kind = "optimize.whatifchain"
    if not isinstance(params.predictor, ChainPredictor):
        kind = "optimize.whatif"
    return [("whatif", kind, whatif)]


def output_schema(params: Params, inputs: Schema, ctx: StepContext) -> Schema:
    """Check the objective's names and the bounds against the row's columns.

    Raises
    ------
    StepSchemaError
        ``missing_columns`` (objective or bounds), ``dtype_mismatch`` or
        ``bad_bounds``.
    """
    row = _row_columns(inputs, params.candidates.count)
    dtypes = {c.name: c.dtype for c in row}
    names = [n for n in expression_names(params._tree) if n not in _own(params)]
    missing = [n for n in names if n not in dtypes]
    if missing:
        what = f"the objective {params.objective!r} uses unknown columns"
        raise ctx.missing(what, missing, used_by="objective")
    problems = [_numeric(ctx, n, dtypes[n], "expression") for n in names]
    problems += _bounds_problems(params, dtypes, ctx)
    found = [p for p in problems if p is not None]
    if found:
        raise StepSchemaError(found)
    return tuple(Column(name, "float") for name in _output_names(params))


def _own(params: Params) -> set[str]:
    return {params.decision, *RESERVED}


def _row_columns(inputs: Schema, count: int) -> Schema:
    return inputs[: len(inputs) - 2 * count]


def _numeric(ctx: StepContext, name: str, dtype: str, variant: str) -> Problem | None:
    if dtype in _NUMERIC:
        return None
    return ctx.problem(
        "dtype_mismatch",
        variant=variant,
        via=name,
        feature=None,
        column=name,
        expected="numeric",
        actual=dtype,
    )


def _bounds_problems(
    params: Params, dtypes: Mapping[str, str], ctx: StepContext
) -> list[Problem | None]:
    bounds = params.bounds
    if bounds is None:
        return []
    named = [c for c in (bounds.lower, bounds.upper) if c is not None]
    if not named or bounds.lower == bounds.upper or params.decision in named:
        return [ctx.problem("bad_bounds", lower=bounds.lower, upper=bounds.upper)]
    missing = [c for c in named if c not in dtypes]
    if missing:
        raise ctx.missing("the bounds name unknown columns", missing, used_by="bounds")
    return [_numeric(ctx, c, dtypes[c], "bounds") for c in named]


def _output_names(params: Params) -> list[str]:
    best = [f"best_{params.decision}", "best_objective", "best_prediction"]
    if not params.curve:
        return best
    count = params.candidates.count
    xs = [f"curve_{params.decision}_{i}" for i in range(count)]
    return best + xs + [f"curve_objective_{i}" for i in range(count)]


def run(table: pd.DataFrame, params: Params, ctx: StepContext) -> pd.DataFrame:
    """Evaluate the objective at every candidate and keep each row's best.

    Raises
    ------
    StepError
        When the input lacks the what-if columns or a column the objective uses.
    """
    count = params.candidates.count
    if table.shape[1] < 2 * count:
        raise StepError(ctx.node_id, "the what-if predictions are missing")
    whatif = table.iloc[:, table.shape[1] - 2 * count :].to_numpy(dtype=np.float64)
    grid, predictions = whatif[:, :count], whatif[:, count:]
    values = _values(table, params, grid, predictions, ctx)
    scores = np.broadcast_to(
        np.asarray(OBJECTIVE.evaluate(params._tree, values), dtype=np.float64),
        grid.shape,
    )
    best = _best(scores, _allowed(table, params, grid), params.goal)
    at = (np.arange(len(table)), np.maximum(best, 0))
    chosen = [grid[at], scores[at], predictions[at]]
    columns = np.column_stack([np.where(best >= 0, c, np.nan) for c in chosen])
    if params.curve:
        columns = np.hstack([columns, grid, scores])
    return frames.from_array(columns, table.index, _output_names(params))


def _values(
    table: pd.DataFrame,
    params: Params,
    grid: np.ndarray,
    predictions: np.ndarray,
    ctx: StepContext,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in expression_names(params._tree):
        if name in _own(params):
            values[name] = predictions if name == "prediction" else grid
        elif name in table.columns:
            values[name] = table[name].to_numpy(dtype=np.float64)[:, None]
        else:
            raise StepError(ctx.node_id, f"the objective uses unknown column {name!r}")
    return values


def _allowed(table: pd.DataFrame, params: Params, grid: np.ndarray) -> np.ndarray:
    """Candidates within each row's bounds (a missing bound does not limit)."""
    allowed = np.ones(grid.shape, dtype=bool)
    if params.bounds is None:
        return allowed
    for column, keep in (
        (params.bounds.lower, np.greater_equal),
        (params.bounds.upper, np.less_equal),
    ):
        if column is not None:
            limit = table[column].to_numpy(dtype=np.float64)[:, None]
            allowed &= keep(grid, limit) | np.isnan(limit)
    return allowed


def _best(scores: np.ndarray, allowed: np.ndarray, goal: str) -> np.ndarray:
    """Each row's best candidate index, or -1 when none is allowed and finite.

    NaN scores never win; ties go to the first (lowest-index) candidate.
    """
    usable = allowed & ~np.isnan(scores)
    worst = -np.inf if goal == "maximize" else np.inf
    masked = np.where(usable, scores, worst)
    best = masked.argmax(axis=1) if goal == "maximize" else masked.argmin(axis=1)
    # When every allowed score is the worst value itself (-inf when maximising),
    # argmax may land on a refused candidate: take the first allowed one.
    landed = usable[np.arange(len(best)), best]
    best = np.where(landed, best, usable.argmax(axis=1))
    return np.where(usable.any(axis=1), best, -1)
