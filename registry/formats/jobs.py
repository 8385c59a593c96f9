"""The work the sandbox does: inspect an upload, describe a trusted version.

These functions read hostile bytes; they run in the child process that
``registry.formats.sandbox`` starts, never in the web or worker process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from registry.formats.common import Inspection, ModelFileError, format_of, read_sample

if TYPE_CHECKING:
    import pandas as pd

# Each format's module is imported only when needed: the child starts afresh
# for every file, and importing scikit-learn or onnxruntime costs seconds.


def _sample(data: bytes | None) -> pd.DataFrame | None:
    return read_sample(data) if data is not None else None


def inspect_job(
    data: bytes, sample: bytes | None, *, filename: str, max_total_bytes: int
) -> dict[str, Any]:
    """Check a model file and learn its signature without running untrusted code."""
    if not data:
        raise ModelFileError("The model file is empty.")
    fmt = format_of(filename)
    frame = _sample(sample)
    return asdict(_inspect(data, fmt, frame, max_total_bytes))


def _inspect(
    data: bytes, fmt: str, frame: pd.DataFrame | None, max_total_bytes: int
) -> Inspection:
    if fmt == "skops":
        from registry.formats.skops import skops_inspect

        return skops_inspect(data, frame, max_total_bytes=max_total_bytes)
    if fmt == "onnx":
        from registry.formats.onnx import onnx_inspect

        return onnx_inspect(data, frame)
    from registry.formats.pickle import pickle_inspect

    return pickle_inspect(data, fmt, frame, max_total_bytes=max_total_bytes)


def describe_job(
    data: bytes, sample: bytes | None, *, fmt: str, trusted_types: list[str]
) -> dict[str, Any]:
    """Load a version being trusted and learn its signature and warnings."""
    from registry.formats.loading import load_object
    from registry.formats.signatures import signature_and_check

    obj, warnings = load_object(data, fmt, trusted_types=trusted_types, trusted=True)
    described: dict[str, Any] = {"warnings": warnings, "signature": None}
    if fmt != "onnx":
        described["signature"] = signature_and_check(obj, fmt, _sample(sample))
    described["sklearn_version"] = str(getattr(obj, "_sklearn_version", ""))[:30]
    return described


JOBS: dict[str, Callable[..., dict[str, Any]]] = {
    "inspect": inspect_job,
    "describe": describe_job,
}
