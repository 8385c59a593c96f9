"""Reads of the runner app: run history, one run, its status, comparisons."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from django.core.files.storage import default_storage
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from builder.models import ChainVersion
from builder.selectors import chain_get, chain_version_get, chain_version_latest
from config.exceptions import CatenaAppError
from runner.models import Dataset, NodeResult, Run
from runner.streams import columns_compare

Status = NodeResult.Status
#: Comparing outputs reads both tables a column at a time; above this many rows
#: it only compares keys.
COMPARE_MAX_ROWS = 2_000_000


def run_list(
    *, chain: str = "", status: str = "", user: str = "", dataset: int | None = None
) -> QuerySet[Run]:
    """Runs, newest first, with what a history row shows (a constant query count)."""
    runs = Run.objects.select_related(
        "chain_version__chain", "started_by", "dataset"
    ).annotate(
        node_total=Count("nodes"),
        node_done=Count("nodes", filter=Q(nodes__status__in=NodeResult.DONE)),
    )
    if "\x00" in chain + user:
        # PostgreSQL refuses NUL in a text parameter; no stored text holds one.
        return runs.none()
    if chain:
        runs = runs.filter(chain_version__chain__name=chain)
    if status:
        runs = runs.filter(status=status)
    if user:
        runs = runs.filter(started_by__username=user)
    if dataset is not None:
        runs = runs.filter(dataset_id=dataset)
    return runs.order_by("-created", "-id")


def run_get(*, run_id: int) -> Run:
    return get_object_or_404(
        Run.objects.select_related(
            "chain_version__chain",
            "started_by",
            "dataset",
            "input",
            "reused_from",
            "continues",
        ),
        id=run_id,
    )


def run_nodes(*, run: Run) -> list[NodeResult]:
    return list(
        run.nodes.select_related("artifact", "reused_from").order_by("position")
    )


def run_links(*, run: Run) -> dict[str, Any]:
    """The runs continuing this one, and the experiment variant it ran, if any."""
    from runner.models import Variant

    variant = Variant.objects.filter(run=run).select_related("experiment").first()
    return {
        "continued_by": list(Run.objects.filter(continues=run).order_by("id")[:10]),
        "variant": variant,
    }


def node_result_get(*, run: Run, node_id: str) -> NodeResult:
    return get_object_or_404(
        NodeResult.objects.select_related("artifact", "run__chain_version__chain"),
        run=run,
        node_id=node_id,
    )


def run_status(*, run_id: int) -> dict[str, Any]:
    """What the run page polls: two small queries."""
    run = get_object_or_404(
        Run.objects.only(
            "id",
            "status",
            "received_at",
            "created",
            "finished_at",
            "error",
            "target",
            "evaluation",
        ),
        id=run_id,
    )
    # Ordered by position alone: the default ordering (by run) joins the runs.
    found = NodeResult.objects.filter(run_id=run_id).order_by("position")
    nodes = dict(found.values_list("node_id", "status"))
    done = sum(1 for s in nodes.values() if s in NodeResult.DONE)
    end = run.finished_at or timezone.now()
    return {
        "id": run.id,
        "status": run.status,
        "active": run.is_active,
        "scoring": run_scoring(run),
        "error": run.error,
        "nodes": nodes,
        "done": done,
        "total": len(nodes),
        "elapsed": round((end - run.since).total_seconds(), 3),
    }


def chain_version_pick(*, chain_name: str, number: int | None = None) -> ChainVersion:
    """The given version, else the live one, else the latest (404 if unknown)."""
    if number is not None:
        return chain_version_get(chain_name=chain_name, number=number)
    live = ExpressionWrapper(Q(id=F("chain__live_version_id")), BooleanField())
    picked = (
        ChainVersion.objects.select_related("chain")
        .filter(chain__name=chain_name)
        .order_by(live.desc(nulls_last=True), "-number")
        .first()
    )
    if picked is not None:
        return picked
    chain = chain_get(name=chain_name)  # 404 if unknown
    version = chain.live_version or chain_version_latest(chain=chain)
    if version is None:
        raise CatenaAppError(
            f"Chain {chain_name!r} has no saved version to run.", {"chain": chain_name}
        )
    version.chain = chain  # already read: saves a query on every submission
    return version


def dataset_list(
    *, name: str = "", search: str = "", owner: str = "", sha256: str = ""
) -> QuerySet[Dataset]:
    """Data sets, newest first: ``name`` exact, ``search`` a substring of the
    name, ``owner`` a username, ``sha256`` the stored file's hash or its start.
    """
    datasets = Dataset.objects.select_related("owner", "artifact")
    if "\x00" in name + search + owner + sha256:
        # PostgreSQL refuses NUL in a text parameter; no stored text holds one.
        return datasets.none()
    if name:
        datasets = datasets.filter(name=name)
    if search:
        datasets = datasets.filter(name__icontains=search)
    if owner:
        datasets = datasets.filter(owner__username=owner)
    if sha256:
        datasets = datasets.filter(sha256__startswith=sha256.lower())
    return datasets.order_by("-created", "-id")


def dataset_same_content(*, dataset: Dataset) -> list[Dataset]:
    """The other data sets whose stored file is the same, oldest first."""
    if not dataset.sha256:
        return []
    same = Dataset.objects.select_related("owner").filter(sha256=dataset.sha256)
    return list(same.exclude(id=dataset.id).order_by("created", "id")[:10])


def dataset_list_for_document(
    *, document: dict[str, Any], limit: int = 50
) -> list[Dataset]:
    """The newest data sets, those holding every input column of ``document`` first."""
    wanted = {
        column[0]
        for node in document.get("nodes", [])
        if node.get("kind") == "input"
        for column in node.get("params", {}).get("schema", [])
    }
    newest = dataset_list().defer("artifact__preview", "artifact__stats")
    datasets = list(newest[:limit])
    # sorted() is stable: within each group the newest stay first.
    return sorted(datasets, key=lambda d: not wanted <= _columns(d))


def _columns(dataset: Dataset) -> set[str]:
    return {column[0] for column in dataset.artifact.schema}


def dataset_get(*, dataset_id: int) -> Dataset:
    return get_object_or_404(
        Dataset.objects.select_related("owner", "artifact"), id=dataset_id
    )


def chain_runs_summary(chain_ids: list[int]) -> dict[int, dict[str, str]]:
    """The last run of each chain: the provider registered with builder."""
    latest: dict[int, dict[str, str]] = {}
    runs = (
        Run.objects.filter(chain_version__chain_id__in=chain_ids)
        .order_by("chain_version__chain_id", "-created", "-id")
        .values_list("chain_version__chain_id", "id", "status")
    )
    # One row per chain would need DISTINCT ON (PostgreSQL only); the newest
    # run of each chain is the first row of its group.
    for chain_id, run_id, status in runs.iterator():
        if chain_id not in latest:
            url = reverse("runner:run_detail", args=[run_id])
            latest[chain_id] = {"status": status, "url": url}
    return latest


def runs_compare(*, left: Run, right: Run) -> list[dict[str, Any]]:
    """Node by node: same key (same output by construction) or how outputs differ.

    Only two runs of one chain (any versions) compare; others are refused.
    """
    left_chain, right_chain = left.chain_version.chain, right.chain_version.chain
    if left_chain.id != right_chain.id:
        raise CatenaAppError(
            f"Only runs of one chain can be compared: run {left.id} is of "
            f"{left_chain.name!r}, run {right.id} of {right_chain.name!r}.",
            {"chains": [left_chain.name, right_chain.name]},
        )
    a = {n.node_id: n for n in run_nodes(run=left)}
    b = {n.node_id: n for n in run_nodes(run=right)}
    order = list(a) + [n for n in b if n not in a]
    return [_node_compare(node, a.get(node), b.get(node)) for node in order]


def _node_compare(
    node: str, a: NodeResult | None, b: NodeResult | None
) -> dict[str, Any]:
    row: dict[str, Any] = {"node_id": node, "left": a, "right": b}
    if a is None or b is None:
        return {**row, "verdict": "only in one run", "columns": []}
    if a.cache_key == b.cache_key:
        return {**row, "verdict": "same", "columns": []}
    if a.artifact is None or b.artifact is None:
        return {**row, "verdict": "not comparable (no stored output)", "columns": []}
    if max(a.artifact.rows, b.artifact.rows) > COMPARE_MAX_ROWS:
        return {
            **row,
            "verdict": "different inputs (too large to compare)",
            "columns": [],
        }
    try:
        # One column of each table in memory at a time, never the tables.
        with (
            default_storage.open(a.artifact.path, "rb") as left,
            default_storage.open(b.artifact.path, "rb") as right,
        ):
            return {**row, **columns_compare(left, right)}
    except FileNotFoundError:
        return {**row, "verdict": "not comparable (file missing)", "columns": []}


def frames_compare(left: pd.DataFrame, right: pd.DataFrame) -> dict[str, Any]:
    """Per shared column: rows that differ and the largest numeric difference."""
    common = left.index.intersection(right.index)
    columns = []
    for name in [c for c in left.columns if c in right.columns]:
        x, y = left.loc[common, name], right.loc[common, name]
        differ = int((~((x == y) | (x.isna() & y.isna()))).sum())
        biggest = None
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            delta = np.abs(x.astype("float64") - y.astype("float64"))
            biggest = float(delta.max()) if len(delta) else 0.0
        columns.append({"name": str(name), "differ": differ, "max_abs_diff": biggest})
    only = sorted(set(map(str, left.columns)) ^ set(map(str, right.columns)))
    changed = any(c["differ"] for c in columns) or only or len(left) != len(right)
    return {
        "verdict": "different" if changed else "equal values",
        "columns": columns,
        "only_in_one": only,
        "rows": (len(left), len(right)),
    }


def run_scoring(run: Run) -> bool:
    """A labelled run not yet scored by a worker (or still running)."""
    return bool(run.target) and run.evaluation.get("status", "pending") == "pending"


def run_evaluation(run: Run) -> dict[str, Any] | None:
    """A run's evaluation with every field present; None for an unlabelled run."""
    if not run.target:
        return None
    found = dict(run.evaluation)
    return {
        "status": found.get("status", "pending"),
        "target": run.target,
        "task": found.get("task"),
        "rows": found.get("rows"),
        "nodes": found.get("nodes", []),
        "chart": found.get("chart"),
        "error": found.get("error", ""),
    }
