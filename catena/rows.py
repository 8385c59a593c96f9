"""Request rows (JSON records or columns) checked against a chain's input schema.

Only the declared columns are read; other keys are ignored, as a batch run
ignores extra columns. Each value must already be of its column's type (a
``bool`` or ``int`` widens to ``float``, a ``bool`` to ``int``); only ``float``
columns take ``null`` (as NaN). Everything wrong is reported at once, by column.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from catena.errors import RowsError
from catena.schema import Schema

INT64 = (-(2**63), 2**63 - 1)

_ACCEPTS: dict[str, tuple[type, ...]] = {
    "float": (float, int, bool),
    "int": (int, bool),
    "bool": (bool,),
    "str": (str,),
}
_NAMES = {str: "text", bool: "boolean", int: "integer", float: "number"}


#: A made-up value per dtype, for warming a code path up on one row.
PLACEHOLDERS: dict[str, Any] = {"float": 0.0, "int": 0, "str": "", "bool": False}


def placeholder_row(columns: Schema) -> pd.DataFrame:
    """One row of made-up values in ``columns``' names and dtypes.

    >>> from catena.schema import Column
    >>> placeholder_row((Column("x", "float"), Column("s", "str"))).to_dict("list")
    {'x': [0.0], 's': ['']}
    """
    return pd.DataFrame({c.name: [PLACEHOLDERS[c.dtype]] for c in columns})


def records_table(rows: Any, schema: Schema) -> pd.DataFrame:
    """Build the input table from JSON records (a list of objects).

    Raises
    ------
    RowsError
        When the body is not a non-empty list of objects or a column does not fit.

    Examples
    --------
    >>> from catena.schema import Column
    >>> records_table([{"x": 1}, {"x": 2.5}], (Column("x", "float"),)).x.tolist()
    [1.0, 2.5]
    """
    if not isinstance(rows, list) or not rows:
        raise RowsError({}, "give the rows as a non-empty list of objects")
    bad = next((i for i, row in enumerate(rows) if not isinstance(row, dict)), None)
    if bad is not None:
        raise RowsError({}, f"row {bad} is not an object")
    columns = {c.name: [row.get(c.name, _MISSING) for row in rows] for c in schema}
    return _table(columns, schema, len(rows))


def columns_table(columns: Any, schema: Schema) -> pd.DataFrame:
    """Build the input table from a columnar body ``{"name": [values], ...}``.

    Raises
    ------
    RowsError
        When columns are missing, not lists, of different lengths, or do not fit.

    Examples
    --------
    >>> from catena.schema import Column
    >>> columns_table({"x": [True, 2]}, (Column("x", "int"),)).x.tolist()
    [1, 2]
    """
    if not isinstance(columns, dict):
        raise RowsError({}, "give the columns as an object of lists")
    found = {c.name: columns.get(c.name, _MISSING) for c in schema}
    wrong = {n: "missing" for n, v in found.items() if v is _MISSING}
    wrong |= {
        n: "not a list"
        for n, v in found.items()
        if n not in wrong and not isinstance(v, list)
    }
    if wrong:
        raise RowsError(wrong)
    lengths = {len(v) for v in found.values()}
    if len(lengths) > 1 or 0 in lengths:
        sizes = {n: f"{len(v)} values" for n, v in found.items()}
        raise RowsError(
            sizes, "the columns must hold the same number of values (at least one)"
        )
    return _table(found, schema, lengths.pop())


class _Missing:
    def __repr__(self) -> str:
        return "missing"


_MISSING: Any = _Missing()


def _table(values: Mapping[str, Sequence[Any]], schema: Schema, n: int) -> pd.DataFrame:
    wrong: dict[str, str] = {}
    data: dict[str, Any] = {}
    for column in schema:
        problem = _problem(values[column.name], column.dtype)
        if problem:
            wrong[column.name] = problem
        elif not wrong:
            data[column.name] = _array(values[column.name], column.dtype)
    if wrong:
        raise RowsError(wrong)
    return pd.DataFrame(data, index=pd.RangeIndex(n))


def _problem(values: Sequence[Any], dtype: str) -> str:
    accepts = _ACCEPTS[dtype]
    for i, value in enumerate(values):
        if value is _MISSING:
            return f"missing in row {i}"
        if value is None:
            if dtype == "float":
                continue
            return f"row {i} is null; only float columns take null"
        if not isinstance(value, accepts):
            return f"row {i}: expected {dtype}, got {_kind(value)}"
        if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
            return f"row {i}: {value} does not fit in 64 bits"
        if isinstance(value, float) and math.isinf(value):
            return f"row {i}: infinite numbers are refused"
    return ""


def _kind(value: Any) -> str:
    return _NAMES.get(type(value), type(value).__name__.replace("dict", "object"))


def _array(values: Sequence[Any], dtype: str) -> Any:
    if dtype == "float":
        return np.array([np.nan if v is None else v for v in values], dtype="float64")
    if dtype == "int":
        return np.array(values, dtype="int64")
    if dtype == "bool":
        return np.array(values, dtype="bool")
    return list(values)
