"""Labelled evaluation: a finished run's node outputs scored against the target.

Runs in a worker after the last node (``runner.run_evaluate``). Memory stays
bounded by reading from the Parquet files only the target column and, per
node, only the columns scored (one node at a time), never a whole table.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd
from django.core.files.storage import default_storage
from sklearn.metrics import confusion_matrix

from catena.metrics import Scored, evaluate, scoreable, task_of
from catena.schema import dtype_of_numpy
from runner.models import Artifact, NodeResult, Run

logger = logging.getLogger(__name__)

#: The predicted-vs-actual chart shows at most this many rows (evenly spaced).
SCATTER_POINTS = 300
#: A confusion matrix is drawn for at most this many classes.
CONFUSION_CLASSES = 20
NOT_SCORED = ("input",)
#: Steps that pass columns on (select, rename): a column of theirs named as the
#: target is the target itself, and would score perfectly.
PASSING_ON = ("transform",)


def run_evaluate(*, run_id: int) -> dict[str, Any]:
    """Score every scoreable node output of a succeeded run; store and return it."""
    run = Run.objects.select_related("input").get(id=run_id)
    if not run.target or run.status != Run.Status.SUCCEEDED:
        return dict(run.evaluation)
    try:
        found = _evaluation(run)
    except Exception as exc:  # noqa: BLE001 - a broken file must not lose the run
        logger.exception("run %d: evaluation failed", run_id)
        found = {"status": "failed", "target": run.target, "error": str(exc)}
    Run.objects.filter(id=run_id).update(evaluation=found)
    return found


def _evaluation(run: Run) -> dict[str, Any]:
    target = columns_read(run.input, [run.target])[run.target]
    task = task_of(dtype_of_numpy(target.dtype))
    scored_nodes: list[dict[str, Any]] = []
    chart: dict[str, Any] | None = None
    for result in _finished(run):
        scored = _node_scored(result, target, task, run.target)
        if scored is None:
            continue
        is_output = result.kind == "output"
        scored_nodes.append(_row(result, scored, is_output))
        if chart is None or is_output:
            chart = chart_data(task, scored, result.node_id)
    return {
        "status": "done",
        "target": run.target,
        "task": task,
        "rows": int(target.notna().sum()),
        "nodes": scored_nodes,
        "chart": chart,
        "error": "",
    }


def _finished(run: Run) -> list[NodeResult]:
    return list(
        run.nodes.filter(status__in=NodeResult.DONE, artifact__isnull=False)
        .exclude(kind__in=NOT_SCORED)
        .select_related("artifact")
        .order_by("position")
    )


def _node_scored(
    result: NodeResult, target: pd.Series, task: Any, target_name: str
) -> Scored | None:
    artifact = result.artifact
    if artifact is None:
        return None
    schema = [(str(name), str(dtype)) for name, dtype in artifact.schema]
    columns = scoreable(task, schema)
    passed_on = result.kind in PASSING_ON and columns == [target_name]
    if columns is None or passed_on:
        return None
    return evaluate(target, columns_read(artifact, columns))


def _row(result: NodeResult, scored: Scored, is_output: bool) -> dict[str, Any]:
    return {
        "node": result.node_id,
        "kind": result.kind,
        "output": is_output,
        "rows": len(scored.actual),
        "metrics": scored.metrics,
    }


def columns_read(artifact: Artifact, columns: list[str]) -> pd.DataFrame:
    """Only ``columns`` of a stored table (and its row ids)."""
    with default_storage.open(artifact.path, "rb") as handle:
        return pd.read_parquet(handle, engine="pyarrow", columns=columns)


def chart_data(task: str, scored: Scored, node_id: str) -> dict[str, Any] | None:
    """Predicted vs actual (a sample of rows) or a confusion matrix, as data."""
    if task == "regression":
        step = max(1, math.ceil(len(scored.actual) / SCATTER_POINTS))
        actual = scored.actual.to_numpy(dtype="float64")[::step]
        predicted = scored.predicted.to_numpy(dtype="float64")[::step]
        points = np.column_stack([actual, predicted]).round(6).tolist()
        return {"node": node_id, "kind": "scatter", "points": points}
    labels = sorted(set(scored.actual) | set(scored.predicted))
    if len(labels) > CONFUSION_CLASSES:
        return None
    matrix = confusion_matrix(scored.actual, scored.predicted, labels=labels)
    return {
        "node": node_id,
        "kind": "confusion",
        "labels": labels,
        "matrix": matrix.tolist(),
    }
