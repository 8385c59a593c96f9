"""Small real models and graph documents for the builder tests."""

from __future__ import annotations

import io
import pickle
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio
from django.core.files.uploadedfile import SimpleUploadedFile
from sklearn.linear_model import LogisticRegression, Ridge

FORMAT = "catena.chain/1"
FEATURES = pd.DataFrame(
    {
        "price": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "area": [10.0, 12.0, 9.0, 15.0, 11.0, 13.0],
    }
)
TARGET = np.array([3.0, 5.0, 6.5, 9.0, 10.5, 13.0])
LABELS = np.array([0, 0, 1, 1, 0, 1])


@cache
def ridge_bytes(alpha: float = 1.0) -> bytes:
    return sio.dumps(Ridge(alpha=alpha).fit(FEATURES, TARGET))


@cache
def logit_bytes() -> bytes:
    return sio.dumps(LogisticRegression().fit(FEATURES, LABELS))


def ridge_pickle_bytes() -> bytes:
    buffer = io.BytesIO()
    pickle.dump(Ridge(alpha=3.0).fit(FEATURES, TARGET), buffer)
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def node(node_id: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "params": params}


def inp(node_id: str = "in", **columns: str) -> dict[str, Any]:
    schema = [
        [name, dtype]
        for name, dtype in (columns or {"price": "float", "area": "float"}).items()
    ]
    return node(node_id, "input", schema=schema)


def model(
    node_id: str, name: str, version: int | str = "@latest", **params: Any
) -> dict[str, Any]:
    return node(node_id, "model", model=name, version=version, **params)


def doc(
    nodes: list[dict[str, Any]], edges: list[list[str]], **extra: Any
) -> dict[str, Any]:
    return {"format": FORMAT, "nodes": nodes, "edges": edges, **extra}


def linear(version: int | str = 1, name: str = "sales-ridge") -> dict[str, Any]:
    """in(price, area) -> ridge -> out."""
    return doc(
        [inp(), model("ridge", name, version), node("out", "output")],
        [["in", "ridge"], ["ridge", "out"]],
        layout={"in": [40, 100], "ridge": [240, 100], "out": [440, 100]},
    )


def stacked() -> dict[str, Any]:
    """Two ridge versions averaged by combine, then output."""
    return doc(
        [
            inp(),
            model("r1", "sales-ridge", 1),
            model("r2", "sales-ridge", "@production"),
            node("avg", "combine", method="mean", name="avg"),
            node("out", "output"),
        ],
        [["in", "r1"], ["in", "r2"], ["r1", "avg"], ["r2", "avg"], ["avg", "out"]],
    )
