"""Scoring node outputs against a target: equal to scikit-learn's own metrics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from catena.metrics import evaluate, score, scoreable

RNG = np.random.default_rng(3)


def test_regression_metrics_equal_scikit_learns():
    y = RNG.normal(10.0, 3.0, 200)
    p = y + RNG.normal(0.0, 1.0, 200)
    found = score(pd.Series(y), pd.DataFrame({"prediction": p}))
    assert found == {
        "mae": skm.mean_absolute_error(y, p),
        "rmse": math.sqrt(skm.mean_squared_error(y, p)),
        "r2": skm.r2_score(y, p),
    }


def test_label_metrics_equal_scikit_learns():
    y = RNG.integers(0, 3, 150)
    p = np.where(RNG.random(150) < 0.8, y, (y + 1) % 3)
    found = score(pd.Series(y), pd.DataFrame({"prediction": p}))
    assert found == {
        "accuracy": skm.accuracy_score(y, p),
        "f1_macro": skm.f1_score(y, p, average="macro"),
    }


def test_probability_metrics_equal_scikit_learns():
    y = RNG.integers(0, 3, 150)
    raw = RNG.random((150, 3)) + np.eye(3)[y]
    proba = raw / raw.sum(axis=1, keepdims=True)
    output = pd.DataFrame(proba, columns=["proba_0", "proba_1", "proba_2"])
    found = score(pd.Series(y), output)
    assert found == {
        "accuracy": skm.accuracy_score(y, proba.argmax(axis=1)),
        "f1_macro": skm.f1_score(y, proba.argmax(axis=1), average="macro"),
        # Rows are normalised to sum to 1 first: equal to the last bit or so.
        "log_loss": pytest.approx(skm.log_loss(y, proba, labels=[0, 1, 2]), 1e-12),
        "roc_auc": skm.roc_auc_score(y, proba, multi_class="ovr"),
    }


def test_binary_roc_auc_uses_the_second_class_probability():
    y = np.array(["no", "yes", "yes", "no", "yes", "no"])
    p_yes = np.array([0.2, 0.9, 0.6, 0.4, 0.3, 0.1])
    output = pd.DataFrame({"proba_no": 1 - p_yes, "proba_yes": p_yes})
    found = score(pd.Series(y), output)
    assert found["roc_auc"] == skm.roc_auc_score(y == "yes", p_yes)
    assert found["log_loss"] == pytest.approx(
        skm.log_loss(y, np.column_stack([1 - p_yes, p_yes]), labels=["no", "yes"])
    )


def test_rows_are_matched_by_row_id_and_missing_ones_left_out():
    target = pd.Series([1.0, 2.0, np.nan, 4.0], index=[10, 11, 12, 13])
    output = pd.DataFrame({"prediction": [4.0, 2.0, 9.0]}, index=[13, 11, 12])
    scored = evaluate(target, output)
    assert scored is not None
    assert scored.actual.to_dict() == {13: 4.0, 11: 2.0}
    assert scored.metrics["mae"] == 0.0


def test_float_labels_equal_integer_classes():
    found = score(pd.Series([0, 1, 1]), pd.DataFrame({"vote": [0.0, 1.0, 0.0]}))
    assert found["accuracy"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("task", "schema"),
    [
        ("regression", [("a", "float"), ("b", "float")]),
        ("regression", [("label", "str")]),
        ("classification", [("score_0", "float"), ("score_1", "float")]),
        ("classification", [("proba_0", "float")] + [("x", "float")]),
    ],
)
def test_outputs_that_are_not_predictions_are_not_scored(task, schema):
    assert scoreable(task, schema) is None


def test_an_encoder_output_gets_no_metrics():
    output = pd.DataFrame({"a": [1.0, 2.0], "b": [0.0, 1.0]})
    assert score(pd.Series([1.0, 2.0]), output) is None
