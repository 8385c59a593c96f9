"""Demo data sets: sales rows for the reference chain, and the iris flowers.

``demo_datasets_install`` is idempotent: a data set whose name exists is left
as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from runner.models import Dataset
from runner.services.datasets import dataset_create_from_frame

SALES_ROWS = 500
IRIS_COLUMNS = {
    "sepal length (cm)": "sepal_length",
    "sepal width (cm)": "sepal_width",
    "petal length (cm)": "petal_length",
    "petal width (cm)": "petal_width",
}


def demo_sales() -> pd.DataFrame:
    """Rows in the reference chain's input schema (seeded, reproducible)."""
    from bench.reference_chain import synthetic_sales

    data, _ = synthetic_sales(SALES_ROWS, seed=7)
    return data


def demo_iris() -> pd.DataFrame:
    """scikit-learn's bundled iris measurements, with the demo chain's names."""
    from sklearn.datasets import load_iris

    frame: pd.DataFrame = load_iris(as_frame=True).frame
    return frame.drop(columns="target").rename(columns=IRIS_COLUMNS)


DEMO_DATASETS: dict[str, tuple[str, Callable[[], pd.DataFrame]]] = {
    "demo-sales": ("Synthetic sales rows for the stacked sales chain.", demo_sales),
    "iris": ("The iris flowers (150 rows), for the iris voting chain.", demo_iris),
}


def demo_datasets_install(*, user: Any) -> str:
    """Install the demo data sets that are missing; say what was done."""
    added = []
    for name, (description, make) in DEMO_DATASETS.items():
        if Dataset.objects.filter(name=name).exists():
            continue
        dataset_create_from_frame(
            name=name, df=make(), owner=user, description=description
        )
        added.append(name)
    if not added:
        return "Demo data sets: already installed."
    return f"Demo data sets: installed {', '.join(added)}."
