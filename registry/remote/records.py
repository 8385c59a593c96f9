"""Plain JSON records: a list of row objects in, a list of row objects out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from catena.schema import Column
from registry.remote.errors import RemoteError
from registry.remote.values import Array, column, dumps, stack


def encode(frame: pd.DataFrame, inputs: Sequence[Column]) -> bytes:
    """``[{"feature": value, ...}, ...]``, one object per row, in order."""
    names = [c.name for c in inputs]
    columns = [frame.iloc[:, i].tolist() for i in range(len(names))]
    rows = [
        dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)
    ]
    return dumps(rows)


def decode(body: bytes, outputs: Sequence[Column], rows: int) -> Array:
    """The answer's records as a ``(rows, columns)`` array in declared order."""
    answer = _records(body)
    if len(answer) != rows:
        raise RemoteError(f"the answer has {len(answer)} records; expected {rows}")
    columns: list[Array] = []
    for out in outputs:
        try:
            values = [record[out.name] for record in answer]
        except KeyError:
            raise RemoteError(f"a record of the answer has no {out.name!r}") from None
        except TypeError:
            raise RemoteError("the answer's records must be JSON objects") from None
        columns.append(column(values, out.dtype, f"output {out.name!r}"))
    return stack(columns)


def _records(body: bytes) -> list[Any]:
    try:
        answer = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        head = body[:200].decode("utf-8", "replace")
        raise RemoteError(f"the answer is not JSON: {head!r}") from None
    if not isinstance(answer, list):
        raise RemoteError("the answer must be a JSON list of records, one per row")
    return answer
