"""Loading a model object in this process: what a worker does to run a model.

pickle and joblib files are unpickled only for a version a staff user trusted;
skops files only with the types skops trusts plus those a staff user listed;
ONNX files only once every tensor is known to live inside the file.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from registry.formats.common import ModelFileError
from registry.formats.onnx import onnx_session


def load_object(
    data: bytes, fmt: str, *, trusted_types: list[str], trusted: bool = False
) -> tuple[Any, list[str]]:
    """Load a model object; pickle and joblib only when ``trusted`` is True.

    Returns the object and the warnings raised while loading it.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = _load(data, fmt, trusted_types, trusted)
    messages = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)
    ]
    return obj, sorted(set(messages))


def _load(data: bytes, fmt: str, trusted_types: list[str], trusted: bool) -> Any:
    if fmt == "skops":
        import skops.io as sio

        try:
            return sio.loads(data, trusted=trusted_types)
        except MemoryError:
            raise
        except Exception as exc:
            raise ModelFileError(f"The skops file cannot be loaded: {exc}") from exc
    if fmt == "onnx":
        return onnx_session(data)
    if not trusted:
        raise PermissionError("An untrusted pickle or joblib file is never loaded.")
    return _unpickle(data, fmt)


def _unpickle(data: bytes, fmt: str) -> Any:
    try:
        if fmt == "joblib":
            import joblib

            return joblib.load(io.BytesIO(data))
        import pickle

        return pickle.loads(data)  # noqa: S301 - only after a staff user trusted it
    except MemoryError:
        raise
    except Exception as exc:
        raise ModelFileError(f"The {fmt} file cannot be loaded: {exc}") from exc
