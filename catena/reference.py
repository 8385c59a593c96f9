"""The reference chain: encoder -> scaler -> three regressors -> stacker.

Trained on seeded synthetic sales data (temperature, price, shape, color, promo
-> sales). The demo installers, the tests and the benchmarks in ``bench/`` all
build on it, so it lives in the core: it imports only the core and scikit-learn,
never Django, and nothing here imports ``bench``.

>>> [node["id"] for node in reference_doc()["nodes"]][:3]
['in', 'encode', 'scale']
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from catena.adapters import SklearnModel, signature_from_estimator
from catena.resolving import DictResolver, ResolvedModel

INPUT_SCHEMA = [
    ["temperature", "float"],
    ["price", "float"],
    ["shape", "str"],
    ["color", "str"],
    ["promo", "int"],
]
BASE = ("ridge", "forest", "boost")
#: Node id -> registered model name.
MODELS = {
    "encode": "sales-encoder",
    "scale": "sales-scaler",
    "ridge": "sales-ridge",
    "forest": "sales-forest",
    "boost": "sales-boost",
    "stack": "sales-stacker",
}
TRAIN_ROWS = 2000
#: The stacker learns on out-of-fold predictions of the base models, from this
#: many folds (the registry records it: ``out_of_fold`` of sales-stacker).
N_FOLDS = 5


def synthetic_sales(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Return ``rows`` rows of features and their sales, reproducible by seed."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "temperature": rng.normal(18.0, 7.0, rows),
            "price": rng.uniform(1.0, 12.0, rows),
            "shape": rng.choice(["round", "square", "star"], rows),
            "color": rng.choice(["red", "green", "blue", "gold"], rows),
            "promo": rng.integers(0, 2, rows),
        }
    )
    sales = (
        50.0
        + 2.0 * data["temperature"]
        - 4.0 * data["price"]
        + 8.0 * data["promo"]
        + np.where(data["shape"] == "star", 6.0, 0.0)
        + np.where(data["color"] == "gold", 4.0, 0.0)
        + 0.05 * data["temperature"] * data["price"]
        + rng.normal(0.0, 2.0, rows)
    )
    return data, sales.to_numpy()


def fit_reference(seed: int = 0, train_rows: int = TRAIN_ROWS) -> dict[str, Any]:
    """Fit the six scikit-learn objects of the chain, keyed by node id.

    Fitted once per process and arguments (the stacker's cross-validation
    takes seconds): the objects are shared, so callers only read them.
    """
    return dict(_fitted(seed, train_rows))


@functools.lru_cache(maxsize=4)
def _fitted(seed: int, train_rows: int) -> dict[str, Any]:
    data, sales = synthetic_sales(train_rows, seed)
    encoder = ColumnTransformer(
        [("onehot", OneHotEncoder(sparse_output=False), ["shape", "color"])],
        remainder="passthrough",
    ).fit(data)
    encoded = encoder.transform(data)
    scaler = StandardScaler().fit(encoded)
    scaled = scaler.transform(encoded)
    base = {
        "ridge": Ridge(alpha=1.0).fit(scaled, sales),
        "forest": RandomForestRegressor(50, max_depth=8, random_state=seed).fit(
            scaled, sales
        ),
        "boost": GradientBoostingRegressor(n_estimators=100, random_state=seed).fit(
            scaled, sales
        ),
    }
    stacker = LinearRegression().fit(out_of_fold(base, scaled, sales), sales)
    return {"encode": encoder, "scale": scaler, **base, "stack": stacker}


def out_of_fold(
    base: dict[str, Any], features: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """Each base model's predictions for rows it did not learn from (5 folds).

    The stacker learns how far to trust each base model; on in-sample
    predictions it would trust the forest's memorised rows too much.
    """
    folds = KFold(N_FOLDS, shuffle=True, random_state=0)
    return np.column_stack(
        [cross_val_predict(clone(base[b]), features, target, cv=folds) for b in BASE]
    )


def reference_doc() -> dict[str, Any]:
    """Return the chain's graph document (format ``catena.chain/1``)."""
    mapping = {f"x{i}": f"{b}.prediction" for i, b in enumerate(BASE)}
    nodes = [
        {"id": "in", "kind": "input", "params": {"schema": INPUT_SCHEMA}},
        _model("encode", method="transform"),
        _model("scale", method="transform"),
        *(_model(b) for b in BASE),
        _model("stack", columns=mapping),
        {"id": "out", "kind": "output", "params": {}},
    ]
    edges = [["in", "encode"], ["encode", "scale"]]
    edges += [["scale", b] for b in BASE] + [[b, "stack"] for b in BASE]
    edges.append(["stack", "out"])
    layout = {n["id"]: [40 + 180 * i, 120] for i, n in enumerate(nodes)}
    return {
        "format": "catena.chain/1",
        "nodes": nodes,
        "edges": edges,
        "layout": layout,
    }


def _model(node_id: str, **params: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "kind": "model",
        "params": {"model": MODELS[node_id], **params},
    }


def resolver_for(estimators: dict[str, Any], sample: pd.DataFrame) -> DictResolver:
    """A resolver with version 1 of each model; ``sample`` gives input dtypes."""
    models = {}
    for node_id, estimator in estimators.items():
        name = MODELS[node_id]
        signature = signature_from_estimator(
            estimator, sample if node_id == "encode" else None
        )
        sha = hashlib.sha256(pickle.dumps(estimator)).hexdigest()
        adapter = SklearnModel(estimator)
        models[name] = [ResolvedModel(name, 1, sha, signature, _constant(adapter))]
    return DictResolver(models, aliases={name: {"production": 1} for name in models})


def _constant(adapter: SklearnModel) -> Any:
    return lambda: adapter


def build_reference(
    rows: int, seed: int = 0
) -> tuple[dict[str, Any], DictResolver, pd.DataFrame]:
    """Return ``(doc, resolver, data)``: the chain, its models and ``rows`` rows."""
    estimators = fit_reference(seed)
    data, _ = synthetic_sales(rows, seed + 1)
    return reference_doc(), resolver_for(estimators, data), data


def estimators_of(resolver: DictResolver) -> dict[str, Any]:
    """The scikit-learn objects behind a reference resolver, keyed by node id."""
    loaded = {n: resolver.resolve(m, 1).load() for n, m in MODELS.items()}
    return {n: model.estimator for n, model in loaded.items()}  # type: ignore[attr-defined]


def direct(estimators: dict[str, Any], data: pd.DataFrame) -> np.ndarray:
    """The chain written by hand: what catena's run must equal."""
    scaled = estimators["scale"].transform(estimators["encode"].transform(data))
    stacked = np.column_stack([estimators[b].predict(scaled) for b in BASE])
    return np.asarray(estimators["stack"].predict(stacked))
