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
    from catena.reference import synthetic_sales

    data, _ = synthetic_sales(SALES_ROWS, seed=7)
    return data


def demo_sales_costs() -> pd.DataFrame:
    """Sales rows with a ``unit_cost`` column, for the sales-optimize chain."""
    from catena.reference_optimize import optimize_data

    return optimize_data(SALES_ROWS, seed=7)


def demo_sales_labelled() -> pd.DataFrame:
    """The demo sales rows with their true ``sales``: runs on it are scored."""
    from catena.reference import synthetic_sales

    data, sales = synthetic_sales(SALES_ROWS, seed=7)
    return data.assign(sales=sales)


def demo_iris_labelled() -> pd.DataFrame:
    """The iris flowers with their ``species`` (0 setosa, 1 versicolor, 2 virginica)."""
    from sklearn.datasets import load_iris

    frame: pd.DataFrame = load_iris(as_frame=True).frame
    return frame.rename(columns={**IRIS_COLUMNS, "target": "species"})


def demo_iris() -> pd.DataFrame:
    """scikit-learn's bundled iris measurements, with the demo chain's names."""
    from sklearn.datasets import load_iris

    frame: pd.DataFrame = load_iris(as_frame=True).frame
    return frame.drop(columns="target").rename(columns=IRIS_COLUMNS)


DEMO_DATASETS: dict[str, tuple[str, Callable[[], pd.DataFrame]]] = {
    "demo-sales": ("Synthetic sales rows for the stacked sales chain.", demo_sales),
    "demo-sales-costs": (
        "Synthetic sales rows with a unit cost, for the sales-optimize chain.",
        demo_sales_costs,
    ),
    "iris": ("The iris flowers (150 rows), for the iris voting chain.", demo_iris),
    "demo-sales-labelled": (
        "The demo sales rows with the true sales: runs of the stacked sales "
        "chain on it get metrics.",
        demo_sales_labelled,
    ),
    "iris-labelled": (
        "The iris flowers with their species: runs of the iris voting chain on "
        "it get accuracy and a confusion matrix.",
        demo_iris_labelled,
    ),
}
#: The labelled demo data sets' target columns.
DEMO_TARGETS = {"demo-sales-labelled": "sales", "iris-labelled": "species"}


def demo_datasets_install(*, user: Any) -> str:
    """Install the demo data sets that are missing; say what was done."""
    added = []
    for name, (description, make) in DEMO_DATASETS.items():
        if Dataset.objects.filter(name=name).exists():
            continue
        dataset_create_from_frame(
            name=name,
            df=make(),
            owner=user,
            description=description,
            target=DEMO_TARGETS.get(name, ""),
        )
        added.append(name)
    if not added:
        return "Demo data sets: already installed."
    return f"Demo data sets: installed {', '.join(added)}."
