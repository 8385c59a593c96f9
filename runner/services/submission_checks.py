"""Checks of a run submission made before anything is written: row counts, the
node to run until, the chain's problems, the input's declared columns."""

from __future__ import annotations

from typing import Any

import networkx as nx
from django.conf import settings

from catena.graph import Graph
from catena.guard_codes import GUARD_CODES
from catena.problems import Problem
from config.exceptions import CatenaAppError
from runner.models import Dataset, Run


def row_count(
    dataset: Dataset | None, rows: list[dict[str, Any]] | None, reuse_from: Run | None
) -> int:
    """The run's row count, known before its input is stored."""
    if rows is not None:
        return len(rows)
    if dataset is not None:
        return int(dataset.artifact.rows or 0)
    return int(reuse_from.input.rows or 0) if reuse_from is not None else 0


def rows_check(rows: list[dict[str, Any]] | None) -> None:
    """Rows posted as JSON are for small inputs; big ones go through a data set."""
    maximum = int(settings.CATENA_MAX_ROWS)
    if rows is not None and len(rows) > maximum:
        raise CatenaAppError(
            f"The request carries {len(rows)} rows; at most {maximum} rows may be "
            "posted as JSON. Upload a larger input as a data set "
            '(POST /api/datasets/) and run on it with "dataset": <id>.',
            {"limit": "rows", "max": maximum, "got": len(rows)},
        )


def needed_nodes(graph: Graph, until: str) -> set[str] | None:
    if not until:
        return None
    if until not in graph.nodes:
        raise CatenaAppError(
            f"The chain has no node {until!r} to run until.", {"node": until}
        )
    return {until} | set(nx.ancestors(graph.dag, until))


def problems_raise(problems: list[Problem], needed: set[str] | None) -> None:
    errors = [
        p
        for p in problems
        if p.severity == "error"
        and (needed is None or p.node is None or p.node in needed)
    ]
    if errors:
        raise CatenaAppError(
            f"The chain cannot run: {errors[0].message}",
            {"problems": [p.as_dict() for p in errors]},
        )


def wanted_columns(graph: Graph, needed: set[str] | None) -> set[str]:
    """The columns the run's input nodes declare (not the inputs of chain steps'
    saved chains: those read their chain node's parents)."""
    return {
        column[0]
        for node in graph.nodes.values()
        if node.kind == "input"
        and not graph.parents[node.id]
        and (needed is None or node.id in needed)
        for column in node.raw.get("schema", [])
    }


def columns_check(wanted: set[str], present: set[str]) -> None:
    """Refuse an input that lacks a declared column before anything is written."""
    missing = sorted(wanted - present)
    if missing:
        names = ", ".join(missing)
        raise CatenaAppError(
            f"The input lacks columns the chain's input declares: {names}.",
            {"missing": missing},
        )


def guard_notes(notes: dict[str, str], problems: list[Problem]) -> dict[str, str]:
    """``notes`` with the evaluation guards' warnings added to their nodes' own
    (a stacker on other base versions, a model taking the target as a feature)."""
    merged = dict(notes)
    for problem in problems:
        if problem.code in GUARD_CODES and problem.node is not None:
            said = merged.get(problem.node, "")
            merged[problem.node] = f"{said} Warning: {problem.message}.".strip()
    return merged
