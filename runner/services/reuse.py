"""Why a node's earlier output was not reused: computed with other versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Max

from catena.graph import Graph
from runner.environment import environment_changes, output_environment
from runner.models import NodeResult


def reuse_notes(
    *,
    graph: Graph,
    keys: Mapping[str, str],
    lineage: Mapping[str, str],
    stored: Mapping[str, Any],
) -> dict[str, str]:
    """Node id -> why the latest output of the same work was not reused.

    Same work is an equal lineage key (same kind, params, model, inputs and
    data) under another cache key: the libraries or the step code differ.
    """
    wanted = {node: lineage[node] for node in keys if keys[node] not in stored}
    earlier = _latest_outputs(set(wanted.values()), set(keys.values()))
    notes: dict[str, str] = {}
    for node, lineage_key in wanted.items():
        if lineage_key in earlier:
            run_id, recorded = earlier[lineage_key]
            now = output_environment(kind=graph.nodes[node].kind)
            note = _note(run_id, recorded, now)
            if note:
                notes[node] = note
    return notes


def _latest_outputs(
    lineage_keys: set[str], keys: set[str]
) -> dict[str, tuple[int, dict[str, str]]]:
    """Lineage key -> (run id, environment) of its latest stored output."""
    if not lineage_keys:
        return {}
    latest = (
        NodeResult.objects.filter(lineage_key__in=lineage_keys, artifact__isnull=False)
        .exclude(cache_key__in=keys)
        # No ordering: the default one (by run) joined the runs for nothing.
        .order_by()
        .values("lineage_key")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    rows = NodeResult.objects.filter(id__in=list(latest)).values_list(
        "lineage_key", "run_id", "artifact__environment"
    )
    return {key: (run_id, env or {}) for key, run_id, env in rows}


def _note(run_id: int, recorded: Mapping[str, str], now: Mapping[str, str]) -> str:
    if not recorded:
        return (
            f"Not reused: the output of run {run_id} was computed before library "
            "versions were recorded."
        )
    changes = environment_changes(recorded=recorded, now=now)
    if not changes:
        return ""
    return f"Not reused: computed with {'; '.join(changes)} (run {run_id})."
