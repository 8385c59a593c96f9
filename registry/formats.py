"""What a model file is, what it offers, and how to load it safely.

Nothing here unpickles a pickle or joblib file unless the caller says the
version is trusted: the inspection of such files reads their opcodes with
``pickletools`` (which executes nothing) to list the globals they would import.
skops files are loaded only with the types skops trusts by default plus those a
staff user trusted; ONNX files are loaded with onnxruntime, which runs no Python.
"""

from __future__ import annotations

import io
import pickletools
import platform
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sklearn

from catena.adapters import OnnxModel, SklearnModel, signature_from_estimator
from catena.resolving import METHODS
from catena.schema import Column, Schema, schema_of, schema_to_json

ACCEPTED = {
    ".skops": "skops",
    ".onnx": "onnx",
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".joblib": "joblib",
}
ACCEPTED_TEXT = "skops (.skops), ONNX (.onnx), pickle (.pkl, .pickle), joblib (.joblib)"
SAMPLE_MAX_ROWS = 1000
# A joblib file is a pickle stream (protocol 2+ starts with 0x80) or one of
# joblib's compressed containers: zlib, gzip, bz2, xz, lzma, lz4.
JOBLIB_MAGICS = (
    b"\x80",
    b"x",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"\x5d\x00\x00",
    b"\x04\x22\x4d\x18",
)


class ModelFileError(ValueError):
    """A file that cannot be a model of its format; the message is for the user."""


class ModelRunError(ValueError):
    """The model failed on its own sample; the message is the model's error."""


@dataclass
class Inspection:
    """What was learned about an uploaded file."""

    format: str
    library: str = ""
    library_version: str = ""
    sklearn_version: str = ""
    numpy_version: str = ""
    python_version: str = ""
    untrusted_types: list[str] = field(default_factory=list)
    # None when the signature can be known only by loading (after trust).
    signature: dict[str, Any] | None = None
    load_warnings: list[str] = field(default_factory=list)

    @property
    def methods(self) -> list[str]:
        return list((self.signature or {}).get("outputs", {}))

    @property
    def needs_trust(self) -> bool:
        return self.format in ("pickle", "joblib") or bool(self.untrusted_types)


def format_of(filename: str) -> str:
    """The format named by a file's extension, or a ModelFileError."""
    lower = filename.lower()
    for ext, fmt in ACCEPTED.items():
        if lower.endswith(ext):
            return fmt
    raise ModelFileError(
        f"'{filename}' is not an accepted model format. Accepted: {ACCEPTED_TEXT}."
    )


def installed_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }


# Sample ----------------------------------------------------------------------
def read_sample(data: bytes) -> pd.DataFrame:
    """A sample CSV as a DataFrame (first rows only), or a ModelFileError."""
    if not data.strip():
        raise ModelFileError("The sample file is empty.")
    try:
        frame = pd.read_csv(io.BytesIO(data), nrows=SAMPLE_MAX_ROWS)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ModelFileError(f"The sample is not a readable CSV file: {exc}") from exc
    if frame.empty:
        raise ModelFileError("The sample has a header but no rows.")
    return frame


# Inspection ------------------------------------------------------------------
def inspect(data: bytes, filename: str, sample: pd.DataFrame | None) -> Inspection:
    """Check a model file and learn its signature without running untrusted code."""
    if not data:
        raise ModelFileError("The model file is empty.")
    fmt = format_of(filename)
    if fmt == "skops":
        return _inspect_skops(data, sample)
    if fmt == "onnx":
        return _inspect_onnx(data, sample)
    return _inspect_pickle(data, fmt, sample)


def _inspect_skops(data: bytes, sample: pd.DataFrame | None) -> Inspection:
    import skops.io as sio

    schema = _skops_schema(data)
    try:
        untrusted = list(sio.get_untrusted_types(data=data))
    except Exception as exc:  # skops raises many types on damaged files
        raise ModelFileError(f"The skops file cannot be read: {exc}") from exc
    found = Inspection(
        format="skops",
        library="skops",
        library_version=str(schema.get("_skops_version", "")),
        sklearn_version=_skops_sklearn_version(schema),
        untrusted_types=untrusted,
    )
    if not untrusted:
        loaded, found.load_warnings = load_object(data, "skops", trusted_types=[])
        found.signature = signature_and_check(loaded, "skops", sample)
    return found


def _skops_schema(data: bytes) -> dict[str, Any]:
    import json

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            bad = archive.testzip()
            if bad is not None:
                raise ModelFileError(f"The skops file is damaged (member {bad}).")
            schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(
            "The file is not a valid skops file (a skops file is a zip archive "
            f"holding schema.json): {exc}"
        ) from exc
    if not isinstance(schema, dict):
        raise ModelFileError("The skops file's schema.json is not an object.")
    return schema


def _skops_sklearn_version(node: Any, depth: int = 0) -> str:
    """The ``_sklearn_version`` attribute recorded in the top-level estimator."""
    if not isinstance(node, dict) or depth > 3:
        return ""
    content = node.get("content")
    if isinstance(content, dict):
        version = content.get("_sklearn_version")
        if isinstance(version, dict) and "content" in version:
            return str(version["content"]).strip('"')
        return _skops_sklearn_version(content, depth + 1)
    return ""


def _inspect_onnx(data: bytes, sample: pd.DataFrame | None) -> Inspection:
    import onnx

    try:
        proto = onnx.load_model(io.BytesIO(data), load_external_data=False)
    except Exception as exc:  # protobuf raises DecodeError and others
        raise ModelFileError(f"The file is not a valid ONNX model: {exc}") from exc
    _refuse_external_data(proto)
    try:
        onnx.checker.check_model(proto)
    except Exception as exc:
        raise ModelFileError(f"The ONNX model is not valid: {exc}") from exc
    session, load_warnings = load_object(data, "onnx", trusted_types=[])
    meta = {p.key: p.value for p in proto.metadata_props}
    found = Inspection(
        format="onnx",
        library=proto.producer_name or "onnx",
        library_version=proto.producer_version,
        sklearn_version=meta.get("sklearn_version", ""),
        numpy_version=meta.get("numpy_version", ""),
        python_version=meta.get("python_version", ""),
        load_warnings=load_warnings,
    )
    signature = _onnx_signature(proto, session, sample, meta)
    check_runs(OnnxModel(session), signature, sample)
    found.signature = signature
    return found


def _refuse_external_data(proto: Any) -> None:
    import onnx
    from onnx.external_data_helper import _get_all_tensors

    for tensor in _get_all_tensors(proto):
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            raise ModelFileError(
                f"The ONNX model refers to external data (tensor '{tensor.name}'); "
                "only self-contained ONNX files are accepted."
            )


_ONNX_DTYPES = {
    "tensor(float)": "float",
    "tensor(double)": "float",
    "tensor(float16)": "float",
    "tensor(int64)": "int",
    "tensor(int32)": "int",
    "tensor(bool)": "bool",
    "tensor(string)": "str",
}


def _onnx_signature(
    proto: Any, session: Any, sample: pd.DataFrame | None, meta: dict[str, str]
) -> dict[str, Any]:
    inputs = _onnx_inputs(session, sample, meta)
    outputs = session.get_outputs()
    if not outputs:
        raise ModelFileError("The ONNX model has no outputs.")
    first = _ONNX_DTYPES.get(outputs[0].type, "float")
    result: dict[str, Any] = {"predict": [["prediction", first]]}
    classes = _onnx_classes(proto)
    if len(outputs) > 1 and classes:
        result["predict_proba"] = [[f"proba_{c}", "float"] for c in classes]
    return {"inputs": schema_to_json(inputs), "outputs": result}


def _onnx_inputs(
    session: Any, sample: pd.DataFrame | None, meta: dict[str, str]
) -> Schema:
    graph_inputs = session.get_inputs()
    if len(graph_inputs) != 1:
        return tuple(
            Column(i.name, _ONNX_DTYPES.get(i.type, "float"))  # type: ignore[arg-type]
            for i in graph_inputs
        )
    (only,) = graph_inputs
    width = only.shape[1] if len(only.shape) == 2 else None
    dtype = _ONNX_DTYPES.get(only.type, "float")
    names = [n for n in meta.get("feature_names", "").split(",") if n]
    if not names and sample is not None:
        names = [str(c) for c in sample.columns]
    if not isinstance(width, int):
        width = len(names) if names else None
    if width is None:
        raise ModelFileError(
            "The ONNX model does not tell its number of features; "
            "upload a sample CSV with the model."
        )
    if len(names) != width:
        names = [f"x{i}" for i in range(width)]
    return tuple(Column(n, dtype) for n in names)  # type: ignore[arg-type]


def _onnx_classes(proto: Any) -> list[str]:
    for node in proto.graph.node:
        for attr in node.attribute:
            if attr.name == "classlabels_int64s" and attr.ints:
                return [str(v) for v in attr.ints]
            if attr.name == "classlabels_strings" and attr.strings:
                return [v.decode() for v in attr.strings]
    return []


def _inspect_pickle(data: bytes, fmt: str, sample: pd.DataFrame | None) -> Inspection:
    found = Inspection(format=fmt, library=fmt)
    globals_, readable = pickle_globals(data)
    if not readable and fmt == "pickle":
        raise ModelFileError("The file is not a pickle (its opcodes cannot be read).")
    if not readable and not data.startswith(JOBLIB_MAGICS):
        raise ModelFileError(
            "The file is not a joblib file (neither a pickle stream nor a "
            "compressed joblib file)."
        )
    found.untrusted_types = globals_ if readable else ["(could not be listed)"]
    if sample is not None:
        found.signature = {"inputs": schema_to_json(schema_of(sample)), "outputs": {}}
    return found


def pickle_globals(data: bytes) -> tuple[list[str], bool]:
    """The ``module.name`` globals a pickle would import, read without executing.

    Returns the sorted names and whether the whole stream could be read.
    """
    names: set[str] = set()
    strings: list[str] = []
    try:
        for opcode, arg, _pos in pickletools.genops(io.BytesIO(data)):
            if opcode.name == "GLOBAL":
                names.add(str(arg).replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                names.add(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
    except Exception:  # pickletools raises ValueError and others on garbage
        return sorted(names), False
    return sorted(names), bool(names) or len(data) > 2


# Loading ---------------------------------------------------------------------
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
        except Exception as exc:
            raise ModelFileError(f"The skops file cannot be loaded: {exc}") from exc
    if fmt == "onnx":
        import onnxruntime as ort

        try:
            return ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelFileError(f"onnxruntime cannot load the model: {exc}") from exc
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
    except Exception as exc:
        raise ModelFileError(f"The {fmt} file cannot be loaded: {exc}") from exc


def adapter_for(obj: Any, fmt: str) -> SklearnModel | OnnxModel:
    return OnnxModel(obj) if fmt == "onnx" else SklearnModel(obj)


# Signatures and the sample check ---------------------------------------------
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


# Compatibility ---------------------------------------------------------------
def compat_warnings(
    *, python: str, sklearn_version: str, numpy_version: str, load_warnings: list[str]
) -> list[str]:
    """Differences between the recorded and installed versions that can matter."""
    now = installed_versions()
    found = list(load_warnings)
    if sklearn_version and sklearn_version != now["sklearn"]:
        found.append(
            f"Saved with scikit-learn {sklearn_version}; this server runs "
            f"{now['sklearn']}. Results may differ (InconsistentVersionWarning)."
        )
    if numpy_version and _major(numpy_version) != _major(now["numpy"]):
        found.append(
            f"Saved with numpy {numpy_version}; this server runs {now['numpy']}."
        )
    if python and _minor(python) != _minor(now["python"]):
        found.append(f"Saved with Python {python}; this server runs {now['python']}.")
    return found


def _major(version: str) -> str:
    return version.split(".")[0]


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])
