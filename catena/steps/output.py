"""The output step: what the chain returns."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict

from catena.errors import StepError
from catena.schema import Schema
from catena.steps.context import StepContext

#: Bump when a change to this module can change an output: old outputs are
#: then computed again instead of reused (the version is in every cache key).
CODE_VERSION = 1
TITLE = "Output"
DESCRIPTION = "What the chain returns: its input, or the listed columns of it."


class Params(BaseModel):
    """``{}`` or ``{"columns": [...]}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: list[str] | None = None


def output_schema(params: Params, inputs: Schema, ctx: StepContext) -> Schema:
    """Return the input schema, or the listed columns of it."""
    if params.columns is None:
        return inputs
    by_name = {c.name: c for c in inputs}
    missing = [n for n in params.columns if n not in by_name]
    if missing:
        raise ctx.missing("output columns not in its input", missing, used_by="columns")
    return tuple(by_name[n] for n in params.columns)


def run(table: pd.DataFrame, params: Params, ctx: StepContext) -> pd.DataFrame:
    """Pass the table through, or select the listed columns."""
    if params.columns is None:
        return table
    missing = [n for n in params.columns if n not in table.columns]
    if missing:
        raise StepError(ctx.node_id, f"output columns missing: {', '.join(missing)}")
    return table[params.columns]
