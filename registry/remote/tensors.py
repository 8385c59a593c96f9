"""A remote model's inputs and outputs as V2 tensors, and their columns.

One tensor of shape ``[-1]`` or ``[-1, 1]`` is one column named after it. A
tensor of shape ``[-1, k]`` holds ``k`` columns: ``x0 .. x{k-1}`` when it is
the only input (``[-1, 1]`` too) (so columns are matched by position, as for an unnamed
scikit-learn model), else ``<name>_0 .. <name>_{k-1}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from catena.schema import Column, Dtype, Schema

DATATYPES: dict[str, Dtype] = {
    **{t: "float" for t in ("FP16", "FP32", "FP64")},
    **{f"INT{b}": "int" for b in (8, 16, 32, 64)},
    **{f"UINT{b}": "int" for b in (8, 16, 32, 64)},
    "BOOL": "bool",
    "BYTES": "str",
}
FOR_DTYPE: dict[str, str] = {
    "float": "FP64",
    "int": "INT64",
    "bool": "BOOL",
    "str": "BYTES",
}
MAX_WIDTH = 10_000


@dataclass(frozen=True, slots=True)
class Tensor:
    """One named V2 tensor and the columns it carries."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    columns: Schema

    @property
    def dtype(self) -> Dtype:
        return DATATYPES[self.datatype]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


def from_metadata(items: Any, *, single_names: bool) -> tuple[Tensor, ...]:
    """Tensors from a metadata list ``[{"name", "datatype", "shape"}, ...]``.

    Raises ``ValueError`` with a message for the user.
    """
    if not isinstance(items, list) or not items:
        raise ValueError("declares no tensors")
    seen: set[str] = set()
    result = []
    for item in items:
        tensor = _tensor(item, positional=single_names and len(items) == 1)
        if tensor.name in seen:
            raise ValueError(f"declares the tensor {tensor.name!r} twice")
        seen.add(tensor.name)
        result.append(tensor)
    return tuple(result)


def _tensor(item: Any, *, positional: bool) -> Tensor:
    if not isinstance(item, Mapping):
        raise ValueError("has a tensor that is not an object")
    name, datatype, shape = item.get("name"), item.get("datatype"), item.get("shape")
    if not isinstance(name, str) or not name or len(name) > 200:
        raise ValueError("has a tensor without a name")
    if datatype not in DATATYPES:
        raise ValueError(
            f"tensor {name!r} has datatype {datatype!r}, not one of "
            + ", ".join(DATATYPES)
        )
    dims = _shape(shape, name)
    width = dims[1] if len(dims) == 2 else 1
    dtype = DATATYPES[datatype]
    if width == 1 and (len(dims) == 1 or not positional):
        return Tensor(name, datatype, dims, (Column(name, dtype),))
    names = [f"x{i}" if positional else f"{name}_{i}" for i in range(width)]
    return Tensor(name, datatype, dims, tuple(Column(n, dtype) for n in names))


def _shape(shape: Any, name: str) -> tuple[int, ...]:
    ok = isinstance(shape, list) and 1 <= len(shape) <= 2
    ok = ok and all(isinstance(d, int) and not isinstance(d, bool) for d in shape)
    if not ok or (len(shape) == 2 and not 1 <= shape[1] <= MAX_WIDTH):
        raise ValueError(
            f"tensor {name!r} has shape {shape!r}; expected [-1] or [-1, k] "
            "(one row per example)"
        )
    return tuple(shape)


def from_columns(columns: Sequence[Column]) -> tuple[Tensor, ...]:
    """One ``[-1]`` tensor per declared column."""
    return tuple(Tensor(c.name, FOR_DTYPE[c.dtype], (-1,), (c,)) for c in columns)


def columns_of(tensors: Sequence[Tensor]) -> Schema:
    return tuple(c for t in tensors for c in t.columns)


def to_json(tensors: Sequence[Tensor]) -> list[dict[str, Any]]:
    return [t.as_json() for t in tensors]


def load_json(
    items: Sequence[Mapping[str, Any]], *, single_names: bool
) -> tuple[Tensor, ...]:
    """Tensors as stored by :func:`to_json` (trusted: written by this code)."""
    return from_metadata(list(items), single_names=single_names)
