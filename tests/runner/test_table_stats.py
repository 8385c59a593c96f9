"""Stored outputs' histograms."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.store.tables import HISTOGRAM_BINS, table_stats


def test_a_column_whose_values_differ_by_one_float_step_gets_a_histogram():
    # A model's predictions can differ only in their last bit; numpy refuses
    # to cut such a range into bins, which used to fail the node.
    frame = pd.DataFrame({"prediction": [19.0, 19.000000000000004, 19.0]})

    stats = table_stats(frame)

    assert sum(stats["prediction"]["counts"]) == 3
    assert stats["prediction"]["mean"] == frame["prediction"].mean()


def histogram_one_by_one(values: np.ndarray) -> dict[str, Any]:
    """One column as ``np.histogram`` bins it alone (a range too narrow to cut
    widened by 0.5 on each side), the way the stats were first made."""
    values = values[np.isfinite(values)]
    try:
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
    except ValueError:
        low, high = float(values.min()), float(values.max())
        counts, edges = np.histogram(
            values, bins=HISTOGRAM_BINS, range=(low - 0.5, high + 0.5)
        )
    return {
        "min": float(edges[0]),
        "max": float(edges[-1]),
        "mean": float(values.mean()),
        "counts": [int(c) for c in counts],
    }


special = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 19.0, 19.000000000000004])
cells = st.one_of(st.floats(-1e6, 1e6), special)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda n: st.lists(
            st.lists(cells, min_size=n, max_size=n), min_size=1, max_size=5
        )
    )
)
def test_every_columns_histogram_equals_numpys_for_that_column_alone(columns):
    frame = pd.DataFrame({f"c{i}": values for i, values in enumerate(columns)})

    stats = table_stats(frame)

    expected = {
        name: histogram_one_by_one(frame[name].to_numpy(dtype="float64"))
        for name in frame.columns
        if np.isfinite(frame[name].to_numpy(dtype="float64")).any()
    }
    assert stats == expected


def test_text_columns_and_columns_with_no_finite_value_get_no_histogram():
    frame = pd.DataFrame(
        {"name": ["a", "b"], "gone": [np.nan, np.inf], "x": [1.0, 3.0]}
    )

    stats = table_stats(frame)

    assert list(stats) == ["x"]
    assert stats["x"]["counts"] == [1] + [0] * (HISTOGRAM_BINS - 2) + [1]
