"""An optimize step built with the client, run on the live server, equals a
brute-force search with the same model called directly.

Needs the ``optimize`` step kind (issue 11, branch ``opt``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from catena.reference import synthetic_sales

pytestmark = [pytest.mark.worker, pytest.mark.slow]

FEATURES = ["temperature", "price", "promo"]
#: Wide enough that most rows have their best price inside the grid.
GRID = np.linspace(1.0, 30.0, 59)


def test_the_best_price_per_row_equals_a_brute_force_search(client):
    train, sales = synthetic_sales(400, seed=31)
    ridge = Ridge().fit(train[FEATURES].astype(float), sales)
    sample = train[FEATURES].astype(float).head(10)
    client.models.upload("client-opt-ridge", ridge, sample=sample)
    df = synthetic_sales(20, seed=32)[0][FEATURES].astype(float)
    chain = (
        client.chain("client-optimize")
        .input(df)
        .optimize(
            predictor={"model": "client-opt-ridge"},
            decision="price",
            candidates={"kind": "range", "lo": 1.0, "hi": 30.0, "steps": len(GRID)},
            objective="price * prediction",
        )
        .save(message="best price")
    )
    best = chain.run(df).wait(show_progress=False).outputs["optimize"]
    for row_id, row in df.iterrows():
        grid = pd.DataFrame([row] * len(GRID)).assign(price=GRID)
        revenue = GRID * ridge.predict(grid[FEATURES])
        assert best.loc[row_id, "best_price"] == pytest.approx(GRID[revenue.argmax()])
        assert best.loc[row_id, "best_objective"] == pytest.approx(revenue.max())
    assert best["best_price"].between(1.0, 30.0, inclusive="neither").any()
