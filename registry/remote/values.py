"""Columns of an answer checked against the declared output dtype."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from registry.remote.errors import RemoteError

Array = np.ndarray[Any, Any]


def column(values: Sequence[Any], dtype: str, where: str) -> Array:
    """``values`` as an array of ``dtype``; ``RemoteError`` when one does not fit."""
    if dtype == "str":
        if not all(isinstance(v, str) for v in values):
            raise RemoteError(f"{where}: expected text values")
        return np.asarray(values, dtype=object)
    if dtype == "bool":
        if not all(isinstance(v, bool) for v in values):
            raise RemoteError(f"{where}: expected true/false values")
        return np.asarray(values, dtype=bool)
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next((v for v in values if not _number(v)), None)
        raise RemoteError(f"{where}: expected numbers, got {bad!r}") from None
    if array.ndim != 1:
        raise RemoteError(f"{where}: expected one value per row, got nested lists")
    if dtype == "int":
        finite = array[np.isfinite(array)]
        if finite.size != array.size or not np.all(finite == np.round(finite)):
            raise RemoteError(f"{where}: expected whole numbers")
        return array.astype(np.int64)
    return array


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def stack(columns: Sequence[Array]) -> Array:
    """One column as is; several side by side (as objects when their dtypes differ)."""
    if len(columns) == 1:
        return columns[0]
    if len({c.dtype for c in columns}) == 1:
        return np.column_stack(columns)
    return np.column_stack([c.astype(object) for c in columns])


def dumps(value: Any) -> bytes:
    """Compact JSON; ``RemoteError`` for NaN or infinities, which JSON cannot carry."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
    except ValueError:
        raise RemoteError(
            "the rows hold missing or infinite values, which JSON cannot carry; "
            "fill them before this step (a transform's fill missing)"
        ) from None
