"""The optimize step's *what-if* part: every row x every candidate, predicted.

An internal kind: never written in a document, made by
:func:`catena.steps.optimize.parts` as node ``<id>.whatif``. Its params hold
only what the predictions depend on (predictor, decision column, candidates),
so its cache key stays the same when the objective or bounds change and its
stored output is reused. The rows are repeated once per candidate, the
decision column set to the candidate, and the predictor called once on all of
them. Output: ``candidate_0..k-1`` then ``prediction_0..k-1`` (floats).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field

from catena.errors import CatenaError, StepError, StepSchemaError
from catena.problems import Problem
from catena.resolving import ResolvedModel
from catena.schema import Column, Schema
from catena.steps import model as model_step
from catena.steps import repeat
from catena.steps.context import StepContext
from catena.steps.grid import (
    Candidates,
    ModelPredictor,
    candidate_names,
    prediction_names,
)

CODE_VERSION = 1
TITLE = "What-if (part of optimize)"
DESCRIPTION = "Every row x every candidate decision value through the predictor."
INTERNAL = True
#: The model's sha256 stands for name and version in cache keys.
KEY_EXCLUDE = ("model", "version")
_NUMERIC = ("float", "int", "bool")


class Params(ModelPredictor):
    """The predictor's fields, the decision column and the candidates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: str = Field(min_length=1, max_length=200)
    candidates: Candidates


def model_ref(params: Params) -> tuple[str, int | str]:
    """The registry reference this part resolves."""
    return params.model, params.version


def _as_model(params: Params) -> model_step.Params:
    return model_step.Params(
        model=params.model,
        version=params.version,
        method=params.method,
        columns=params.columns,
    )


def output_schema(params: Params, inputs: Schema, ctx: StepContext) -> Schema:
    """Check the predictor on the input and the decision column it varies.

    Raises
    ------
    StepSchemaError
        The model step's problems, ``missing_columns`` (decision),
        ``dtype_mismatch`` or ``bad_predictor`` (``grid_too_large`` needs the
        row count: see :func:`rows_problem`).
    """
    count = params.candidates.count
    dtypes = {c.name: c.dtype for c in inputs}
    repeat.require_decision(params.decision, list(dtypes), ctx)
    if dtypes[params.decision] not in _NUMERIC:
        raise StepSchemaError(
            [
                ctx.problem(
                    "dtype_mismatch",
                    variant="decision",
                    via=params.decision,
                    feature=None,
                    column=params.decision,
                    expected="numeric",
                    actual=dtypes[params.decision],
                )
            ]
        )
    outputs = model_step.output_schema(_as_model(params), inputs, ctx)
    model = _model(ctx)
    _check_predictor(params, outputs, model, [c.name for c in inputs], ctx)
    floats = [*candidate_names(count), *prediction_names(count)]
    return tuple(Column(name, "float") for name in floats)


def _check_predictor(
    params: Params,
    outputs: Schema,
    model: ResolvedModel,
    available: list[str],
    ctx: StepContext,
) -> None:
    if len(outputs) != 1 or outputs[0].dtype not in _NUMERIC:
        raise StepSchemaError(
            [
                ctx.problem(
                    "bad_predictor",
                    model=model.name,
                    method=params.method,
                    outputs=[c.name for c in outputs],
                    decision=params.decision,
                )
            ]
        )
    sources = model_step.plan(model.signature.inputs, available, params.columns, ctx)
    if params.decision not in sources:
        raise StepSchemaError(
            [
                ctx.problem(
                    "bad_predictor",
                    variant="decision",
                    model=model.name,
                    method=params.method,
                    outputs=[c.name for c in outputs],
                    decision=params.decision,
                )
            ]
        )


def rows_problem(params: Params, rows: int, ctx: StepContext) -> Problem | None:
    """A ``grid_too_large`` problem when ``rows`` x candidates exceed the limit."""
    return repeat.rows_problem(params.candidates, rows, ctx)


def _model(ctx: StepContext) -> ResolvedModel:
    if ctx.model is None:
        raise StepError(ctx.node_id, "no model was resolved for the predictor")
    return ctx.model


def run(table: pd.DataFrame, params: Params, ctx: StepContext) -> pd.DataFrame:
    """Predict every row at every candidate in one call of the predictor.

    Raises
    ------
    StepError
        When rows x candidates exceed :data:`~catena.steps.grid.MAX_CELLS`,
        features are missing
        or the predictor fails.
    """
    model = _model(ctx)
    try:
        sources = model_step.plan(
            model.signature.inputs, table.columns.tolist(), params.columns, ctx
        )
    except StepSchemaError as exc:
        raise StepError(ctx.node_id, str(exc)) from exc
    features = [c.name for c in model.signature.inputs]
    grid, repeated = repeat.repeated_rows(
        table, params.decision, params.candidates, features, sources, ctx
    )
    predictions = _predict(model, ctx, params.method, repeated)
    return repeat.folded(grid, predictions, table.index, ctx)


def _predict(
    model: ResolvedModel, ctx: StepContext, method: str, frame: pd.DataFrame
) -> np.ndarray:
    loaded = ctx.loaded if ctx.loaded is not None else model.load()
    try:
        result = np.asarray(loaded.call(method, frame), dtype=np.float64)
    except CatenaError:
        raise
    except Exception as exc:
        message = f"predictor {model.name!r} v{model.version} {method} failed: {exc}"
        raise StepError(ctx.node_id, message) from exc
    return result.reshape(-1)
