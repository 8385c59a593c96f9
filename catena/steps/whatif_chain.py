"""The optimize step's *what-if* part when its predictor is a saved chain.

An internal kind, made by :func:`catena.steps.optimize.parts` as node
``<id>.whatif`` when the predictor is ``{"chain", "version"}``. Validation
resolves it like a chain step (its params are a chain step's, so unknown
chains, cycles and depth are the chain step's problems) and hands it the
:class:`~catena.chains.ChainInfo`. To run, the rows are repeated once per
candidate, the decision column set to the candidate, and the saved chain's
graph run once on all of them in this process with the models validation
resolved (the executor hands the step ``ctx.run_chain``). Its key holds the
chain version's hash and those models' sha256 (``CHAIN_IN_KEY``), so a moved
``@live`` recomputes.
Output: ``candidate_0..k-1`` then ``prediction_0..k-1``, as the model what-if.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field

from catena.errors import CatenaError, StepError, StepSchemaError
from catena.problems import Problem
from catena.schema import Column, Schema
from catena.steps import repeat
from catena.steps.context import StepContext
from catena.steps.grid import (
    Candidates,
    ChainPredictor,
    candidate_names,
    prediction_names,
)
from catena.steps.model import check_dtypes, plan

if TYPE_CHECKING:
    from catena.chains import ChainInfo

CODE_VERSION = 1
TITLE = "What-if over a saved chain (part of optimize)"
DESCRIPTION = "Every row x every candidate decision value through a saved chain."
INTERNAL = True
#: The chain version's hash (``CHAIN_IN_KEY``) stands for name and version.
KEY_EXCLUDE = ("chain", "version", "drawn")
CHAIN_IN_KEY = True
_NUMERIC = ("float", "int", "bool")


class Params(ChainPredictor):
    """The chain predictor's fields, the decision column and the candidates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: str = Field(min_length=1, max_length=200)
    candidates: Candidates


def rows_problem(params: Params, rows: int, ctx: StepContext) -> Problem | None:
    """A ``grid_too_large`` problem when ``rows`` x candidates exceed the limit."""
    return repeat.rows_problem(params.candidates, rows, ctx)


def output_schema(params: Params, inputs: Schema, ctx: StepContext) -> Schema:
    """Check the chain's inputs upstream, its one numeric output and the decision.

    Raises
    ------
    StepSchemaError
        The chain step's problems, ``missing_columns`` (decision),
        ``dtype_mismatch`` or ``bad_predictor``.
    """
    info = _info(ctx)
    dtypes = {c.name: c.dtype for c in inputs}
    repeat.require_decision(params.decision, list(dtypes), ctx)
    sources = plan(info.inputs, list(dtypes), params.columns, ctx)
    check_dtypes(info.inputs, sources, inputs, ctx)
    outputs = info.outputs
    variant = ""
    if len(outputs) == 1 and outputs[0].dtype in _NUMERIC:
        variant = "decision"
        if params.decision in sources and dtypes[params.decision] in _NUMERIC:
            count = params.candidates.count
            floats = [*candidate_names(count), *prediction_names(count)]
            return tuple(Column(name, "float") for name in floats)
    problem = ctx.problem(
        "bad_predictor",
        variant=variant,
        model=info.chain.name,
        method="chain",
        outputs=[c.name for c in outputs],
        decision=params.decision,
    )
    raise StepSchemaError([problem])


def _info(ctx: StepContext) -> ChainInfo:
    if ctx.chain is None:
        raise StepError(ctx.node_id, "no chain was resolved for the predictor")
    return ctx.chain


def run(table: pd.DataFrame, params: Params, ctx: StepContext) -> pd.DataFrame:
    """Predict every row at every candidate in one run of the saved chain.

    Raises
    ------
    StepError
        When rows x candidates exceed :data:`~catena.steps.grid.MAX_CELLS`,
        features are missing
        or the chain fails.
    """
    info = _info(ctx)
    try:
        sources = plan(info.inputs, table.columns.tolist(), params.columns, ctx)
    except StepSchemaError as exc:
        raise StepError(ctx.node_id, str(exc)) from exc
    features = [c.name for c in info.inputs]
    grid, repeated = repeat.repeated_rows(
        table, params.decision, params.candidates, features, sources, ctx
    )
    if ctx.run_chain is None:
        raise StepError(ctx.node_id, "the predictor chain cannot run here")
    try:
        output = ctx.run_chain(repeated)
    except CatenaError as exc:
        message = f"predictor chain {info.chain.name!r} v{info.chain.version}: {exc}"
        raise StepError(ctx.node_id, message) from exc
    predictions = output.iloc[:, 0].to_numpy(dtype=np.float64)
    return repeat.folded(grid, predictions, table.index, ctx)
