"""The parts of a prediction: bounds, the input table, the run and the answer."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from django.conf import settings

from catena import rows as request_rows
from catena import serving
from catena.errors import ChainInvalidError, RowsError, StepError
from config.exceptions import CatenaAppError
from serving.plans import Plan


def rows_count_check(*, body: Any) -> None:
    """Refuse more rows than ``CATENA_SERVE_MAX_ROWS`` before building a table."""
    if not isinstance(body, dict):
        raise CatenaAppError(
            'Send a JSON object: {"rows": [{...}, ...]} or {"columns": {...}}.',
            {"fields": {"rows": ["Required."]}},
        )
    rows, columns = body.get("rows"), body.get("columns")
    if (rows is None) == (columns is None):
        raise CatenaAppError(
            'Give exactly one of "rows" (a list of objects) or "columns" '
            "(an object of lists).",
            {"fields": {"rows": ["Give rows or columns."]}},
        )
    count = len(rows) if isinstance(rows, list) else _longest(columns)
    maximum = int(settings.CATENA_SERVE_MAX_ROWS)
    if count > maximum:
        raise CatenaAppError(
            f"The request carries {count} rows; at most {maximum} rows may be "
            "predicted per request (CATENA_SERVE_MAX_ROWS). Split the rows, or "
            "run the chain on a data set (POST /api/runs/).",
            {"limit": "rows", "max": maximum, "got": count},
            status=413,
        )


def _longest(columns: Any) -> int:
    if not isinstance(columns, dict):
        return 0
    return max((len(v) for v in columns.values() if isinstance(v, list)), default=0)


def outputs_parse(*, text: str) -> list[str]:
    """``?outputs=a,b`` as node ids (blank entries dropped, order kept)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    return list(dict.fromkeys(names))


def table_build(*, plan: Plan, body: dict[str, Any]) -> pd.DataFrame:
    """The input table from records or columns; a 400 naming the columns that do
    not fit the chain's input."""
    columns = plan.prepared.columns
    try:
        if body.get("rows") is not None:
            return request_rows.records_table(body["rows"], columns)
        return request_rows.columns_table(body["columns"], columns)
    except RowsError as exc:
        raise CatenaAppError(
            f"The rows do not fit the input of chain '{plan.chain}' version "
            f"{plan.number}: {exc}.",
            {"columns": exc.columns, "rows": exc.rows}
            if exc.rows
            else {"columns": exc.columns},
        ) from None


def prediction_run(
    *, plan: Plan, table: pd.DataFrame, extra: list[str]
) -> dict[str, pd.DataFrame]:
    """Run the plan; a node's failure is a 422 naming the node."""
    try:
        return serving.predict(plan.prepared, table, extra)
    except ChainInvalidError as exc:
        unknown = [p.node for p in exc.problems]
        raise CatenaAppError(
            f"outputs: chain '{plan.chain}' version {plan.number} has no node "
            f"{', '.join(repr(n) for n in unknown)}.",
            {"fields": {"outputs": [f"No node {n!r}." for n in unknown]}},
        ) from None
    except StepError as exc:
        raise CatenaAppError(
            f"Node '{exc.node}' failed on these rows: {exc.message}",
            {"node": exc.node},
            status=422,
        ) from None


def answer(
    *, plan: Plan, done: dict[str, pd.DataFrame], extra: list[str]
) -> dict[str, Any]:
    """The response body: rows, the version and the exact models that ran."""
    body: dict[str, Any] = {
        "chain": plan.chain,
        "version": plan.number,
        "models": [
            {"node": m.node, "name": m.name, "version": m.version, "sha256": m.sha256}
            for m in plan.prepared.models
            if m.node in done
        ],
        "rows": records(done[plan.prepared.output]),
    }
    if extra:
        body["outputs"] = {node: records(done[node]) for node in extra}
    return body


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON records; NaN and infinities become null (JSON has neither)."""
    columns = {str(c): [_json(v) for v in table[c].tolist()] for c in table.columns}
    names = list(columns)
    if not names:
        return [{} for _ in range(len(table))]
    return [
        dict(zip(names, values, strict=True))
        for values in zip(*columns.values(), strict=True)
    ]


def _json(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
