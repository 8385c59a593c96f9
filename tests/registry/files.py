"""Model files for the registry tests, built in memory with small real models."""

from __future__ import annotations

import io
import os
import pickle
from functools import cache

import numpy as np
import pandas as pd
import skops.io as sio
from django.core.files.uploadedfile import SimpleUploadedFile
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge

FEATURES = pd.DataFrame(
    {
        "price": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "area": [10.0, 12.0, 9.0, 15.0, 11.0, 13.0],
    }
)
TARGET = np.array([3.0, 5.0, 6.5, 9.0, 10.5, 13.0])
LABELS = np.array([0, 0, 1, 1, 0, 1])


@cache
def ridge_bytes() -> bytes:
    return sio.dumps(Ridge().fit(FEATURES, TARGET))


@cache
def forest_bytes() -> bytes:
    forest = RandomForestClassifier(n_estimators=3, random_state=0)
    return sio.dumps(forest.fit(FEATURES, LABELS))


@cache
def onnx_bytes() -> bytes:
    from skl2onnx import to_onnx

    model = LogisticRegression().fit(FEATURES.to_numpy(np.float32), LABELS)
    return to_onnx(model, FEATURES.to_numpy(np.float32)[:1]).SerializeToString()


def sample_csv(frame: pd.DataFrame = FEATURES) -> bytes:
    return frame.to_csv(index=False).encode()


class Boom:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def boom_bytes(marker: str) -> bytes:
    return pickle.dumps(Boom(marker))


def ridge_pickle_bytes() -> bytes:
    buffer = io.BytesIO()
    pickle.dump(Ridge().fit(FEATURES, TARGET), buffer)
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")
