"""The input step: declares the columns a chain takes."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from catena import frames
from catena.errors import StepError
from catena.schema import NUMPY_DTYPES, Column, Dtype, Schema, dtype_of_numpy
from catena.steps.context import StepContext

#: Bump when a change to this module can change an output: old outputs are
#: then computed again instead of reused (the version is in every cache key).
CODE_VERSION = 1
TITLE = "Input"
DESCRIPTION = "Declares the columns the chain takes; selects and casts them."


class Params(BaseModel):
    """``{"schema": [[name, dtype], ...]}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: list[tuple[str, Dtype]] = Field(alias="schema", min_length=1)

    @field_validator("schema_")
    @classmethod
    def _unique(cls, value: list[tuple[str, Dtype]]) -> list[tuple[str, Dtype]]:
        seen = [name for name, _ in value]
        dupes = sorted({n for n in seen if seen.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate column names: {', '.join(dupes)}")
        return value


class FedParams(Params):
    """An input node of a chain used as a step, fed by the embedding chain.

    Never written in a document: :func:`catena.chains.expand` makes it from a
    chain node's ``columns`` mapping (``{column: upstream_column}``).
    """

    columns: dict[str, str]


def declared(params: Params) -> Schema:
    """Return the declared schema."""
    return tuple(Column(name, dtype) for name, dtype in params.schema_)


def output_schema(params: Params, inputs: Schema, ctx: StepContext) -> Schema:
    """Return the declared schema."""
    return declared(params)


def run(table: pd.DataFrame, params: Params, ctx: StepContext) -> pd.DataFrame:
    """Select the declared columns of the run's input and cast them.

    An input node with parents (a saved chain's input, inside the chain that
    uses it) reads its parents' table instead, through its ``columns`` mapping.

    Raises
    ------
    StepError
        When columns are missing or cannot be cast.
    """
    frame, node = (table if ctx.parents else ctx.inputs), ctx.node_id
    if frame is None:
        raise StepError(node, "the run has no input table")
    names = [name for name, _ in params.schema_]
    mapping = params.columns if isinstance(params, FedParams) else {}
    sources = [mapping.get(n, n) for n in names]
    present = set(frame.columns.tolist())
    missing = [n for n in sources if n not in present]
    if missing:
        raise StepError(node, f"the input table lacks columns: {', '.join(missing)}")
    # Relabelled with a shared object Index: downstream steps compare column
    # lists, which is slow on pandas 3's pyarrow-backed string labels.
    selected = frames.select(frame, sources, names)
    return _cast(selected, params, node).set_axis(
        frames.column_index(tuple(names)), axis=1
    )


def _cast(frame: pd.DataFrame, params: Params, node: str) -> pd.DataFrame:
    found = frame.dtypes.tolist()
    wrong = {
        name: NUMPY_DTYPES[dtype]
        for (name, dtype), actual in zip(params.schema_, found, strict=True)
        if _dtype(actual) != dtype
    }
    if not wrong:
        return frame
    try:
        return frame.astype(wrong)
    except (ValueError, TypeError) as exc:
        raise StepError(node, f"cannot cast input columns: {exc}") from exc


def _dtype(dtype: Any) -> str | None:
    try:
        return dtype_of_numpy(dtype)
    except ValueError:
        return None
