"""The palette: every step kind, each one module in this package.

:data:`STEP_KINDS` is the only place that lists kind names. Each module holds
``TITLE``, ``DESCRIPTION``, a pydantic ``Params`` model (``extra="forbid"``),
``output_schema(params, inputs, ctx) -> Schema`` (raises ``StepSchemaError``)
and ``run(table, params, ctx) -> DataFrame``; it may set ``KEY_EXCLUDE``, the
params that do not change its output and so stay out of cache keys.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel

from catena.schema import Schema
from catena.steps.context import StepContext

STEP_KINDS: dict[str, str] = {
    "input": "catena.steps.input",
    "model": "catena.steps.model",
    "transform": "catena.steps.transform",
    "combine": "catena.steps.combine",
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
    KEY_EXCLUDE: frozenset[str] = frozenset()


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
        KEY_EXCLUDE=frozenset(getattr(module, "KEY_EXCLUDE", ())),
    )


def kinds() -> list[StepKind]:
    """Return every step kind, in palette order.

    Examples
    --------
    >>> [k.kind for k in kinds()][:2]
    ['input', 'model']
    """
    return [get(kind) for kind in STEP_KINDS]


def params_json_schema(kind: str) -> dict[str, Any]:
    """Return the JSON schema of a kind's params, for the editor's inspector form.

    Examples
    --------
    >>> params_json_schema("model")["required"]
    ['model']
    """
    return get(kind).Params.model_json_schema()
