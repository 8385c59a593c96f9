"""The palette: every step kind, each one module in this package.

:data:`STEP_KINDS` is the only place that lists kind names. Each module holds
``TITLE``, ``DESCRIPTION``, a pydantic ``Params`` model (``extra="forbid"``),
``output_schema(params, inputs, ctx) -> Schema`` (raises ``StepSchemaError``),
``run(table, params, ctx) -> DataFrame`` and ``CODE_VERSION`` (an int, in every
cache key of its nodes); it may set ``KEY_EXCLUDE``, the params that do not
change its output and so stay out of cache keys, ``model_ref(params)`` (the
registry reference its nodes resolve), ``parts(params)`` (the internal nodes
one of its nodes expands to when loaded, see :mod:`catena.parts`),
``rows_problem(params, rows, ctx)`` (a problem known once the row count is) and
``INTERNAL`` (a part's kind: not in the palette, never written in documents)
and ``CHAIN_IN_KEY`` (its saved chain runs inside it: the chain version's hash
and its models' sha256 go in its keys).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel

from catena.problems import Problem
from catena.schema import Schema
from catena.steps.context import StepContext

STEP_KINDS: dict[str, str] = {
    "input": "catena.steps.input",
    "model": "catena.steps.model",
    "transform": "catena.steps.transform",
    "combine": "catena.steps.combine",
    "chain": "catena.steps.chain",
    "optimize": "catena.steps.optimize",
    "optimize.whatif": "catena.steps.whatif",
    "optimize.whatifchain": "catena.steps.whatif_chain",
    "output": "catena.steps.output",
}

__all__ = [
    "STEP_KINDS",
    "StepContext",
    "StepKind",
    "get",
    "kinds",
    "params_json_schema",
]


@dataclass(frozen=True, slots=True)
class StepKind:
    """One step kind, as loaded from its module (same attribute names)."""

    kind: str
    Params: type[BaseModel]
    output_schema: Callable[[Any, Schema, StepContext], Schema]
    run: Callable[[pd.DataFrame, Any, StepContext], pd.DataFrame]
    TITLE: str
    DESCRIPTION: str
    CODE_VERSION: int
    KEY_EXCLUDE: frozenset[str] = frozenset()
    model_ref: Callable[[Any], tuple[str, int | str]] | None = None
    parts: Callable[[Any], list[tuple[str, str, dict[str, Any]]]] | None = None
    INTERNAL: bool = False
    rows_problem: Callable[[Any, int, StepContext], Problem | None] | None = None
    CHAIN_IN_KEY: bool = False


@functools.cache
def get(kind: str) -> StepKind:
    """Return the step kind named ``kind``, importing its module on first use.

    Raises
    ------
    KeyError
        When ``kind`` is not in :data:`STEP_KINDS`.

    Examples
    --------
    >>> get("output").TITLE
    'Output'
    """
    module = importlib.import_module(STEP_KINDS[kind])
    return StepKind(
        kind=kind,
        Params=module.Params,
        output_schema=module.output_schema,
        run=module.run,
        TITLE=module.TITLE,
        DESCRIPTION=module.DESCRIPTION,
        CODE_VERSION=module.CODE_VERSION,
        KEY_EXCLUDE=frozenset(getattr(module, "KEY_EXCLUDE", ())),
        model_ref=getattr(module, "model_ref", None),
        parts=getattr(module, "parts", None),
        INTERNAL=getattr(module, "INTERNAL", False),
        rows_problem=getattr(module, "rows_problem", None),
        CHAIN_IN_KEY=getattr(module, "CHAIN_IN_KEY", False),
    )


def kinds() -> list[StepKind]:
    """Return every step kind a document may use, in palette order.

    Examples
    --------
    >>> [k.kind for k in kinds()][:2]
    ['input', 'model']
    """
    return [get(kind) for kind in STEP_KINDS if not get(kind).INTERNAL]


def params_json_schema(kind: str) -> dict[str, Any]:
    """Return the JSON schema of a kind's params, for the editor's inspector form.

    Examples
    --------
    >>> params_json_schema("model")["required"]
    ['model']
    """
    return get(kind).Params.model_json_schema()
