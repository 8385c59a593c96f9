"""Stored tables read a slice at a time: CSV downloads in batches and comparisons
one column at a time give what the whole tables gave."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from runner import streams
from runner.selectors import frames_compare
from runner.store import table_to_parquet


def stored(df: pd.DataFrame) -> io.BytesIO:
    return io.BytesIO(table_to_parquet(df))


def whole_csv(df: pd.DataFrame, label: str = "row_id") -> str:
    return df.to_csv(index=True, index_label=label)


FRAMES = {
    "range index": pd.DataFrame({"x": np.arange(10) / 3, "s": list("abcdefghij")}),
    "range index from 5 by 2": pd.DataFrame(
        {"x": np.arange(10.0)}, index=pd.RangeIndex(5, 25, 2)
    ),
    "row ids kept after a filter": pd.DataFrame(
        {"x": [1.5, None, 3.0, 4.0, 5.0, 6.0, 7.0]}, index=[3, 9, 10, 11, 40, 41, 7]
    ),
    "a column named row_id": pd.DataFrame({"row_id": [7, 8, 9], "y": [True] * 3}),
}


@pytest.mark.parametrize("name", FRAMES)
def test_a_csv_written_in_batches_equals_the_whole_table_as_csv(name):
    df = FRAMES[name]
    handle = stored(df)
    chunks = list(streams.csv_chunks(handle, batch_rows=3))
    assert len(chunks) == -(-len(df) // 3)
    label = "_row_id" if "row_id" in df.columns else "row_id"
    assert b"".join(chunks).decode() == whole_csv(df, label)
    assert handle.closed is True


def test_an_empty_table_downloads_as_its_header():
    df = pd.DataFrame({"x": pd.Series([], dtype="float64")})
    assert b"".join(streams.csv_chunks(stored(df))).decode() == "row_id,x\n"


def test_a_consumer_stopping_early_closes_the_file():
    handle = stored(FRAMES["range index"])
    chunks = streams.csv_chunks(handle, batch_rows=2)
    next(chunks)
    chunks.close()
    assert handle.closed is True


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (
            pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]}),
            pd.DataFrame({"a": [1.0, 2.5, 3.0], "b": ["x", "y", "w"], "c": [1, 2, 3]}),
        ),
        (
            pd.DataFrame({"a": [1.0, None, 3.0]}, index=[4, 5, 6]),
            pd.DataFrame({"a": [9.0, None]}, index=[6, 5]),
        ),
        (pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1, 2]})),
    ],
)
def test_comparing_column_by_column_equals_comparing_whole_tables(left, right):
    expected = frames_compare(left, right)
    assert streams.columns_compare(stored(left), stored(right)) == expected
