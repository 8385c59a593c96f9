"""The reference optimize chain: the sales chain, then the price that maximises revenue.

``sales-optimize`` is the reference chain (:mod:`catena.reference`) whose
stacked prediction is followed by an optimize node: for each row, the price
among 21 multipliers (0.5x .. 1.5x the row's price), at least the row's unit
cost, that maximises ``(price - unit_cost) * prediction``. Its predictor is
``sales-predictor``, one scikit-learn pipeline with the same encoder, scaler,
three regressors and a stacker, trained on the same synthetic data, since a
model node cannot yet call a saved chain. Shared by the demo installers, the
tests and ``bench/optimize.py``; imports only the core and scikit-learn.

>>> [n["id"] for n in optimize_doc()["nodes"]][-2:]
['optimize', 'out']
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingRegressor,
    RandomForestRegressor,
    StackingRegressor,
)
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from catena.adapters import SklearnModel, signature_from_estimator
from catena.reference import (
    INPUT_SCHEMA,
    MODELS,
    TRAIN_ROWS,
    reference_doc,
    synthetic_sales,
)
from catena.reference import resolver_for as reference_resolver_for
from catena.resolving import DictResolver, ResolvedModel

PREDICTOR = "sales-predictor"
CANDIDATES = 21
OPTIMIZE_PARAMS: dict[str, Any] = {
    "predictor": {"model": PREDICTOR, "version": "@production"},
    "decision": "price",
    "candidates": {"kind": "multipliers", "lo": 0.5, "hi": 1.5, "steps": CANDIDATES},
    "objective": "(price - unit_cost) * prediction",
    "goal": "maximize",
    "bounds": {"lower": "unit_cost"},
    "curve": True,
}


def with_unit_cost(data: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The rows with a ``unit_cost`` column: 20% to 70% of the row's price."""
    rng = np.random.default_rng(seed + 1000)
    share = rng.uniform(0.2, 0.7, len(data))
    return data.assign(unit_cost=np.round(data["price"].to_numpy() * share, 2))


def optimize_data(rows: int, seed: int = 1) -> pd.DataFrame:
    """``rows`` reproducible input rows of the optimize chain."""
    data, _ = synthetic_sales(rows, seed)
    return with_unit_cost(data, seed)


@functools.cache
def fit_predictor(seed: int = 0) -> Pipeline:
    """The whole sales chain as one pipeline (price, weather, shape... -> sales)."""
    data, sales = synthetic_sales(TRAIN_ROWS, seed)
    base = [
        ("ridge", Ridge(alpha=1.0)),
        ("forest", RandomForestRegressor(50, max_depth=8, random_state=seed)),
        ("boost", GradientBoostingRegressor(n_estimators=100, random_state=seed)),
    ]
    encode = ColumnTransformer(
        [("onehot", OneHotEncoder(sparse_output=False), ["shape", "color"])],
        remainder="passthrough",
    )
    stack = StackingRegressor(base, final_estimator=LinearRegression(), cv=3)
    pipeline = Pipeline(
        [("encode", encode), ("scale", StandardScaler()), ("stack", stack)]
    )
    return pipeline.fit(data, sales)


def optimize_doc(version: int | str = 1) -> dict[str, Any]:
    """The reference chain with ``unit_cost`` in, then the optimize node."""
    doc = reference_doc()
    doc["nodes"][0]["params"]["schema"] = [*INPUT_SCHEMA, ["unit_cost", "float"]]
    out = doc["nodes"].pop()
    params = {**OPTIMIZE_PARAMS, "predictor": {"model": PREDICTOR, "version": version}}
    doc["nodes"] += [{"id": "optimize", "kind": "optimize", "params": params}, out]
    doc["edges"].remove(["stack", "out"])
    doc["edges"] += [["in", "optimize"], ["stack", "optimize"], ["optimize", "out"]]
    doc["layout"] = {n["id"]: [40 + 180 * i, 120] for i, n in enumerate(doc["nodes"])}
    return doc


def optimize_resolver(
    estimators: dict[str, Any], predictor: Pipeline, sample: pd.DataFrame
) -> DictResolver:
    """The reference models and the predictor, each as version 1 (and @production)."""
    base = reference_resolver_for(estimators, sample)
    signature = signature_from_estimator(predictor, sample)
    sha = hashlib.sha256(pickle.dumps(predictor)).hexdigest()
    adapter = SklearnModel(predictor)
    resolved = ResolvedModel(PREDICTOR, 1, sha, signature, lambda: adapter)
    models = {name: list(base.models[name].values()) for name in MODELS.values()}
    models[PREDICTOR] = [resolved]
    aliases = {name: {"production": 1} for name in models}
    return DictResolver(models, aliases=aliases)


def direct_optimize(predictor: Pipeline, data: pd.DataFrame) -> pd.DataFrame:
    """The optimize node written by hand with numpy and scikit-learn (the limit)."""
    multipliers = np.linspace(0.5, 1.5, CANDIDATES)
    prices = data["price"].to_numpy()[:, None] * multipliers[None, :]
    repeated = data.loc[data.index.repeat(CANDIDATES)].reset_index(drop=True)
    repeated["price"] = prices.reshape(-1)
    features = list(predictor.feature_names_in_)
    sales = predictor.predict(repeated[features]).reshape(len(data), CANDIDATES)
    cost = data["unit_cost"].to_numpy()[:, None]
    revenue = np.where(prices >= cost, (prices - cost) * sales, -np.inf)
    best = revenue.argmax(axis=1)
    rows = np.arange(len(data))
    return pd.DataFrame(
        {
            "best_price": prices[rows, best],
            "best_objective": revenue[rows, best],
            "best_prediction": sales[rows, best],
        },
        index=data.index,
    )
