"""Scoring a node's output against a labelled data set's target column.

The task follows the target's dtype: a ``float`` target is a regression, an
``int``, ``bool`` or ``str`` target a classification. A node's output is
*scoreable* when its columns (read from its schema, before any row is read) are:

- regression: exactly one numeric column (a ``predict``, a combine's mean);
- classification: exactly one column, taken as the predicted labels (a
  ``predict``, a majority vote), or only ``proba_<class>`` columns, two or
  more (a ``predict_proba``): the labels are the most probable class, and log
  loss and ROC AUC are computed from the probabilities.

Anything else (an encoder's many columns, a score per class) is not scored.
Rows are matched on the row id (the index); rows whose target or prediction is
missing are left out. Labels are compared as text, so ``proba_1`` names the
class ``1`` of an integer target and a float ``1.0`` label equals ``1``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from catena.schema import dtype_of_numpy

Task = Literal["regression", "classification"]
PROBA = "proba_"
#: A classification with more classes than this is not scored (the confusion
#: matrix and per-class probabilities would be unbounded).
MAX_CLASSES = 50

REGRESSION_METRICS = ("mae", "rmse", "r2")
CLASSIFICATION_METRICS = ("accuracy", "f1_macro", "log_loss", "roc_auc")
#: Errors and losses: the smaller the better. Every other metric (R², accuracy,
#: F1, ROC AUC) grows with quality.
LOWER_IS_BETTER = frozenset({"mae", "rmse", "log_loss"})
#: How a metric is named to people.
METRIC_TITLES = {
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R²",
    "accuracy": "accuracy",
    "f1_macro": "F1 (macro)",
    "log_loss": "log loss",
    "roc_auc": "ROC AUC",
}


def lower_is_better(name: str) -> bool:
    """Whether a smaller value of the metric ``name`` is the better one.

    >>> lower_is_better("rmse"), lower_is_better("r2")
    (True, False)
    """
    return name in LOWER_IS_BETTER


def best_first(name: str, value: float) -> float:
    """A sort key putting the best value of the metric ``name`` first.

    >>> sorted([0.2, 0.9, 0.5], key=lambda v: best_first("accuracy", v))
    [0.9, 0.5, 0.2]
    """
    return value if lower_is_better(name) else -value


@dataclass(frozen=True, slots=True)
class Scored:
    """One output scored against the target.

    Attributes
    ----------
    metrics : dict of str to float
        By name, in the order of :data:`REGRESSION_METRICS` or
        :data:`CLASSIFICATION_METRICS` (a metric that cannot be computed is
        absent).
    actual, predicted : pandas.Series
        The rows scored, aligned (labels as text for a classification).
    """

    metrics: dict[str, float]
    actual: pd.Series
    predicted: pd.Series


def task_of(dtype: str) -> Task:
    """Return the task a target of this Catena dtype asks for.

    Examples
    --------
    >>> task_of("float"), task_of("int")
    ('regression', 'classification')
    """
    return "regression" if dtype == "float" else "classification"


def scoreable(task: Task, schema: Sequence[tuple[str, str]]) -> list[str] | None:
    """Return the output columns to read to score it, or None when it cannot be.

    Parameters
    ----------
    task : {"regression", "classification"}
    schema : sequence of (name, dtype)
        The output's columns, as stored.

    Examples
    --------
    >>> scoreable("regression", [("prediction", "float")])
    ['prediction']
    >>> scoreable("classification", [("proba_a", "float"), ("proba_b", "float")])
    ['proba_a', 'proba_b']
    >>> scoreable("regression", [("a", "float"), ("b", "float")]) is None
    True
    """
    names = [name for name, _ in schema]
    if task == "regression":
        numeric = [n for n, d in schema if d in ("float", "int")]
        return numeric if len(numeric) == 1 and len(schema) == 1 else None
    if len(names) == 1:
        return names
    probas = all(n.startswith(PROBA) and d == "float" for n, d in schema)
    if probas and 2 <= len(names) <= MAX_CLASSES:
        return names
    return None


def score(target: pd.Series, output: pd.DataFrame) -> dict[str, float] | None:
    """Return the metrics of ``output`` against ``target``, or None if unscoreable.

    Parameters
    ----------
    target : pandas.Series
        The target column, indexed by row id.
    output : pandas.DataFrame
        A node's output, indexed by the row ids it came from.

    Examples
    --------
    >>> t = pd.Series([1.0, 2.0, 3.0])
    >>> score(t, pd.DataFrame({"prediction": [1.0, 2.0, 4.0]}))["mae"]
    0.3333333333333333
    """
    scored = evaluate(target, output)
    return scored.metrics if scored is not None else None


def evaluate(target: pd.Series, output: pd.DataFrame) -> Scored | None:
    """Score ``output`` against ``target`` (see :func:`score`), keeping the rows.

    Examples
    --------
    >>> t = pd.Series(["a", "b", "b"])
    >>> evaluate(t, pd.DataFrame({"label": ["a", "b", "a"]})).metrics["accuracy"]
    0.6666666666666666
    """
    task = task_of(dtype_of_numpy(target.dtype))
    schema = [(str(c), dtype_of_numpy(d)) for c, d in output.dtypes.items()]
    columns = scoreable(task, schema)
    if columns is None:
        return None
    joined = output[columns].join(target.rename("__target__"), how="inner")
    joined = joined.dropna()
    if joined.empty:
        return None
    actual = joined.pop("__target__")
    if task == "regression":
        return _regression(actual, joined[columns[0]])
    return _classification(actual, joined)


def _regression(actual: pd.Series, predicted: pd.Series) -> Scored:
    y, p = actual.to_numpy(dtype="float64"), predicted.to_numpy(dtype="float64")
    found = {
        "mae": skm.mean_absolute_error(y, p),
        "rmse": math.sqrt(skm.mean_squared_error(y, p)),
        "r2": skm.r2_score(y, p) if len(y) > 1 else math.nan,
    }
    return Scored(_finite(found), actual, predicted.astype("float64"))


def labels_of(values: pd.Series) -> pd.Series:
    """Return labels as text: integral floats as integers (``1.0`` is ``"1"``).

    Examples
    --------
    >>> labels_of(pd.Series([1.0, 0.0])).tolist()
    ['1', '0']
    """
    if pd.api.types.is_float_dtype(values.dtype):
        floats = values.to_numpy(dtype="float64")
        if np.all(np.mod(floats, 1.0) == 0.0):
            return pd.Series(floats.astype("int64"), index=values.index).astype(str)
    return values.astype(str)


def _classification(actual: pd.Series, output: pd.DataFrame) -> Scored | None:
    y = labels_of(actual)
    if output.shape[1] == 1:
        predicted = labels_of(output.iloc[:, 0])
        return Scored(_label_metrics(y, predicted), y, predicted)
    classes = [str(c)[len(PROBA) :] for c in output.columns]
    probabilities = output.to_numpy(dtype="float64")
    predicted = pd.Series(
        np.asarray(classes, dtype=object)[probabilities.argmax(axis=1)],
        index=output.index,
    ).astype(str)
    found = _label_metrics(y, predicted)
    found.update(_proba_metrics(y, probabilities, classes))
    return Scored(_finite(found), y, predicted)


def _label_metrics(y: pd.Series, predicted: pd.Series) -> dict[str, float]:
    return {
        "accuracy": float(skm.accuracy_score(y, predicted)),
        "f1_macro": float(skm.f1_score(y, predicted, average="macro")),
    }


def _proba_metrics(
    y: pd.Series, probabilities: np.ndarray, classes: list[str]
) -> dict[str, float]:
    if not set(y).issubset(classes):
        return {}
    sums = probabilities.sum(axis=1, keepdims=True)
    # A model's probabilities may miss 1 by rounding; log_loss refuses that.
    normal = np.divide(probabilities, sums, where=sums > 0, out=probabilities.copy())
    found = {"log_loss": float(skm.log_loss(y, normal, labels=classes))}
    try:
        if len(classes) == 2:
            positive = (y == classes[1]).to_numpy()
            found["roc_auc"] = float(skm.roc_auc_score(positive, normal[:, 1]))
        else:
            found["roc_auc"] = float(
                skm.roc_auc_score(y, normal, multi_class="ovr", labels=classes)
            )
    except ValueError:
        # Only one class among the rows, or a class absent: AUC is undefined.
        pass
    return found


def _finite(found: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in found.items() if math.isfinite(float(v))}
