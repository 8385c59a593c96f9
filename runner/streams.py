"""Stored tables read a slice at a time: CSV downloads and column comparisons.

A node output may hold millions of rows; loading it whole to answer a download
took the web process to gigabytes. Parquet is read here in record batches (for
CSV) or one column at a time (for comparisons), so memory follows the batch or
the column, not the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

#: Rows per CSV chunk: about 1 MB of text for a few numeric columns. A 1M-row
#: download peaked at ~10 MiB of Python allocations (~50 MiB RSS growth) with
#: this, ~400 MiB RSS growth when built whole.
CSV_BATCH_ROWS = 10_000
#: Bytes read from the file at a time.
READ_BUFFER = 1024 * 1024


def _index_spec(parquet: pq.ParquetFile) -> Any:
    """pandas' description of the index: a column name or a range dict, or None."""
    meta = parquet.schema_arrow.pandas_metadata or {}
    found = meta.get("index_columns") or [None]
    return found[0]


def _column_names(parquet: pq.ParquetFile) -> list[str]:
    spec = _index_spec(parquet)
    return [name for name in parquet.schema_arrow.names if name != spec]


def _index_label(columns: list[str]) -> str:
    # The index is the row id of the input row each row came from (DESIGN.md).
    label = "row_id"
    while label in columns:
        label = f"_{label}"
    return label


def csv_chunks(handle: IO[bytes], *, batch_rows: int = 0) -> Iterator[bytes]:
    """A stored table as CSV with a leading row id column, one batch at a time.

    Closes ``handle`` when done (or when the consumer stops early).
    """
    try:
        # Column chunks read through a small buffer, not each whole into memory.
        parquet = pq.ParquetFile(handle, buffer_size=READ_BUFFER, pre_buffer=False)
        spec = _index_spec(parquet)
        label = _index_label(_column_names(parquet))
        offset = 0
        batches = parquet.iter_batches(batch_size=batch_rows or CSV_BATCH_ROWS)
        for number, batch in enumerate(batches):
            frame = batch.to_pandas()
            if isinstance(spec, dict):
                # A RangeIndex lives in metadata only; each batch restarts at 0.
                start = spec["start"] + spec["step"] * offset
                frame.index = pd.RangeIndex(
                    start, start + spec["step"] * len(frame), spec["step"]
                )
            offset += len(frame)
            text = frame.to_csv(index=True, index_label=label, header=number == 0)
            yield text.encode()
        if offset == 0:
            yield (",".join([label, *_column_names(parquet)]) + "\n").encode()
    finally:
        handle.close()


def table_index(parquet: pq.ParquetFile) -> pd.Index:
    """The row ids of a stored table, without reading its other columns."""
    spec = _index_spec(parquet)
    if isinstance(spec, dict):
        stop = spec["start"] + spec["step"] * parquet.metadata.num_rows
        return pd.RangeIndex(spec["start"], stop, spec["step"])
    if spec is None:
        return pd.RangeIndex(parquet.metadata.num_rows)
    values = parquet.read(columns=[spec]).column(0).to_numpy()
    index: pd.Index = pd.Index(values)
    return index


def table_column(parquet: pq.ParquetFile, name: str) -> pd.Series:
    column = parquet.read(columns=[name]).column(0)
    return pd.Series(column.to_pandas(), name=name)


def columns_compare(left: IO[bytes], right: IO[bytes]) -> dict[str, Any]:
    """Per shared column: rows that differ and the largest numeric difference.

    Reads the row ids once, then one column of each table at a time.
    """
    a, b = pq.ParquetFile(left), pq.ParquetFile(right)
    a_index, b_index = table_index(a), table_index(b)
    common = a_index.intersection(b_index)
    a_rows, b_rows = a_index.get_indexer(common), b_index.get_indexer(common)
    a_names, b_names = _column_names(a), _column_names(b)
    columns = [
        _column_compare(
            table_column(a, name).to_numpy()[a_rows],
            table_column(b, name).to_numpy()[b_rows],
            name,
        )
        for name in a_names
        if name in b_names
    ]
    only = sorted(set(a_names) ^ set(b_names))
    size = (len(a_index), len(b_index))
    changed = any(c["differ"] for c in columns) or only or size[0] != size[1]
    return {
        "verdict": "different" if changed else "equal values",
        "columns": columns,
        "only_in_one": only,
        "rows": size,
    }


def _column_compare(x: np.ndarray, y: np.ndarray, name: str) -> dict[str, Any]:
    left, right = pd.Series(x), pd.Series(y)
    differ = int((~((left == right) | (left.isna() & right.isna()))).sum())
    biggest = None
    if pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
        delta = np.abs(left.astype("float64") - right.astype("float64"))
        biggest = float(delta.max()) if len(delta) else 0.0
    return {"name": name, "differ": differ, "max_abs_diff": biggest}
