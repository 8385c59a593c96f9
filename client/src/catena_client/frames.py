"""Tables in and out: pandas is imported only when a table is handled."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: Catena's column dtypes.
DTYPES = ("float", "int", "str", "bool")
Rows = list[dict[str, Any]]


def pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "Tables need pandas and pyarrow: pip install 'catena-client[pandas]'"
        ) from exc
    return pd


def is_frame(value: object) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "dtypes")


def dtype_of(dtype: Any) -> str:
    """Catena's name for a numpy/pandas dtype (``str`` for anything textual)."""
    kind = getattr(dtype, "kind", "O")
    return {"f": "float", "i": "int", "u": "int", "b": "bool"}.get(kind, "str")


def schema_of(
    columns: object, dtypes: Mapping[str, str] | None = None
) -> list[list[str | None]]:
    """``[[name, dtype or None], ...]`` from a DataFrame, names, or pairs.

    A dtype left ``None`` is filled in later from the first model's features.
    """
    given = dict(dtypes or {})
    if is_frame(columns):
        frame: pd.DataFrame = columns  # type: ignore[assignment]
        return [
            [str(n), given.get(str(n), dtype_of(t))] for n, t in frame.dtypes.items()
        ]
    if isinstance(columns, Mapping):
        return [[str(n), str(t)] for n, t in columns.items()]
    if isinstance(columns, str) or not isinstance(columns, Iterable):
        raise TypeError(
            "input() takes a DataFrame, column names or (name, dtype) pairs"
        )
    schema: list[list[str | None]] = []
    for item in columns:
        if isinstance(item, Sequence) and not isinstance(item, str):
            name, dtype = item
            schema.append([str(name), str(dtype)])
        else:
            schema.append([str(item), given.get(str(item))])
    return schema


def rows_of(table: object) -> Rows:
    """JSON-ready rows: a DataFrame's missing values become ``null``."""
    if is_frame(table):
        frame: pd.DataFrame = table  # type: ignore[assignment]
        rows: Rows = json.loads(frame.to_json(orient="records"))
        return rows
    if isinstance(table, list) and all(isinstance(r, Mapping) for r in table):
        return [dict(r) for r in table]
    raise TypeError("a table is a pandas DataFrame or a list of row dicts")


def parquet_of(table: object) -> bytes:
    """The table as Parquet bytes (index dropped: row ids are positions)."""
    frame = as_frame(table)
    buffer = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(buffer, index=False)
    return buffer.getvalue()


def csv_of(table: object) -> bytes:
    frame = as_frame(table)
    text: str = frame.to_csv(index=False)
    return text.encode()


def as_frame(table: object) -> pd.DataFrame:
    if is_frame(table):
        return table  # type: ignore[return-value]
    return frame_of_rows(rows_of(table))


def frame_of_parquet(data: bytes) -> pd.DataFrame:
    """A stored output; its index is the id of the input row each row came from."""
    frame: pd.DataFrame = pandas().read_parquet(io.BytesIO(data))
    return frame


def frame_of_rows(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    frame: pd.DataFrame = pandas().DataFrame(list(rows))
    return frame
