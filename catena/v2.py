"""The Open Inference Protocol ("V2") of KServe, MLServer and Triton: pure encoding.

A chain's input columns are the request's named tensors (one tensor per column,
shape ``[n]`` or ``[n, 1]``) and its output columns are the response's tensors.
Both the server (``serving``) and a client of a remote V2 model use these
functions; none of them does I/O. Tensors arrive as JSON ``data`` or, with the
binary tensor extension, as raw little-endian bytes after the JSON header
(``parameters.binary_data_size`` per tensor).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from catena.errors import ProtocolError
from catena.schema import Schema, dtype_of

#: The V2 datatype each schema dtype is sent as.
DATATYPES: dict[str, str] = {
    "float": "FP64",
    "int": "INT64",
    "bool": "BOOL",
    "str": "BYTES",
}
#: numpy dtypes of the fixed-size V2 datatypes (little-endian, as the protocol says).
NUMPY: dict[str, str] = {
    "BOOL": "?",
    "UINT8": "<u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "INT8": "<i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
}


def tensor_metadata(schema: Schema) -> list[dict[str, Any]]:
    """``[{"name", "datatype", "shape": [-1]}]`` for each column of a schema.

    Examples
    --------
    >>> from catena.schema import Column
    >>> tensor_metadata((Column("x", "float"),))
    [{'name': 'x', 'datatype': 'FP64', 'shape': [-1]}]
    """
    return [
        {"name": c.name, "datatype": DATATYPES[c.dtype], "shape": [-1]} for c in schema
    ]


def decode_inputs(body: Any, binary: bytes = b"") -> dict[str, list[Any]]:
    """The request's input tensors as plain Python lists, by tensor name.

    Parameters
    ----------
    body : object
        The decoded JSON of an inference request.
    binary : bytes
        What follows the JSON header under the binary tensor extension.

    Raises
    ------
    ProtocolError
        When the body, a tensor's shape, datatype or data is malformed.

    Examples
    --------
    >>> decode_inputs({"inputs": [{"name": "x", "shape": [2, 1], "datatype": "FP64",
    ...     "data": [[1.5], [2.0]]}]})
    {'x': [1.5, 2.0]}
    """
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise ProtocolError("the request needs an 'inputs' list of tensors")
    columns: dict[str, list[Any]] = {}
    offset = 0
    for tensor in body["inputs"]:
        name, values, offset = _decode_tensor(tensor, binary, offset)
        if name in columns:
            raise ProtocolError(f"input {name!r} is given twice")
        columns[name] = values
    if offset != len(binary):
        raise ProtocolError("the binary data is longer than the tensors it should hold")
    return columns


def _decode_tensor(
    tensor: Any, binary: bytes, offset: int
) -> tuple[str, list[Any], int]:
    if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
        raise ProtocolError("each input needs a 'name', 'shape', 'datatype' and 'data'")
    name, datatype = tensor["name"], tensor.get("datatype")
    count = _count(name, tensor.get("shape"))
    parameters = tensor.get("parameters") or {}
    size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
    if size is not None:
        if not isinstance(size, int) or size < 0 or offset + size > len(binary):
            raise ProtocolError(
                f"input {name!r}: binary_data_size does not fit the body"
            )
        values = _from_bytes(name, datatype, binary[offset : offset + size])
        offset += size
    else:
        values = _flat(name, tensor.get("data"))
        if datatype == "BYTES":
            values = [
                _text(name, v) if isinstance(v, str | bytes) else v for v in values
            ]
    if len(values) != count:
        raise ProtocolError(
            f"input {name!r}: shape holds {count} values, data {len(values)}"
        )
    return name, values, offset


def _count(name: str, shape: Any) -> int:
    valid = (
        isinstance(shape, list)
        and shape
        and all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        )
    )
    if not valid or len(shape) > 2 or (len(shape) == 2 and shape[1] != 1):
        raise ProtocolError(
            f"input {name!r}: the shape must be [n] or [n, 1] (one column)"
        )
    return int(shape[0])


def _flat(name: str, data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ProtocolError(f"input {name!r} has no 'data' list")
    if all(isinstance(v, list) for v in data) and data:
        if any(len(v) != 1 or isinstance(v[0], list) for v in data):
            raise ProtocolError(
                f"input {name!r}: nested data must be one value per row"
            )
        return [v[0] for v in data]
    return data


def _from_bytes(name: str, datatype: Any, raw: bytes) -> list[Any]:
    if datatype == "BYTES":
        return _unpack_bytes(name, raw)
    if datatype not in NUMPY:
        raise ProtocolError(f"input {name!r}: unknown datatype {datatype!r}")
    width = np.dtype(NUMPY[datatype]).itemsize
    if len(raw) % width:
        raise ProtocolError(
            f"input {name!r}: {len(raw)} bytes is not a whole number of {datatype}"
        )
    values: list[Any] = np.frombuffer(raw, dtype=NUMPY[datatype]).tolist()
    return values


def _unpack_bytes(name: str, raw: bytes) -> list[Any]:
    values, offset = [], 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise ProtocolError(f"input {name!r}: truncated BYTES element")
        (length,) = struct.unpack_from("<I", raw, offset)
        offset += 4
        if offset + length > len(raw):
            raise ProtocolError(f"input {name!r}: truncated BYTES element")
        values.append(_text(name, raw[offset : offset + length]))
        offset += length
    return values


def _text(name: str, value: str | bytes) -> str:
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(
            f"input {name!r}: BYTES values must be UTF-8 text"
        ) from None


def encode_outputs(
    table: pd.DataFrame, names: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Each column of a table as a V2 output tensor with JSON ``data``.

    NaN becomes ``null``, which JSON can carry (clients read it back as NaN).

    Raises
    ------
    ProtocolError
        When ``names`` asks for a column the table does not have.

    Examples
    --------
    >>> encode_outputs(pd.DataFrame({"y": [0.5, float("nan")]}))
    [{'name': 'y', 'datatype': 'FP64', 'shape': [2], 'data': [0.5, None]}]
    """
    wanted = list(table.columns) if names is None else list(names)
    missing = [n for n in wanted if n not in table.columns]
    if missing:
        raise ProtocolError(f"the chain has no output named {', '.join(missing)}")
    return [_encode_column(str(n), table[n]) for n in wanted]


def _encode_column(name: str, series: pd.Series[Any]) -> dict[str, Any]:
    datatype = DATATYPES[dtype_of(series)]
    data = series.tolist()
    if datatype == "FP64":
        data = [None if v != v else v for v in data]
    return {"name": name, "datatype": datatype, "shape": [len(data)], "data": data}


def encode_request(table: pd.DataFrame, request_id: str = "") -> dict[str, Any]:
    """A JSON inference request carrying each column of ``table`` as an input.

    Examples
    --------
    >>> encode_request(pd.DataFrame({"x": [1]}))["inputs"]
    [{'name': 'x', 'datatype': 'INT64', 'shape': [1], 'data': [1]}]
    """
    body: dict[str, Any] = {"inputs": encode_outputs(table)}
    if request_id:
        body["id"] = request_id
    return body


def decode_outputs(body: Any) -> pd.DataFrame:
    """The output tensors of a JSON inference response as a table.

    Raises
    ------
    ProtocolError
        When the response has no outputs list or a tensor is malformed.

    Examples
    --------
    >>> decode_outputs({"outputs": [{"name": "y", "shape": [1], "datatype": "FP64",
    ...     "data": [2.0]}]}).to_dict("list")
    {'y': [2.0]}
    """
    if not isinstance(body, dict) or not isinstance(body.get("outputs"), list):
        raise ProtocolError("the response needs an 'outputs' list of tensors")
    columns = decode_inputs({"inputs": body["outputs"]})
    return pd.DataFrame(columns)


def response(
    model: str, version: str, outputs: list[dict[str, Any]], request_id: Any = None
) -> dict[str, Any]:
    """The body of an inference response."""
    body: dict[str, Any] = {
        "model_name": model,
        "model_version": version,
        "outputs": outputs,
    }
    if isinstance(request_id, str) and request_id:
        body["id"] = request_id
    return body


def requested_outputs(body: Mapping[str, Any]) -> list[str] | None:
    """The output names the request asks for, or None for all of them.

    Raises
    ------
    ProtocolError
        When ``outputs`` is not a list of objects with a name.
    """
    outputs = body.get("outputs")
    if outputs is None:
        return None
    if not isinstance(outputs, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) for o in outputs
    ):
        raise ProtocolError("'outputs' must be a list of objects with a 'name'")
    return [o["name"] for o in outputs]
