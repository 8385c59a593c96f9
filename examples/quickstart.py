"""Catena from Python in a few lines: upload a model, build chains, run, read.

Run it against a Catena started with ``python3 dev.py start`` (which installs the
demo sales models), with an API token from the *API tokens* page::

    export CATENA_URL=http://127.0.0.1:8000 CATENA_TOKEN=...
    .venv/bin/python examples/quickstart.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from catena_client import Catena, ChainInvalid
from sklearn.linear_model import Ridge


def sales_rows(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "temperature": rng.normal(18.0, 7.0, rows),
            "price": rng.uniform(1.0, 12.0, rows),
            "shape": rng.choice(["round", "square", "star"], rows),
            "color": rng.choice(["red", "green", "blue", "gold"], rows),
            "promo": rng.integers(0, 2, rows),
        }
    )


def main() -> None:
    client = Catena()  # CATENA_URL and CATENA_TOKEN from the environment
    print("connected as", client.me()["username"])

    # 1. A model of your own: fitted here, saved with skops, registered.
    df = sales_rows(300, seed=1)
    numeric = df[["temperature", "price", "promo"]].astype(float)
    sales = 50 + 2 * numeric["temperature"] - 4 * numeric["price"]
    ridge = Ridge().fit(numeric, sales)
    version = client.models.upload(
        "quickstart-ridge", ridge, sample=numeric.head(20), metrics={"r2": 0.99}
    )
    client.models.alias("quickstart-ridge", "production", version.number)
    print(f"uploaded quickstart-ridge v{version.number}, now @production")

    # 2. A one-model chain on it, run on 50 rows.
    mine = (
        client.chain("quickstart")
        .input(numeric)
        .model("quickstart-ridge", version="@production")
        .save(message="from examples/quickstart.py")
    )
    run = mine.run(numeric.head(50)).wait()
    print(run.outputs["quickstart-ridge"].head(3))

    # 3. The demo's stacked sales chain, from scratch: encoder -> scaler ->
    #    three regressors -> a stacker.
    chain = (
        client.chain("quickstart-sales")
        .input(df)
        .model("sales-encoder", method="transform")
        .model("sales-scaler", method="transform")
        .fan_out(["sales-ridge", "sales-forest", "sales-boost"])
        .stack("sales-stacker")
        .save(message="stacked, from Python")
    )
    run = chain.run(df).wait()
    print(f"run {run.id} {run.status}; nodes: {', '.join(run.outputs)}")
    print(run.outputs["stack"].describe().loc[["count", "mean"]])
    for node, figures in run.metrics["nodes"].items():
        print(f"  {node:14} {figures['status']:9} {figures['rows']} rows")

    # 4. Problems are found before anything is saved, all at once.
    try:
        client.chain("quickstart-broken").input(df).model("no-such-model").save()
    except ChainInvalid as error:
        print("refused:", *[str(p) for p in error.problems], sep="\n  ")


if __name__ == "__main__":
    main()
