"""Node outputs stored once per key as Parquet through Django's storage API."""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from catena.schema import dtype_of_numpy
from runner import sql
from runner.models import Artifact, Run

PREVIEW_ROWS = 20
HISTOGRAM_BINS = 12
HISTOGRAM_COLUMNS = 12
#: Histograms are drawn from at most this many evenly spaced rows.
HISTOGRAM_SAMPLE = 5_000
#: Recently written or read tables kept in this process (equal key, equal table),
#: so a node running where its parent ran skips reading the parent's file.
RECENT_TABLES = 16
RECENT_CELLS = 5_000_000
#: Passed as ``known`` when the caller has just seen that no row holds the key.
ABSENT = object()


def artifact_path(key: str) -> str:
    return f"artifacts/{key[:2]}/{key}.parquet"


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
    """A small histogram of each numeric column (the first few)."""
    positions = [
        i for i, dtype in enumerate(df.dtypes) if pd.api.types.is_numeric_dtype(dtype)
    ][:HISTOGRAM_COLUMNS]
    if not positions or len(df) == 0:
        return {}
    step = max(1, len(df) // HISTOGRAM_SAMPLE)
    # One conversion of the sampled numeric columns, not one per column.
    sample = df.iloc[::step, positions].to_numpy(dtype="float64", na_value=np.nan)
    stats: dict[str, Any] = {}
    for j, i in enumerate(positions):
        values = sample[:, j]
        values = values[np.isfinite(values)]
        if len(values) == 0:
            continue
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
        stats[str(df.columns[i])] = {
            "min": float(edges[0]),
            "max": float(edges[-1]),
            "mean": float(values.mean()),
            "counts": [int(c) for c in counts],
        }
    return stats


def table_to_parquet(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame = df.rename(columns=str) if not all(isinstance(c, str) for c in df) else df
    # One thread: pyarrow's parallel conversion costs more than it saves on a
    # worker whose other process is busy too. A RangeIndex is kept as metadata
    # (pandas' default), any other index as columns. Dictionary encoding and
    # column statistics cost several times the rest of the write for float
    # columns, and nothing reads these files selectively.
    table = pa.Table.from_pandas(frame, preserve_index=None, nthreads=1)
    pq.write_table(
        table,
        buffer,
        compression="lz4",
        use_dictionary=False,
        write_statistics=False,
    )
    return buffer.getvalue()


def table_from_parquet(data: bytes | Any) -> pd.DataFrame:
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    return pd.read_parquet(source, engine="pyarrow")


class DjangoArtifactStore:
    """``catena.store.ArtifactStore`` over Django's default storage.

    A key is written once: an existing file is never overwritten, and a
    concurrent writer of the same key (equal keys hold equal tables) drops its
    copy.
    """

    def get(self, key: str) -> pd.DataFrame | None:
        """Return the table under ``key``, or None (also when its file is gone)."""
        artifact = artifact_get(key=key)
        if artifact is None:
            return None
        try:
            with default_storage.open(artifact.path, "rb") as handle:
                return table_from_parquet(handle.read())
        except FileNotFoundError:
            return None

    def put(self, key: str, df: pd.DataFrame) -> None:
        artifact_put(key=key, df=df)


def artifact_file_exists(artifact: Artifact) -> bool:
    return default_storage.exists(artifact.path)


def artifact_get(*, key: str) -> Artifact | None:
    """The stored artifact under ``key`` whose file is present, or None."""
    artifact = Artifact.objects.filter(key=key).first()
    if artifact is None or not artifact_file_exists(artifact):
        return None
    return artifact


class _RecentTables:
    """A small per-process LRU of tables by key, bounded in entries and cells."""

    def __init__(self) -> None:
        self.tables: OrderedDict[str, pd.DataFrame] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> pd.DataFrame | None:
        with self.lock:
            table = self.tables.get(key)
            if table is not None:
                self.tables.move_to_end(key)
        # A shallow copy under copy-on-write: a step that assigns to its input
        # changes its own copy, never the kept table.
        return None if table is None else table.copy(deep=False)

    def put(self, key: str, table: pd.DataFrame) -> None:
        if table.size > RECENT_CELLS:
            return
        with self.lock:
            self.tables[key] = table.copy(deep=False)
            self.tables.move_to_end(key)
            while len(self.tables) > RECENT_TABLES or self._cells() > RECENT_CELLS:
                self.tables.popitem(last=False)

    def _cells(self) -> int:
        return sum(t.size for t in self.tables.values())

    def clear(self) -> None:
        with self.lock:
            self.tables.clear()


recent_tables = _RecentTables()


def artifact_load(*, artifact: Artifact) -> pd.DataFrame:
    kept = recent_tables.get(artifact.key)
    if kept is not None:
        return kept
    with default_storage.open(artifact.path, "rb") as handle:
        table = table_from_parquet(handle.read())
    recent_tables.put(artifact.key, table)
    return table


def _file_write(path: str, data: bytes) -> None:
    if default_storage.exists(path):
        return
    saved = default_storage.save(path, ContentFile(data))
    if saved != path:
        # Another process wrote the same key meanwhile; its table is equal.
        default_storage.delete(saved)


def artifact_write(*, key: str, df: pd.DataFrame) -> dict[str, Any]:
    """Write ``df``'s file under ``key`` (once) and return the row's fields."""
    data = table_to_parquet(df)
    path = artifact_path(key)
    _file_write(path, data)
    recent_tables.put(key, df)
    return {
        "path": path,
        "rows": len(df),
        "size": len(data),
        "schema": table_schema(df),
        "preview": table_preview(df),
        "stats": table_stats(df),
    }


def artifact_record(
    *,
    key: str,
    fields: dict[str, Any],
    run: Run | None = None,
    node_id: str = "",
    parent_ids: Iterable[int] = (),
    known: Any = None,
) -> Artifact:
    """The row of a written file (created once per key), linked to its parents.

    ``known`` is the row the caller found under ``key`` (or ``ABSENT``), which
    saves looking again; a row created meanwhile is still found (unique key).
    """
    existing = Artifact.objects.filter(key=key).first() if known is None else known
    if isinstance(existing, Artifact):
        # A row whose file had gone missing: the file is back; keep its history.
        return existing
    artifact = Artifact(key=key, run=run, node_id=node_id, **fields)
    # The unique key is the database's to enforce (ON CONFLICT below) and the
    # run row is locked by the caller: two queries saved per node.
    artifact.full_clean(exclude=["run"], validate_unique=False)
    with transaction.atomic(savepoint=False):
        artifact.id = sql.artifact_insert(artifact)
        if artifact.id is None:
            # Another process stored the same key meanwhile; its table is equal.
            return Artifact.objects.get(key=key)
        sql.artifact_parents_link(artifact.id, sorted(set(parent_ids)))
    return artifact


def artifact_put(
    *,
    key: str,
    df: pd.DataFrame,
    run: Run | None = None,
    node_id: str = "",
    parent_ids: Iterable[int] = (),
) -> Artifact:
    """Store ``df`` under ``key`` (file first, then the row) and return the row."""
    fields = artifact_write(key=key, df=df)
    return artifact_record(
        key=key, fields=fields, run=run, node_id=node_id, parent_ids=parent_ids
    )


def artifact_forget(*, artifact: Artifact) -> list[str]:
    """Delete a stored output and every output computed from it; return their keys."""
    doomed = _descendants(artifact)
    keys = [a.key for a in doomed]
    with transaction.atomic():
        Artifact.objects.filter(id__in=[a.id for a in doomed]).delete()
    for a in doomed:
        default_storage.delete(a.path)
    return keys


def _descendants(artifact: Artifact) -> list[Artifact]:
    seen: dict[int, Artifact] = {artifact.id: artifact}
    frontier = [artifact.id]
    while frontier:
        children = Artifact.objects.filter(parents__in=frontier).exclude(
            id__in=list(seen)
        )
        frontier = []
        for child in children.distinct():
            seen[child.id] = child
            frontier.append(child.id)
    return [a for a in seen.values() if not a.datasets.exists()]
