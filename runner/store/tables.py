"""Tables as stored: Parquet bytes, schema, preview, histograms, recent tables kept.

Nothing here touches the database or a file: the artifact functions in
``runner.store.artifacts`` put these bytes and fields under a key.
"""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from catena.schema import dtype_of_numpy

PREVIEW_ROWS = 20
HISTOGRAM_BINS = 12
HISTOGRAM_COLUMNS = 12
#: Histograms are drawn from at most this many evenly spaced rows.
HISTOGRAM_SAMPLE = 5_000
#: Recently written or read tables kept in this process (equal key, equal table),
#: so a node running where its parent ran skips reading the parent's file.
RECENT_TABLES = 16
RECENT_CELLS = 5_000_000


def table_schema(df: pd.DataFrame) -> list[list[str]]:
    """``[[name, dtype]]`` with Catena's dtypes, or pandas' name where none fits."""
    return [[str(name), _dtype_name(dtype)] for name, dtype in df.dtypes.items()]


def _dtype_name(dtype: Any) -> str:
    try:
        return dtype_of_numpy(dtype)
    except ValueError:
        return str(dtype)


def table_preview(df: pd.DataFrame, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    """The first rows as JSON-safe cells, with the row ids."""
    head = df.head(rows)
    cells = [[_cell(v) for v in row] for row in head.to_numpy(dtype=object).tolist()]
    return {
        "columns": [str(c) for c in head.columns],
        "index": [_cell(i) for i in head.index],
        "rows": cells,
    }


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def table_stats(df: pd.DataFrame) -> dict[str, Any]:
    """A small histogram of each numeric column (the first few).

    The columns are binned together, as ``np.histogram`` bins each (equal
    counts and edges): one pass over the sample instead of one call per
    column, which costs more than the rest of a small table's write.
    """
    positions = [
        i for i, dtype in enumerate(df.dtypes) if pd.api.types.is_numeric_dtype(dtype)
    ][:HISTOGRAM_COLUMNS]
    if not positions or len(df) == 0:
        return {}
    step = max(1, len(df) // HISTOGRAM_SAMPLE)
    # One conversion of the sampled numeric columns, not one per column.
    numeric = df if len(positions) == df.shape[1] else df.iloc[:, positions]
    sampled = numeric if step == 1 else numeric.iloc[::step]
    sample = sampled.to_numpy(dtype="float64", na_value=np.nan)
    finite = np.isfinite(sample)
    seen = finite.any(axis=0)
    if not seen.any():
        return {}
    if not seen.all():
        sample, finite = sample[:, seen], finite[:, seen]
    low = np.where(finite, sample, np.inf).min(axis=0)
    high = np.where(finite, sample, -np.inf).max(axis=0)
    edges = _edges(low, high)
    counts = _counts(sample, finite, edges).tolist()
    means = _means(sample, finite)
    firsts, lasts = edges[:, 0].tolist(), edges[:, -1].tolist()
    labels = [str(c) for c in df.columns]
    names = [labels[i] for i, s in zip(positions, seen.tolist(), strict=True) if s]
    # Python floats and ints from whole arrays at once: per cell, numpy
    # scalars cost more than the histogram of a small table.
    return {
        name: {
            "min": firsts[j],
            "max": lasts[j],
            "mean": means[j],
            "counts": counts[j],
        }
        for j, name in enumerate(names)
    }


def _means(sample: np.ndarray, finite: np.ndarray) -> list[float]:
    """Each column's mean over its finite values, equal to numpy's ``mean`` of
    that column alone: a row of the transposed copy is summed the same way
    (pairwise), and a column with a gap is taken alone."""
    whole = finite.all(axis=0)
    means = np.empty(sample.shape[1])
    if whole.any():
        means[whole] = np.ascontiguousarray(sample[:, whole].T).mean(axis=1)
    for j in np.flatnonzero(~whole).tolist():
        means[j] = sample[finite[:, j], j].mean()
    return [float(m) for m in means.tolist()]


def _edges(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Each column's bin edges, as ``np.histogram`` makes them (one row each)."""
    same = low == high
    low, high = np.where(same, low - 0.5, low), np.where(same, high + 0.5, high)
    edges = np.linspace(low, high, HISTOGRAM_BINS + 1, axis=1)
    # A range narrower than the floats' spacing there (19.0 and
    # 19.000000000000004) cannot be cut into bins; numpy refuses, we widen it.
    narrow = (np.diff(edges, axis=1) <= 0).any(axis=1)
    if narrow.any():
        edges[narrow] = np.linspace(
            low[narrow] - 0.5, high[narrow] + 0.5, HISTOGRAM_BINS + 1, axis=1
        )
    return edges


def _counts(sample: np.ndarray, finite: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per column, how many finite values fall in each bin (numpy's rules: the
    last bin holds its right edge)."""
    bins = HISTOGRAM_BINS
    first, last = edges[:, 0], edges[:, -1]
    values = np.where(finite, sample, first)
    index = ((values - first) / (last - first) * bins).astype(np.intp)
    index = np.clip(index, 0, bins - 1)
    # Correct float rounding against the edges themselves, as numpy does.
    columns = np.arange(edges.shape[0])
    index -= values < edges[columns, index]
    above = (values >= edges[columns, index + 1]) & (index != bins - 1)
    index += above
    flat = (index + columns * bins)[finite]
    return np.bincount(flat, minlength=bins * edges.shape[0]).reshape(-1, bins)


def tables_same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Equal labels, index, dtypes and values (NaN equal to NaN)."""
    return (
        a.shape == b.shape
        and a.columns.tolist() == b.columns.tolist()
        and a.index.equals(b.index)
        and a.dtypes.tolist() == b.dtypes.tolist()
        and a.equals(b)
    )


def table_to_parquet(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame = df.rename(columns=str) if not all(isinstance(c, str) for c in df) else df
    # One thread: pyarrow's parallel conversion costs more than it saves on a
    # worker whose other process is busy too. A RangeIndex is kept as metadata
    # (pandas' default), any other index as columns. Dictionary encoding and
    # column statistics cost several times the rest of the write for float
    # columns, and nothing reads these files selectively.
    table = _arrow_table(frame)
    pq.write_table(
        table,
        buffer,
        compression="lz4",
        use_dictionary=False,
        write_statistics=False,
    )
    return buffer.getvalue()


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as Arrow, keeping what reading it back needs (index, dtypes).

    A frame of one plain numeric dtype on the default index reads back equal
    with no pandas metadata: it is taken as one array, a column slice each,
    10 times faster than pandas' column-by-column conversion (2.7 ms for a
    45-column row, more than the rest of a small node's write).
    """
    if _plain(frame):
        values = frame.to_numpy()
        return pa.table({name: values[:, i] for i, name in enumerate(frame.columns)})
    return pa.Table.from_pandas(frame, preserve_index=None, nthreads=1)


def _plain(frame: pd.DataFrame) -> bool:
    index = frame.index
    if not isinstance(index, pd.RangeIndex) or index.start != 0 or index.step != 1:
        return False
    if index.name is not None or frame.columns.name is not None:
        return False  # names live in pandas' metadata
    if not frame.columns.is_unique or frame.columns.dtype.kind not in "OT":
        return False
    dtypes = set(frame.dtypes)
    if len(dtypes) != 1:
        return False
    dtype = next(iter(dtypes))
    return isinstance(dtype, np.dtype) and dtype.kind in "biuf"


def table_from_parquet(data: bytes | Any) -> pd.DataFrame:
    """A stored table as ``pd.read_parquet`` gives it (its index and dtypes from
    pandas' metadata), read by pyarrow's plain file reader instead of its
    dataset layer: 0.6 against 1.3 ms for a 1-row output, 2.5 against 6.7 ms
    for 100,000 rows of five columns. (pandas adds to pyarrow's conversion
    only what pyarrow before 25 lacked, and the ``attrs`` our files never hold.)
    """
    source = pa.BufferReader(data) if isinstance(data, bytes) else data
    table: pd.DataFrame = (
        pq.ParquetFile(source).read(use_pandas_metadata=True).to_pandas()
    )
    return table


class _RecentTables:
    """A small per-process LRU of tables by key, bounded in entries and cells."""

    def __init__(self) -> None:
        #: Key -> (table, its cells); ``cells`` is their sum, kept as they
        #: come and go (summing every table's size per put cost 0.1 ms a node).
        self.tables: OrderedDict[str, tuple[pd.DataFrame, int]] = OrderedDict()
        self.cells = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> pd.DataFrame | None:
        with self.lock:
            found = self.tables.get(key)
            if found is not None:
                self.tables.move_to_end(key)
        # A shallow copy under copy-on-write: a step that assigns to its input
        # changes its own copy, never the kept table.
        return None if found is None else found[0].copy(deep=False)

    def put(self, key: str, table: pd.DataFrame) -> None:
        cells = table.size
        if cells > RECENT_CELLS:
            return
        with self.lock:
            self._drop(key)
            self.tables[key] = (table.copy(deep=False), cells)
            self.cells += cells
            while len(self.tables) > RECENT_TABLES or self.cells > RECENT_CELLS:
                self._drop(next(iter(self.tables)))

    def _drop(self, key: str) -> None:
        found = self.tables.pop(key, None)
        if found is not None:
            self.cells -= found[1]

    def clear(self) -> None:
        with self.lock:
            self.tables.clear()
            self.cells = 0


recent_tables = _RecentTables()
