"""Picklable test models a worker process can import (``tests.runner.estimators``)."""

from __future__ import annotations

import time

import numpy as np


class _Features:
    """Just enough of scikit-learn's fitted-estimator surface for the registry."""

    def __init__(self, features: list[str]) -> None:
        self.feature_names_in_ = np.array(features, dtype=object)
        self.n_features_in_ = len(features)


class SleepySum(_Features):
    """Predicts the row sum after sleeping: a node that is reliably slow."""

    def __init__(self, features: list[str], seconds: float) -> None:
        super().__init__(features)
        self.seconds = seconds

    def predict(self, frame: object) -> np.ndarray:
        time.sleep(self.seconds)
        return np.asarray(frame, dtype="float64").sum(axis=1)


class Broken(_Features):
    """Raises its own error from predict."""

    def predict(self, frame: object) -> np.ndarray:
        raise ValueError("the broken model refuses these rows")
