"""Fan-in: how the outputs of several parents become one input table.

Parents are joined column-wise on the row index (an inner join), in the order of
the edges. A column name produced by more than one parent is prefixed with its
source node id and :data:`SEPARATOR`: two parents ``ridge`` and ``forest`` that
both output ``prediction`` give ``ridge.prediction`` and ``forest.prediction``.
A column whose name would then equal a prefixed name is prefixed too (nested
fan-ins), so joined names are always unique.

Schema inference and execution both go through :func:`joined_names`, so the
names seen before running are the names produced when running.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from catena.frames import from_array, relabel
from catena.schema import Column, Schema

SEPARATOR = "."
#: Aligned numeric tables up to this many rows are joined with numpy, not
#: pd.concat, whose fixed cost (~60 µs) dominates a one-row prediction. Larger
#: tables take pd.concat, which never copies mixed-dtype tables to object arrays.
SMALL = 1000


def joined_names(parents: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, str]]:
    """Return ``(source, joined_name)`` for each parent column, in edge order.

    Parameters
    ----------
    parents : sequence of (str, sequence of str)
        Each parent's node id and column names, in the order of the edges.

    Returns
    -------
    list of (str, str)
        The source node id and the column's name in the joined table; the
        names are unique.

    Examples
    --------
    >>> joined_names([("a", ["y", "k"]), ("b", ["y"])])
    [('a', 'a.y'), ('a', 'k'), ('b', 'b.y')]
    >>> joined_names([("a", ["y"]), ("b", ["y"]), ("c", ["a.y"])])
    [('a', 'a.y'), ('b', 'b.y'), ('c', 'c.a.y')]
    """
    columns = [(src, name) for src, cols in parents for name in cols]
    counts = Counter(name for _, name in columns)
    prefixed = [counts[name] > 1 for _, name in columns]
    while True:
        names = [
            f"{src}{SEPARATOR}{name}" if pre else name
            for (src, name), pre in zip(columns, prefixed, strict=True)
        ]
        clashes = {n for n, c in Counter(names).items() if c > 1}
        if not clashes:
            return [(src, n) for (src, _), n in zip(columns, names, strict=True)]
        # Prefixed names are unique (ids hold no separator), so each pass
        # prefixes at least one more column and the loop ends.
        prefixed = [pre or n in clashes for pre, n in zip(prefixed, names, strict=True)]


def join_schemas(
    parents: Sequence[tuple[str, Schema]],
) -> tuple[Schema, dict[str, str]]:
    """Return the joined schema and, for each joined column, its source node.

    Examples
    --------
    >>> schema, sources = join_schemas([("a", (Column("y", "float"),)), ("b", ())])
    >>> schema, sources
    ((Column(name='y', dtype='float'),), {'y': 'a'})
    """
    named = joined_names([(src, [c.name for c in s]) for src, s in parents])
    columns = [c for _, s in parents for c in s]
    schema = tuple(Column(n, c.dtype) for (_, n), c in zip(named, columns, strict=True))
    return schema, {name: src for src, name in named}


def join_frames(parents: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Join the parents' tables column-wise on the index (inner join).

    A single parent's table is returned as it is, without a copy.

    Examples
    --------
    >>> a = pd.DataFrame({"y": [1.0, 2.0]})
    >>> b = pd.DataFrame({"y": [3.0]})
    >>> join_frames([("a", a), ("b", b)]).to_dict("list")
    {'a.y': [1.0], 'b.y': [3.0]}
    """
    if len(parents) == 1:
        return parents[0][1]
    tables = [df for _, df in parents]
    named = joined_names([(src, df.columns.tolist()) for src, df in parents])
    names = [name for _, name in named]
    first = tables[0].index
    aligned = all(first.equals(t.index) for t in tables[1:])
    if aligned and len(first) <= SMALL:
        stacked = _stack_uniform([t.to_numpy() for t in tables])
        if stacked is not None:
            return from_array(stacked, first, names)
    joined = pd.concat(tables, axis=1, join="outer" if aligned else "inner")
    return relabel(joined, names)


def _stack_uniform(arrays: list[np.ndarray[Any, Any]]) -> np.ndarray[Any, Any] | None:
    """Stack 2-D arrays of one numeric dtype side by side, else None."""
    dtype = arrays[0].dtype
    if dtype.kind == "O" or any(a.dtype != dtype for a in arrays):
        return None
    return np.hstack(arrays)
