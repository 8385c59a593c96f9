"""The what-if parts' table work: rows repeated once per candidate, and back.

Not a step kind. :mod:`catena.steps.whatif` (a model predicts) and
:mod:`catena.steps.whatif_chain` (a saved chain predicts) differ only in what
they call; both repeat the rows, set the decision column to the candidates,
and fold the predictions back into ``candidate_*`` and ``prediction_*``
columns with these functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from catena import frames
from catena.errors import StepError
from catena.problems import Problem
from catena.steps.context import StepContext
from catena.steps.grid import (
    MAX_CELLS,
    Candidates,
    candidate_names,
    prediction_names,
)


def too_large(ctx: StepContext, rows: int | None, count: int) -> Problem:
    """The ``grid_too_large`` problem (``rows`` None: not known yet)."""
    return ctx.problem(
        "grid_too_large",
        rows=rows,
        candidates=count,
        limit=MAX_CELLS,
        extra={"rows_text": "1" if rows is None else str(rows)},
    )


def rows_problem(candidates: Candidates, rows: int, ctx: StepContext) -> Problem | None:
    """A ``grid_too_large`` problem when ``rows`` x candidates exceed the limit."""
    count = candidates.count
    return too_large(ctx, rows, count) if rows * count > MAX_CELLS else None


def require_decision(decision: str, columns: list[str], ctx: StepContext) -> None:
    """Raise ``missing_columns`` when the decision column does not arrive."""
    if decision not in columns:
        raise ctx.missing(
            "the decision column is missing", [decision], used_by="decision"
        )


def repeated_rows(
    table: pd.DataFrame,
    decision: str,
    candidates: Candidates,
    features: list[str],
    sources: list[str],
    ctx: StepContext,
) -> tuple[np.ndarray, pd.DataFrame]:
    """The candidate grid (rows x count) and the predictor's input frame.

    The frame has one column per feature, taken from its source column, each
    row repeated once per candidate, and the feature fed by ``decision`` set to
    the candidates.

    Raises
    ------
    StepError
        When rows x candidates exceed :data:`~catena.steps.grid.MAX_CELLS`.
    """
    rows, count = len(table), candidates.count
    if rows * count > MAX_CELLS:
        raise StepError(ctx.node_id, too_large(ctx, rows, count).message)
    grid = candidates.grid(table[decision].to_numpy(dtype=np.float64))
    at = np.repeat(np.arange(rows), count)
    repeated = pd.DataFrame(
        {
            feature: table[source].to_numpy()[at]
            for feature, source in zip(features, sources, strict=True)
        },
        index=pd.RangeIndex(rows * count),
    )
    for feature, source in zip(features, sources, strict=True):
        if source == decision:
            repeated[feature] = grid.reshape(-1)
    return grid, repeated


def folded(
    grid: np.ndarray, predictions: np.ndarray, index: pd.Index, ctx: StepContext
) -> pd.DataFrame:
    """``candidate_0..k-1`` then ``prediction_0..k-1``, one row per input row.

    Raises
    ------
    StepError
        When the predictor did not return one value per row and candidate.
    """
    rows, count = grid.shape
    if predictions.size != rows * count:
        message = f"predictor returned {predictions.size} values, expected {grid.size}"
        raise StepError(ctx.node_id, message)
    values = np.hstack([grid, predictions.reshape(rows, count)])
    names = [*candidate_names(count), *prediction_names(count)]
    return frames.from_array(values, index, names)
