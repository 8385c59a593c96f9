"""The model step: one registered model version and one of its methods.

Features are matched by name, after the optional ``columns`` mapping
(``{feature: upstream_column}``). A model that knows no feature names (its
signature says ``x0 .. x{n-1}``) and gets no mapping takes its input columns by
position instead, when their number matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from catena import frames
from catena.adapters import positional_names
from catena.errors import CatenaError, StepError, StepSchemaError
from catena.problems import Problem
from catena.resolving import ResolvedModel
from catena.schema import Schema, fits
from catena.steps.context import StepContext

#: Bump when a change to this module can change an output: old outputs are
#: then computed again instead of reused (the version is in every cache key).
CODE_VERSION = 1
TITLE = "Model"
DESCRIPTION = (
    "One registered model version: predict, predict_proba, transform or score."
)
#: The model's sha256 stands for name and version in cache keys.
KEY_EXCLUDE = ("model", "version")

Method = Literal["predict", "predict_proba", "transform", "decision_function"]
Version = Annotated[int, Field(ge=1)] | Annotated[str, Field(pattern=r"^@[\w.-]+$")]


class Params(BaseModel):
    """``{"model", "version", "method", "columns"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1, max_length=200)
    version: Version = "@latest"
    method: Method = "predict"
    columns: dict[str, str] | None = None


def model_ref(params: Params) -> tuple[str, int | str]:
    """The registry reference a model node resolves."""
    return params.model, params.version


def output_schema(params: Params, inputs: Schema, ctx: StepContext) -> Schema:
    """Check the features upstream and return the method's output schema.

    Raises
    ------
    StepSchemaError
        With ``unknown_method``, ``missing_features``, ``feature_count``,
        ``bad_value`` or ``dtype_mismatch`` problems.
    """
    model = _model(ctx)
    if params.method not in model.signature.outputs:
        offered = list(model.signature.methods)
        problem = ctx.problem(
            "unknown_method",
            extra={"offered_text": ", ".join(offered) or "nothing"},
            model=model.name,
            method=params.method,
            offered=offered,
        )
        raise StepSchemaError([problem])
    sources = plan(
        model.signature.inputs, [c.name for c in inputs], params.columns, ctx
    )
    check_dtypes(model.signature.inputs, sources, inputs, ctx)
    return model.signature.outputs[params.method]


def plan(
    features: Schema,
    available: Sequence[str],
    mapping: Mapping[str, str] | None,
    ctx: StepContext,
) -> list[str]:
    """Return, for each feature in order, the input column that feeds it.

    Raises
    ------
    StepSchemaError
        When features are missing upstream or the mapping names non-features.
    """
    wanted = [c.name for c in features]
    if not mapping and _positional(wanted, available):
        if len(available) != len(wanted):
            problem = ctx.input_problem(
                "feature_count",
                expected=len(wanted),
                got=len(available),
                columns=list(available),
            )
            raise StepSchemaError([problem])
        return list(available)
    return _by_name(wanted, list(available), dict(mapping or {}), ctx)


def _positional(wanted: list[str], available: Sequence[str]) -> bool:
    return wanted == positional_names(len(wanted)) and list(available) != wanted


def _by_name(
    wanted: list[str], available: list[str], mapping: dict[str, str], ctx: StepContext
) -> list[str]:
    strangers = sorted(set(mapping) - set(wanted))
    if strangers:
        problem = ctx.problem(
            "bad_value",
            param="columns",
            column=None,
            value=strangers,
            expected="features of the model",
        )
        raise StepSchemaError([problem])
    sources = [mapping.get(name, name) for name in wanted]
    present = set(available)
    missing = [f for f, s in zip(wanted, sources, strict=True) if s not in present]
    if missing:
        problem = ctx.input_problem(
            "missing_features", features=missing, columns=available, mapping=mapping
        )
        raise StepSchemaError([problem])
    return sources


def check_dtypes(
    features: Schema, sources: list[str], inputs: Schema, ctx: StepContext
) -> None:
    dtypes = {c.name: c.dtype for c in inputs}
    problems: list[Problem] = []
    for feature, source in zip(features, sources, strict=True):
        produced = dtypes[source]
        if not fits(produced, feature.dtype):
            problem = ctx.problem(
                "dtype_mismatch",
                via=source,
                feature=feature.name,
                column=source,
                expected=feature.dtype,
                actual=produced,
            )
            problems.append(problem)
    if problems:
        raise StepSchemaError(problems)


def _model(ctx: StepContext) -> ResolvedModel:
    if ctx.model is None:
        raise StepError(ctx.node_id, "no model was resolved for this node")
    return ctx.model


def run(table: pd.DataFrame, params: Params, ctx: StepContext) -> pd.DataFrame:
    """Call the model on its features and return its outputs on the input's index.

    Raises
    ------
    StepError
        When features are missing or the model itself fails (the model's own
        exception is kept as ``__cause__``).
    """
    model = _model(ctx)
    try:
        sources = plan(
            model.signature.inputs, table.columns.tolist(), params.columns, ctx
        )
    except StepSchemaError as exc:
        raise StepError(ctx.node_id, str(exc)) from exc
    frame = frames.select(table, sources, [c.name for c in model.signature.inputs])
    result = _call(model, ctx, params.method, frame)
    return _frame(result, model.signature.outputs[params.method], table.index, ctx)


def _call(
    model: ResolvedModel, ctx: StepContext, method: str, frame: pd.DataFrame
) -> Any:
    loaded = ctx.loaded if ctx.loaded is not None else model.load()
    try:
        return loaded.call(method, frame)
    except CatenaError:
        raise
    except Exception as exc:
        message = f"model {model.name!r} v{model.version} {method} failed: {exc}"
        raise StepError(ctx.node_id, message) from exc


def _frame(
    result: Any, schema: Schema, index: pd.Index[Any], ctx: StepContext
) -> pd.DataFrame:
    array = np.asarray(result)
    names = [c.name for c in schema]
    if array.ndim == 2 and array.shape[1] == 1 and len(names) == 1:
        array = array[:, 0]
    width = 1 if array.ndim == 1 else array.shape[1]
    if width != len(names) or array.shape[0] != len(index):
        message = (
            f"model returned shape {array.shape}, expected ({len(index)}, {len(names)})"
        )
        raise StepError(ctx.node_id, message)
    return frames.from_array(array, index, names)
