"""Stored outputs' histograms."""

from __future__ import annotations

import pandas as pd

from runner.store.tables import table_stats


def test_a_column_whose_values_differ_by_one_float_step_gets_a_histogram():
    # A model's predictions can differ only in their last bit; numpy refuses
    # to cut such a range into bins, which used to fail the node.
    frame = pd.DataFrame({"prediction": [19.0, 19.000000000000004, 19.0]})

    stats = table_stats(frame)

    assert sum(stats["prediction"]["counts"]) == 3
    assert stats["prediction"]["mean"] == frame["prediction"].mean()
