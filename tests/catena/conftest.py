"""Fixtures for the core's tests: small fitted models and their resolver.

Nothing here touches Django or a database; the core needs neither.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from catena.adapters import SklearnModel, signature_from_estimator
from catena.resolving import DictResolver, ResolvedModel, Signature
from catena.schema import Column


def resolved(
    name: str, estimator: Any, version: int = 1, sample: Any = None, **kw: Any
) -> ResolvedModel:
    """A ResolvedModel for a fitted estimator; sha256 of its pickle."""
    sha = hashlib.sha256(pickle.dumps(estimator)).hexdigest()
    signature = signature_from_estimator(estimator, sample)
    adapter = SklearnModel(estimator)
    return ResolvedModel(name, version, sha, signature, lambda: adapter, **kw)


class FakeModel:
    """A LoadedModel calling ``fn(frame)``; counts its calls."""

    def __init__(self, fn: Callable[[pd.DataFrame], Any]) -> None:
        self.fn = fn
        self.calls = 0

    def call(self, method: str, frame: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        return np.asarray(self.fn(frame))


def fake(
    name: str,
    inputs: list[tuple[str, str]],
    fn: Callable[[pd.DataFrame], Any],
    **kw: Any,
) -> ResolvedModel:
    """A model with a hand-written signature (predict -> prediction float)."""
    schema = tuple(Column(n, d) for n, d in inputs)  # type: ignore[arg-type]
    signature = Signature(schema, {"predict": (Column("prediction", "float"),)})
    adapter = FakeModel(fn)
    return ResolvedModel(
        name,
        kw.pop("version", 1),
        kw.pop("sha256", name * 4),
        signature,
        lambda: adapter,
        **kw,
    )


def fit_doubler() -> LinearRegression:
    x = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    return LinearRegression().fit(x, 2 * x["x"])


def fit_summer() -> LinearRegression:
    ab = pd.DataFrame({"a": [0.0, 1.0, 0.0, 2.0], "b": [0.0, 0.0, 1.0, 3.0]})
    return LinearRegression().fit(ab, ab["a"] + ab["b"])


def fit_classifier() -> LogisticRegression:
    x = pd.DataFrame({"x": [-2.0, -1.0, 1.0, 2.0]})
    return LogisticRegression().fit(x, [0, 0, 1, 1])


@pytest.fixture
def resolver() -> DictResolver:
    """doubler (v1: y = 2x, v2 same), summer (y = a + b), classifier, boom (raises)."""
    doubler = fit_doubler()

    def explode(frame: pd.DataFrame) -> Any:
        raise ZeroDivisionError("the model divided by zero")

    return DictResolver(
        {
            "doubler": [resolved("doubler", doubler), resolved("doubler", doubler, 2)],
            "summer": [resolved("summer", fit_summer())],
            "classifier": [resolved("classifier", fit_classifier())],
            "boom": [fake("boom", [("x", "float")], explode)],
        },
        aliases={"doubler": {"production": 1}},
    )


@dataclass
class Stacked:
    """The stacked chain: encoder -> scaler -> three regressors -> stacker."""

    doc: dict[str, Any]
    resolver: DictResolver
    data: pd.DataFrame
    estimators: dict[str, Any]

    def by_hand(self, data: pd.DataFrame) -> np.ndarray:
        e = self.estimators
        scaled = e["scaler"].transform(e["encoder"].transform(data))
        preds = [e[name].predict(scaled) for name in ("ridge", "forest", "boost")]
        return e["stacker"].predict(np.column_stack(preds))


def sales(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "temperature": rng.normal(20, 5, rows),
            "price": rng.uniform(1, 10, rows),
            "shape": rng.choice(["circle", "square"], rows),
            "color": rng.choice(["red", "green", "blue"], rows),
            "promo": rng.integers(0, 2, rows),
        },
        index=pd.RangeIndex(100, 100 + rows),
    )
    target = (
        3 * data["temperature"]
        - 5 * data["price"]
        + 4 * data["promo"]
        + rng.normal(0, 1, rows)
    )
    return data, target.to_numpy()


def stacked_chain(seed: int = 0) -> Stacked:
    data, y = sales(300, seed)
    encoder = ColumnTransformer(
        [("onehot", OneHotEncoder(sparse_output=False), ["shape", "color"])],
        remainder="passthrough",
    ).fit(data)
    scaler = StandardScaler().fit(encoder.transform(data))
    scaled = scaler.transform(encoder.transform(data))
    base = {
        "ridge": Ridge().fit(scaled, y),
        "forest": RandomForestRegressor(10, max_depth=4, random_state=seed).fit(
            scaled, y
        ),
        "boost": GradientBoostingRegressor(n_estimators=10, random_state=seed).fit(
            scaled, y
        ),
    }
    stacker = LinearRegression().fit(
        np.column_stack([m.predict(scaled) for m in base.values()]), y
    )
    estimators = {"encoder": encoder, "scaler": scaler, **base, "stacker": stacker}
    models = {name: [resolved(name, est)] for name, est in estimators.items()}
    models["encoder"] = [resolved("encoder", encoder, sample=data)]
    return Stacked(stacked_doc(), DictResolver(models), data, estimators)


def stacked_doc() -> dict[str, Any]:
    base = ["ridge", "forest", "boost"]
    nodes = [
        {
            "id": "in",
            "kind": "input",
            "params": {
                "schema": [
                    ["temperature", "float"],
                    ["price", "float"],
                    ["shape", "str"],
                    ["color", "str"],
                    ["promo", "int"],
                ]
            },
        },
        {
            "id": "enc",
            "kind": "model",
            "params": {"model": "encoder", "method": "transform"},
        },
        {
            "id": "scale",
            "kind": "model",
            "params": {"model": "scaler", "method": "transform"},
        },
        *({"id": b, "kind": "model", "params": {"model": b}} for b in base),
        {
            "id": "stack",
            "kind": "model",
            "params": {
                "model": "stacker",
                "columns": {f"x{i}": f"{b}.prediction" for i, b in enumerate(base)},
            },
        },
        {"id": "out", "kind": "output", "params": {}},
    ]
    edges = [
        ["in", "enc"],
        ["enc", "scale"],
        *(["scale", b] for b in base),
        *([b, "stack"] for b in base),
        ["stack", "out"],
    ]
    return {"format": "catena.chain/1", "nodes": nodes, "edges": edges}


@pytest.fixture(scope="session")
def stacked() -> Stacked:
    return stacked_chain()
