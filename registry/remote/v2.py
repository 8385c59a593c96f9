"""The Open Inference Protocol (KServe V2) client encoding over JSON.

A request carries one tensor per declared input, row-major; the answer's
outputs are matched to the declared outputs by name (or, for one declared
output and one answered, by position) and checked for length and dtype.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from registry.remote import tensors as tz
from registry.remote.errors import RemoteError
from registry.remote.values import Array, column, dumps, stack

_NUMPY = {"float": np.float64, "int": np.int64, "bool": np.bool_, "str": object}


def encode(frame: pd.DataFrame, inputs: Sequence[tz.Tensor]) -> bytes:
    """The ``/infer`` body for the rows of ``frame`` (columns in signature order)."""
    n = len(frame)
    dtypes = {t.dtype for t in inputs}
    # One conversion of the whole frame when every tensor has one dtype: much
    # cheaper than selecting columns one by one.
    whole = frame.to_numpy(dtype=_NUMPY[dtypes.pop()]) if len(dtypes) == 1 else None
    payload = []
    position = 0
    for tensor in inputs:
        width = len(tensor.columns)
        dtype = _NUMPY[tensor.dtype]
        block = (
            whole[:, position : position + width]
            if whole is not None
            else frame.iloc[:, position : position + width].to_numpy(dtype=dtype)
        )
        position += width
        shape = [n] if len(tensor.shape) == 1 else [n, width]
        data = block[:, 0] if len(tensor.shape) == 1 else block
        payload.append(
            {
                "name": tensor.name,
                "datatype": tensor.datatype,
                "shape": shape,
                "data": data.ravel().tolist(),
            }
        )
    return dumps({"inputs": payload})


def decode(body: bytes, outputs: Sequence[tz.Tensor], rows: int) -> Array:
    """The answer's outputs as a ``(rows, columns)`` array in declared order."""
    answer = _json(body)
    given = answer.get("outputs") if isinstance(answer, dict) else None
    if not isinstance(given, list) or not all(isinstance(o, dict) for o in given):
        raise RemoteError('the answer has no "outputs" list of tensors')
    by_name = {o.get("name"): o for o in given}
    columns: list[Array] = []
    for tensor in outputs:
        found = by_name.get(tensor.name)
        if found is None and len(outputs) == 1 and len(given) == 1:
            found = given[0]
        if found is None:
            names = ", ".join(repr(o.get("name")) for o in given) or "none"
            raise RemoteError(
                f"the answer has no output {tensor.name!r} (it has {names})"
            )
        columns += _columns(found, tensor, rows)
    return stack(columns)


def _columns(found: dict[str, Any], tensor: tz.Tensor, rows: int) -> list[Array]:
    data = found.get("data")
    width = len(tensor.columns)
    if not isinstance(data, list):
        raise RemoteError(f"output {tensor.name!r} has no data list")
    if len(data) != rows * width:
        raise RemoteError(
            f"output {tensor.name!r} has {len(data)} values; expected {rows} rows x "
            f"{width} columns = {rows * width}"
        )
    values = column(data, tensor.dtype, f"output {tensor.name!r}")
    matrix = values.reshape(rows, width)
    return [matrix[:, i] for i in range(width)]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        head = body[:200].decode("utf-8", "replace")
        raise RemoteError(f"the answer is not JSON: {head!r}") from None


def metadata(body: bytes) -> tuple[tuple[tz.Tensor, ...], tuple[tz.Tensor, ...]]:
    """Input and output tensors from a ``GET /v2/models/<name>`` answer.

    Raises ``RemoteError`` when the answer declares no usable tensors.
    """
    answer = _json(body)
    if not isinstance(answer, dict):
        raise RemoteError("the model metadata is not a JSON object")
    try:
        inputs = tz.from_metadata(answer.get("inputs"), single_names=True)
    except ValueError as exc:
        raise RemoteError(f"the model metadata's inputs: {exc}") from None
    try:
        outputs = tz.from_metadata(answer.get("outputs"), single_names=False)
    except ValueError as exc:
        raise RemoteError(f"the model metadata's outputs: {exc}") from None
    return inputs, outputs
