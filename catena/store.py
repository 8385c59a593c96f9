"""Where node outputs are kept between runs, keyed by cache key."""

from __future__ import annotations

from typing import Protocol

import pandas as pd


class ArtifactStore(Protocol):
    """Node outputs by cache key; the runner's store writes Parquet files."""

    def get(self, key: str) -> pd.DataFrame | None:
        """Return the table stored under ``key``, or None."""
        ...

    def put(self, key: str, df: pd.DataFrame) -> None:
        """Store ``df`` under ``key`` (equal keys hold equal tables)."""
        ...


class MemoryStore:
    """An artifact store in a dict, for tests and the predict endpoint.

    Examples
    --------
    >>> store = MemoryStore()
    >>> store.put("k", pd.DataFrame({"a": [1]}))
    >>> store.get("k").to_dict("list"), store.get("other")
    ({'a': [1]}, None)
    """

    def __init__(self) -> None:
        self.tables: dict[str, pd.DataFrame] = {}

    def get(self, key: str) -> pd.DataFrame | None:
        """Return the table stored under ``key``, or None."""
        return self.tables.get(key)

    def put(self, key: str, df: pd.DataFrame) -> None:
        """Store ``df`` under ``key``."""
        self.tables[key] = df
