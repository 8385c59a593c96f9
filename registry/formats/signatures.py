"""Signatures of loaded scikit-learn objects, and the check on the sample."""

from __future__ import annotations

from typing import Any

import pandas as pd

from catena.adapters import OnnxModel, SklearnModel, signature_from_estimator
from catena.resolving import METHODS
from catena.schema import Column, schema_to_json
from registry.formats.common import ModelFileError, ModelRunError


def adapter_for(obj: Any, fmt: str) -> SklearnModel | OnnxModel:
    return OnnxModel(obj) if fmt == "onnx" else SklearnModel(obj)


def signature_and_check(
    obj: Any, fmt: str, sample: pd.DataFrame | None
) -> dict[str, Any]:
    """The signature of a loaded scikit-learn object, checked on its sample."""
    if not any(hasattr(obj, m) for m in METHODS):
        raise ModelFileError(
            f"The file holds a {type(obj).__name__}, which offers none of "
            f"{', '.join(METHODS)}."
        )
    try:
        sig = signature_from_estimator(obj, _aligned(obj, sample))
    except Exception as exc:
        raise ModelRunError(f"The model's signature cannot be derived: {exc}") from exc
    inputs = list(sig.inputs)
    positional = not hasattr(obj, "feature_names_in_")
    if positional and sample is not None and len(sample.columns) == len(inputs):
        inputs = [
            Column(str(n), c.dtype) for n, c in zip(sample.columns, inputs, strict=True)
        ]
    signature = {
        "inputs": schema_to_json(inputs),
        "outputs": {m: schema_to_json(s) for m, s in sig.outputs.items()},
    }
    check_runs(adapter_for(obj, fmt), signature, sample)
    return signature


def _aligned(obj: Any, sample: pd.DataFrame | None) -> pd.DataFrame | None:
    if sample is None or not hasattr(obj, "feature_names_in_"):
        return sample
    missing = [str(n) for n in obj.feature_names_in_ if n not in sample.columns]
    if missing:
        raise ModelRunError(
            f"The sample lacks the model's features: {', '.join(missing)}."
        )
    return sample[list(obj.feature_names_in_)]


def check_runs(
    adapter: Any, signature: dict[str, Any], sample: pd.DataFrame | None
) -> None:
    """Call every method on the sample; a failure is refused with its message."""
    if sample is None:
        return
    names = [n for n, _ in signature["inputs"]]
    missing = [n for n in names if n not in sample.columns]
    if missing:
        has = ", ".join(map(str, sample.columns))
        raise ModelRunError(
            f"The sample's columns do not match the model: missing "
            f"{', '.join(missing)}; the sample has {has}."
        )
    frame = sample[names]
    for method in signature["outputs"]:
        try:
            adapter.call(method, frame)
        except Exception as exc:
            raise ModelRunError(
                f"The model fails on its own sample ({method}): {exc}"
            ) from exc
