"""ONNX files: refused when any tensor points outside the file; run by onnxruntime.

An ONNX tensor may hold its bytes in another file (``data_location`` EXTERNAL),
which onnxruntime reads relative to the model's folder, or to the working
directory when the model comes from bytes. Such tensors may sit anywhere the
format holds a TensorProto: initializers, sparse initializers, node attributes,
subgraphs of If/Loop/Scan, function bodies, training info. The check walks
every message of the model rather than a list of known places, so a place
added to the format later is covered too.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pandas as pd

from catena.adapters import OnnxModel
from catena.schema import Column, Schema, schema_to_json
from registry.formats.common import Inspection, ModelFileError
from registry.formats.signatures import check_runs

# onnxruntime resolves external data of a model loaded from bytes against this
# folder (and else against the working directory); it is pointed at an empty one.
EXTERNAL_FOLDER_KEY = "session.model_external_initializers_file_folder_path"

_ONNX_DTYPES = {
    "tensor(float)": "float",
    "tensor(double)": "float",
    "tensor(float16)": "float",
    "tensor(int64)": "int",
    "tensor(int32)": "int",
    "tensor(bool)": "bool",
    "tensor(string)": "str",
}


def onnx_parse(data: bytes) -> Any:
    """The ModelProto of ``data``, refused when it is not self-contained."""
    import onnx

    try:
        proto = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises DecodeError and others
        raise ModelFileError(f"The file is not a valid ONNX model: {exc}") from exc
    external_data_refuse(proto)
    return proto


def all_tensors(proto: Any) -> Iterator[Any]:
    """Every TensorProto held anywhere in ``proto``, at any depth."""
    from onnx import TensorProto

    stack = [proto]
    while stack:
        message = stack.pop()
        if isinstance(message, TensorProto):
            yield message
        for descriptor, value in message.ListFields():
            if descriptor.message_type is None:
                continue
            # A repeated field is a container of messages, a single one has fields.
            if hasattr(value, "ListFields"):
                stack.append(value)
            else:
                stack.extend(value)


def external_data_refuse(proto: Any) -> None:
    from onnx.external_data_helper import uses_external_data

    for tensor in all_tensors(proto):
        if uses_external_data(tensor) or len(tensor.external_data):
            raise ModelFileError(
                f"The ONNX model refers to external data (tensor '{tensor.name}'); "
                "only self-contained ONNX files are accepted."
            )


def onnx_session(data: bytes) -> Any:
    """An onnxruntime session of checked bytes; external data finds an empty folder."""
    import onnxruntime as ort

    onnx_parse(data)
    options = ort.SessionOptions()
    with tempfile.TemporaryDirectory(prefix="catena-onnx-") as empty:
        options.add_session_config_entry(EXTERNAL_FOLDER_KEY, empty)
        try:
            return ort.InferenceSession(
                data, options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ModelFileError(f"onnxruntime cannot load the model: {exc}") from exc


def onnx_inspect(data: bytes, sample: pd.DataFrame | None) -> Inspection:
    """Check and describe an ONNX file; meant to run inside the sandbox."""
    import onnx

    proto = onnx_parse(data)
    try:
        onnx.checker.check_model(proto)
    except Exception as exc:
        raise ModelFileError(f"The ONNX model is not valid: {exc}") from exc
    session = onnx_session(data)
    meta = {p.key: p.value for p in proto.metadata_props}
    found = Inspection(
        format="onnx",
        library=proto.producer_name or "onnx",
        library_version=proto.producer_version,
        sklearn_version=meta.get("sklearn_version", ""),
        numpy_version=meta.get("numpy_version", ""),
        python_version=meta.get("python_version", ""),
    )
    signature = _onnx_signature(proto, session, sample, meta)
    check_runs(OnnxModel(session), signature, sample)
    found.signature = signature
    return found


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
