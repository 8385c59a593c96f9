"""Stored tables read back equal to what was written: every dtype, every index."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from runner.store.tables import table_from_parquet, table_to_parquet

PLAIN = ["float64", "float32", "int64", "int32", "uint8", "bool"]


def round_trip(frame: pd.DataFrame) -> pd.DataFrame:
    return table_from_parquet(table_to_parquet(frame))


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from(PLAIN),
    shape=st.tuples(st.integers(0, 30), st.integers(1, 50)),
    data=st.data(),
)
def test_a_table_of_one_numeric_dtype_reads_back_equal(dtype, shape, data):
    values = data.draw(hnp.arrays(np.dtype(dtype), shape))
    frame = pd.DataFrame(values, columns=[f"c{i}" for i in range(shape[1])])

    pd.testing.assert_frame_equal(round_trip(frame), frame)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"x": [1.0, 2.0], "n": [1, 2], "s": ["a", "b"]}),
        pd.DataFrame({"x": [1.0, 2.0]}, index=[5, 7]),
        pd.DataFrame({"x": [1.0, 2.0]}, index=pd.RangeIndex(3, 5)),
        pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="id")),
        pd.DataFrame({"x": [1.0, 2.0]}).rename_axis("row"),
        pd.DataFrame({"x": [1.0, 2.0]}).rename_axis(columns="feature"),
        pd.DataFrame({"when": pd.to_datetime(["2026-01-01", "2026-01-02"])}),
        pd.DataFrame({"x": pd.array([1, None], dtype="Int64")}),
        pd.DataFrame({"x": pd.Categorical(["a", "b"])}),
        pd.DataFrame(
            {"when": pd.to_datetime(["2026-01-01", "2026-07-01"]).tz_localize("CET")}
        ),
        pd.DataFrame({"s": ["a", None], "b": [True, False], "n": [1, 2]}),
    ],
    ids=[
        "mixed",
        "index",
        "shifted-range",
        "named-index",
        "named-range",
        "named-columns",
        "datetime",
        "nullable",
        "category",
        "zoned",
        "gaps",
    ],
)
def test_other_tables_read_back_equal_through_pandas_metadata(frame):
    pd.testing.assert_frame_equal(round_trip(frame), frame)
    # As pandas' own reader gives them, from a file or from its bytes.
    data = table_to_parquet(frame)
    read = pd.read_parquet(io.BytesIO(data), engine="pyarrow")
    pd.testing.assert_frame_equal(table_from_parquet(data), read)
    pd.testing.assert_frame_equal(table_from_parquet(io.BytesIO(data)), read)


def test_a_plain_numeric_table_is_written_without_pandas_metadata():
    # The fast path is taken (and needs none to read back equal)...
    plain = pd.DataFrame(np.ones((1, 45)), columns=[f"c{i}" for i in range(45)])
    assert pq.read_schema(_buffer(plain)).pandas_metadata is None
    # ...and anything else keeps it.
    mixed = plain.assign(s="a")
    assert pq.read_schema(_buffer(mixed)).pandas_metadata is not None


def _buffer(frame: pd.DataFrame) -> io.BytesIO:
    return io.BytesIO(table_to_parquet(frame))
