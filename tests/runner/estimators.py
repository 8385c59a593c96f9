"""Picklable test models a worker process can import (``tests.runner.estimators``)."""

from __future__ import annotations

import os
import time

import numpy as np

from catena.errors import StepTransientError


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


class SlowToLoad(_Features):
    """Sums the row at once but takes ``seconds`` to unpickle: a model file that
    is slow to load (once per process, into the model cache)."""

    def __init__(self, features: list[str], seconds: float) -> None:
        super().__init__(features)
        self.seconds = seconds

    def __setstate__(self, state: dict[str, object]) -> None:
        time.sleep(float(state["seconds"]))  # type: ignore[arg-type]
        self.__dict__.update(state)

    def predict(self, frame: object) -> np.ndarray:
        return np.asarray(frame, dtype="float64").sum(axis=1)


class CountsCalls(_Features):
    """Sums the row and counts how often it was called (in this process)."""

    def __init__(self, features: list[str]) -> None:
        super().__init__(features)
        self.calls = 0

    def predict(self, frame: object) -> np.ndarray:
        self.calls += 1
        return np.asarray(frame, dtype="float64").sum(axis=1)


class Broken(_Features):
    """Raises its own error from predict."""

    def predict(self, frame: object) -> np.ndarray:
        raise ValueError("the broken model refuses these rows")


class FailsWhileFileExists(_Features):
    """Fails while ``path`` exists: a fault a user can fix between run and retry."""

    def __init__(self, features: list[str], path: str) -> None:
        super().__init__(features)
        self.path = path

    def predict(self, frame: object) -> np.ndarray:
        if os.path.exists(self.path):
            raise RuntimeError(f"{self.path} is in the way")
        return np.asarray(frame, dtype="float64").sum(axis=1)


class AlwaysTransient(_Features):
    """Fails with a transient error every time (a flaky remote service)."""

    def predict(self, frame: object) -> np.ndarray:
        raise StepTransientError("the service answered 503")
