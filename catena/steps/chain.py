"""The chain step: a saved chain version used as one node.

Its input columns are those of the saved chain's input nodes, its output
columns those of its output node, so features are matched by name (after the
optional ``columns`` mapping, ``{chain_input_column: upstream_column}``) and
checked for dtype exactly as for a model. To run, :func:`catena.chains.expand`
puts the saved chain's nodes into the graph under ``<node>/<inner id>``; the
chain node itself then only passes on its inner output node's table.
"""

from __future__ import annotations

from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from catena.errors import StepError
from catena.schema import Schema
from catena.steps.context import StepContext
from catena.steps.model import check_dtypes, plan

#: Bump when a change to this module can change an output: old outputs are
#: then computed again instead of reused (the version is in every cache key).
CODE_VERSION = 1
TITLE = "Chain"
DESCRIPTION = "A saved chain version used as one step (its nodes run inside it)."
#: The inner nodes' keys stand for the chain's name and version; ``drawn`` is
#: for the editor only.
KEY_EXCLUDE = ("chain", "version", "drawn")

Version = Annotated[int, Field(ge=1)] | Literal["@live", "@latest"]


class Params(BaseModel):
    """``{"chain", "version", "columns", "drawn"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chain: str = Field(min_length=1, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")
    version: Version = "@live"
    columns: dict[str, str] | None = None
    #: The version ``@live`` named when the node was drawn (the editor sets it).
    drawn: Annotated[int, Field(ge=1)] | None = None


def output_schema(params: Params, inputs: Schema, ctx: StepContext) -> Schema:
    """Check the chain's input columns upstream and return its output columns.

    Raises
    ------
    StepSchemaError
        With ``missing_features``, ``feature_count``, ``bad_value`` or
        ``dtype_mismatch`` problems, as for a model.
    """
    if ctx.chain is None:
        raise StepError(ctx.node_id, "no chain was resolved for this node")
    wanted = ctx.chain.inputs
    sources = plan(wanted, [c.name for c in inputs], params.columns, ctx)
    check_dtypes(wanted, sources, inputs, ctx)
    return ctx.chain.outputs


def run(table: pd.DataFrame, params: Params, ctx: StepContext) -> pd.DataFrame:
    """Pass on the table of the saved chain's output node (its only parent)."""
    return table
