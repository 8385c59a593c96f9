"""Column schemas: ordered column names with one of four dtypes.

A :data:`Schema` is a tuple of :class:`Column`. The dtypes are ``"float"``,
``"int"``, ``"str"`` and ``"bool"``. A produced dtype *fits* a required one when
it is equal or widens without loss: ``bool`` feeds ``int`` and ``float``, ``int``
feeds ``float``; nothing else converts implicitly (``float`` never feeds ``int``,
nothing feeds ``str``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

Dtype: TypeAlias = Literal["float", "int", "str", "bool"]
DTYPES: tuple[Dtype, ...] = ("float", "int", "str", "bool")

_WIDENS: dict[str, frozenset[str]] = {
    "bool": frozenset({"bool", "int", "float"}),
    "int": frozenset({"int", "float"}),
    "float": frozenset({"float"}),
    "str": frozenset({"str"}),
}

#: numpy dtypes used when a column is cast to a schema dtype.
NUMPY_DTYPES: dict[str, Any] = {
    "float": "float64",
    "int": "int64",
    "bool": "bool",
    "str": "str",
}


@dataclass(frozen=True, slots=True)
class Column:
    """One named, typed column of a table.

    Examples
    --------
    >>> Column("price", "float")
    Column(name='price', dtype='float')
    """

    name: str
    dtype: Dtype


Schema: TypeAlias = tuple[Column, ...]


def fits(produced: str, required: str) -> bool:
    """Tell whether a column of dtype ``produced`` may feed one of ``required``.

    Examples
    --------
    >>> fits("int", "float"), fits("float", "int"), fits("int", "str")
    (True, False, False)
    """
    return required in _WIDENS.get(produced, frozenset())


@functools.lru_cache(maxsize=256)
def dtype_of_numpy(dtype: Any) -> Dtype:
    """Map a numpy or pandas dtype to a schema dtype (strings and objects: ``str``).

    Raises
    ------
    ValueError
        For dtypes with no schema equivalent (dates, complex numbers).

    Examples
    --------
    >>> dtype_of_numpy(np.dtype("int32"))
    'int'
    """
    if ptypes.is_bool_dtype(dtype):
        return "bool"
    if ptypes.is_integer_dtype(dtype):
        return "int"
    if ptypes.is_float_dtype(dtype):
        return "float"
    if ptypes.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "str"
    raise ValueError(f"unsupported dtype {dtype}")


def dtype_of(series: pd.Series[Any]) -> Dtype:
    """Return the schema dtype of a pandas Series.

    Parameters
    ----------
    series : pandas.Series
        Any column.

    Returns
    -------
    str
        One of ``"float"``, ``"int"``, ``"str"``, ``"bool"``.

    Raises
    ------
    ValueError
        For dtypes with no schema equivalent.

    Examples
    --------
    >>> dtype_of(pd.Series([1.5]))
    'float'
    """
    return dtype_of_numpy(series.dtype)


def schema_of(df: pd.DataFrame) -> Schema:
    """Return the schema of a DataFrame, in column order.

    Examples
    --------
    >>> schema_of(pd.DataFrame({"a": [1], "b": ["x"]}))
    (Column(name='a', dtype='int'), Column(name='b', dtype='str'))
    """
    return tuple(
        Column(str(name), dtype_of_numpy(dtype))
        for name, dtype in zip(df.columns, df.dtypes, strict=True)
    )


def schema_to_json(schema: Iterable[Column]) -> list[list[str]]:
    """Return ``[[name, dtype], ...]``.

    Examples
    --------
    >>> schema_to_json((Column("a", "int"),))
    [['a', 'int']]
    """
    return [[c.name, c.dtype] for c in schema]


def schema_from_json(data: Sequence[Sequence[str]]) -> Schema:
    """Build a schema from ``[[name, dtype], ...]``.

    Raises
    ------
    ValueError
        When an entry is not a pair or a dtype is unknown.

    Examples
    --------
    >>> schema_from_json([["a", "int"]])
    (Column(name='a', dtype='int'),)
    """
    return tuple(_column_from_json(item) for item in data)


def _column_from_json(item: Sequence[str]) -> Column:
    if isinstance(item, str) or len(item) != 2:
        raise ValueError(f"a schema entry must be [name, dtype], not {item!r}")
    name, dtype = item
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r} for column {name!r}")
    return Column(str(name), dtype)


def names(schema: Schema) -> list[str]:
    """Return the column names of a schema, in order."""
    return [c.name for c in schema]


def numpy_dtype_name(array: np.ndarray[Any, Any]) -> Dtype:
    """Return the schema dtype of a numpy array's elements."""
    return dtype_of_numpy(array.dtype)
