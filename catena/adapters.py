"""Adapters that give every loaded model one call: ``call(method, frame)``.

The registry's loaders return one of these. :func:`signature_from_estimator`
derives a :class:`~catena.resolving.Signature` from a fitted scikit-learn object.

Output column conventions (shared by signatures and the model step):

- ``predict``: ``[("prediction", dtype)]``
- ``predict_proba``: ``[(f"proba_{cls}", "float"), ...]``
- ``decision_function``: ``("score")`` for one column, else ``f"score_{cls}"``
- ``transform``: ``get_feature_names_out()`` names, else ``x0 .. x{n-1}``
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from catena.resolving import METHODS, Signature
from catena.schema import Column, Dtype, Schema, dtype_of_numpy, schema_of

if TYPE_CHECKING:
    import onnxruntime

Array = np.ndarray[Any, Any]


class LoadedModel(Protocol):
    """A model ready to call."""

    def call(self, method: str, frame: pd.DataFrame) -> Array:
        """Call ``method`` on the features in ``frame`` (signature order)."""
        ...


class SklearnModel:
    """Adapter for a fitted scikit-learn estimator, transformer or pipeline.

    Estimators fitted on a DataFrame (``feature_names_in_``) get a DataFrame with
    those column names; others get a plain numpy array, which avoids
    scikit-learn's feature-name warnings.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> lr = LinearRegression().fit([[0.0], [1.0]], [0.0, 2.0])
    >>> SklearnModel(lr).call("predict", pd.DataFrame({"x0": [3.0]})).round(6)
    array([6.])
    """

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        self.by_name = hasattr(estimator, "feature_names_in_")

    def call(self, method: str, frame: pd.DataFrame) -> Array:
        """Call ``method`` and return its result as a numpy array."""
        features: Any = frame if self.by_name else frame.to_numpy()
        result = getattr(self.estimator, method)(features)
        if hasattr(result, "toarray"):  # a scipy sparse matrix
            result = result.toarray()
        return np.asarray(result)


_ONNX_TYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(bool)": np.bool_,
    "tensor(string)": np.object_,
}


class OnnxModel:
    """Adapter for an ``onnxruntime.InferenceSession``.

    A session with one input gets a 2-D float32 array of the features in order;
    a session with several inputs gets one ``(n, 1)`` column per input, taken
    from the feature of the same name. ``predict`` returns the first output and
    ``predict_proba`` the probability output (ZipMap dicts become a 2-D array).
    """

    def __init__(self, session: onnxruntime.InferenceSession) -> None:
        self.session = session
        self.inputs: list[tuple[str, Any]] = [
            (i.name, _ONNX_TYPES.get(i.type, np.float32)) for i in session.get_inputs()
        ]
        self.outputs: list[str] = [str(o.name) for o in session.get_outputs()]

    def call(self, method: str, frame: pd.DataFrame) -> Array:
        """Run the session and return the output ``method`` stands for."""
        output = self._output_name(method)
        (result,) = self.session.run([output], self._feed(frame))
        if isinstance(result, list):  # ZipMap: one {class: probability} per row
            return _dicts_to_array(result)
        array = np.asarray(result)
        return array.ravel() if method == "predict" and array.ndim == 2 else array

    def _feed(self, frame: pd.DataFrame) -> dict[str, Array]:
        if len(self.inputs) == 1:
            name, dtype = self.inputs[0]
            return {name: frame.to_numpy(dtype=dtype)}
        return {
            name: frame[name].to_numpy(dtype=dtype).reshape(-1, 1)
            for name, dtype in self.inputs
        }

    def _output_name(self, method: str) -> str:
        if method != "predict_proba":
            return self.outputs[0]
        named = [o for o in self.outputs if "prob" in o.lower()]
        return named[0] if named else self.outputs[-1]


def _dicts_to_array(rows: Sequence[dict[Any, float]]) -> Array:
    if not rows:
        return np.empty((0, 0))
    keys = list(rows[0])
    return np.array([[row[k] for k in keys] for row in rows], dtype=np.float64)


def signature_from_estimator(
    estimator: Any, sample: pd.DataFrame | None = None
) -> Signature:
    """Derive a signature from a fitted scikit-learn object.

    Parameters
    ----------
    estimator : object
        A fitted estimator, transformer or pipeline.
    sample : pandas.DataFrame, optional
        A few rows of training data; gives the feature dtypes (``float``
        otherwise) and the output dtypes of ``transform``.

    Returns
    -------
    Signature
        Inputs from ``feature_names_in_`` (or ``x0 .. x{n-1}`` from
        ``n_features_in_``); one output schema per method the object offers.

    Raises
    ------
    ValueError
        When the object tells neither its feature names nor their number.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> lr = LinearRegression().fit([[0.0, 1.0], [1.0, 0.0]], [0.0, 2.0])
    >>> sig = signature_from_estimator(lr)
    >>> [c.name for c in sig.inputs], sig.methods
    (['x0', 'x1'], ('predict',))
    """
    inputs = _input_schema(estimator, sample)
    outputs: dict[str, Schema] = {}
    for method in METHODS:
        schema = _method_schema(estimator, method, inputs, sample)
        if schema is not None:
            outputs[method] = schema
    return Signature(inputs, outputs)


def positional_names(count: int) -> list[str]:
    """Return ``["x0", ..., f"x{count - 1}"]``, names of unnamed features."""
    return [f"x{i}" for i in range(count)]


def _input_schema(estimator: Any, sample: pd.DataFrame | None) -> Schema:
    if hasattr(estimator, "feature_names_in_"):
        names = [str(n) for n in estimator.feature_names_in_]
    elif hasattr(estimator, "n_features_in_"):
        names = positional_names(int(estimator.n_features_in_))
    else:
        raise ValueError("the estimator tells neither its feature names nor count")
    known: dict[str, Dtype] = {}
    if sample is not None:
        sample_schema = schema_of(sample)
        known = {c.name: c.dtype for c in sample_schema}
        if not hasattr(estimator, "feature_names_in_"):
            known = {n: c.dtype for n, c in zip(names, sample_schema, strict=False)}
    return tuple(Column(n, known.get(n, "float")) for n in names)


def _method_schema(
    estimator: Any, method: str, inputs: Schema, sample: pd.DataFrame | None
) -> Schema | None:
    if not hasattr(estimator, method):
        return None
    classes = getattr(estimator, "classes_", None)
    if method == "predict":
        dtype = (
            dtype_of_numpy(np.asarray(classes).dtype)
            if classes is not None
            else "float"
        )
        return (Column("prediction", dtype),)
    if method == "predict_proba":
        return _per_class("proba", classes) if classes is not None else None
    if method == "decision_function":
        if classes is None or len(classes) <= 2:
            return (Column("score", "float"),)
        return _per_class("score", classes)
    return _transform_schema(estimator, sample)


def _per_class(prefix: str, classes: Any) -> Schema:
    return tuple(Column(f"{prefix}_{cls}", "float") for cls in classes)


def _transform_schema(estimator: Any, sample: pd.DataFrame | None) -> Schema | None:
    names: list[str] | None = None
    try:
        names = [str(n) for n in estimator.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError, NotImplementedError):
        names = None
    if sample is None:
        return tuple(Column(n, "float") for n in names) if names is not None else None
    out = SklearnModel(estimator).call("transform", sample.head(5))
    out = out.reshape(len(out), -1)
    names = names if names is not None else positional_names(out.shape[1])
    dtypes = [_column_dtype(out[:, i]) for i in range(out.shape[1])]
    return tuple(Column(n, d) for n, d in zip(names, dtypes, strict=True))


def _column_dtype(column: Array) -> Dtype:
    if column.dtype != object:
        return dtype_of_numpy(column.dtype)
    return dtype_of_numpy(pd.Series(list(column)).infer_objects().dtype)
