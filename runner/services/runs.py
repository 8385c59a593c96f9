"""Starting, cancelling, retrying runs and forgetting stored outputs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import networkx as nx
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from catena.graph import Graph
from catena.keys import node_keys
from catena.problems import Problem
from catena.validation import check
from config.exceptions import CatenaAppError
from runner import execute
from runner.models import Artifact, Dataset, NodeResult, Run
from runner.services.artifacts import artifact_file_exists, artifact_forget
from runner.services.datasets import data_artifact_ensure, table_from_rows

Status = NodeResult.Status


def run_start(
    *,
    chain_version: Any,
    user: Any,
    dataset: Dataset | None = None,
    rows: list[dict[str, Any]] | None = None,
    reuse_from: Run | None = None,
    until: str = "",
    reuse: bool = True,
) -> Run:
    """Write the run and its PENDING node results, then queue the ready nodes.

    Aliases are resolved here and the exact versions recorded; every node's
    cache key is computed here, and a node whose key is stored (file present)
    is marked reused at once.
    """
    graph = execute.chain_graph(chain_version.id)
    needed = _needed(graph, until)
    report = check(graph, execute.resolver())
    _raise_errors(report.problems, needed)
    source = _input(
        dataset=dataset, rows=rows, reuse_from=reuse_from, wanted=_wanted(graph, needed)
    )
    keys = node_keys(graph, report.resolved, source.key, needed)
    stored = _stored(list(keys.values())) if reuse else {}
    return _run_create(
        chain_version=chain_version,
        user=user,
        dataset=dataset or (reuse_from.dataset if reuse_from is not None else None),
        source=source,
        graph=graph,
        keys=keys,
        resolved=report.resolved,
        stored=stored,
        until=until,
        reuse=reuse,
        reuse_from=reuse_from,
    )


def _needed(graph: Graph, until: str) -> set[str] | None:
    if not until:
        return None
    if until not in graph.nodes:
        raise CatenaAppError(
            f"The chain has no node {until!r} to run until.", {"node": until}
        )
    return {until} | set(nx.ancestors(graph.dag, until))


def _raise_errors(problems: list[Problem], needed: set[str] | None) -> None:
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


def _input(
    *,
    dataset: Dataset | None,
    rows: list[dict[str, Any]] | None,
    reuse_from: Run | None,
    wanted: set[str],
) -> Artifact:
    given = [x for x in (dataset, rows, reuse_from) if x is not None]
    if len(given) != 1:
        raise ValidationError(
            "Give exactly one input: a data set, rows, or an earlier run to reuse."
        )
    stored = dataset.artifact if dataset is not None else None
    if reuse_from is not None:
        stored = reuse_from.input
    if stored is not None:
        _columns_check(wanted, {column[0] for column in stored.schema})
        return stored
    df = table_from_rows(rows=rows or [])
    _columns_check(wanted, set(df.columns))
    return data_artifact_ensure(df=df)


def _wanted(graph: Graph, needed: set[str] | None) -> set[str]:
    """The columns the run's input nodes declare."""
    return {
        column[0]
        for node in graph.nodes.values()
        if node.kind == "input" and (needed is None or node.id in needed)
        for column in node.raw.get("schema", [])
    }


def _columns_check(wanted: set[str], present: set[str]) -> None:
    """Refuse an input that lacks a declared column before anything is written."""
    missing = sorted(wanted - present)
    if missing:
        names = ", ".join(missing)
        raise CatenaAppError(
            f"The input lacks columns the chain's input declares: {names}.",
            {"missing": missing},
        )


def _stored(keys: list[str]) -> dict[str, Artifact]:
    found = Artifact.objects.filter(key__in=keys)
    return {a.key: a for a in found if artifact_file_exists(a)}


_RELATED = ["chain_version", "started_by", "dataset", "input", "reused_from"]


@transaction.atomic
def _run_create(
    *,
    chain_version: Any,
    user: Any,
    dataset: Dataset | None,
    source: Artifact,
    graph: Graph,
    keys: dict[str, str],
    resolved: dict[str, Any],
    stored: dict[str, Artifact],
    until: str,
    reuse: bool,
    reuse_from: Run | None,
) -> Run:
    run = Run(
        chain_version=chain_version,
        started_by=user,
        dataset=dataset,
        input=source,
        input_rows=source.rows,
        until=until,
        reuse=reuse,
        reused_from=reuse_from,
        resolved={n: list(m.ref) for n, m in resolved.items() if n in keys},
        deadline=timezone.now() + timedelta(seconds=settings.CATENA_RUN_MAX_SECONDS),
    )
    # The related rows were just read; the database enforces the foreign keys
    # (four existence queries saved on every submission).
    run.full_clean(exclude=_RELATED)
    run.save()
    NodeResult.objects.bulk_create(
        _node_result(run, graph, node, position, key, resolved, stored)
        for position, (node, key) in enumerate(keys.items())
    )
    _hand_on(run)
    return run


def _node_result(
    run: Run,
    graph: Graph,
    node: str,
    position: int,
    key: str,
    resolved: dict[str, Any],
    stored: dict[str, Artifact],
) -> NodeResult:
    model = resolved.get(node)
    result = NodeResult(
        run=run,
        node_id=node,
        kind=graph.nodes[node].kind,
        position=position,
        cache_key=key,
        model_name=model.name if model else "",
        model_version=model.version if model else None,
        model_sha256=model.sha256 if model else "",
    )
    artifact = stored.get(key)
    if artifact is not None:
        result.status = Status.REUSED
        result.artifact = artifact
        result.reused_from_id = artifact.run_id
        result.rows = artifact.rows
        result.schema = artifact.schema
        result.seconds = 0.0
        result.finished_at = timezone.now()
    return result


def _hand_on(run: Run) -> None:
    claimed, _, statuses = execute.hand_on(run.id, run.chain_version_id)
    if not claimed:
        execute.run_finish_if_done(run.id, statuses)


def run_can_change(*, run: Run, user: Any) -> bool:
    """Who started it, who owns the chain, and staff may cancel, retry, forget."""
    return bool(
        user.is_staff
        or run.started_by_id == user.id
        or run.chain_version.chain.owner_id == user.id
    )


def _change_check(run: Run, user: Any) -> None:
    if not run_can_change(run=run, user=user):
        raise PermissionDenied("Only who started the run or owns the chain may.")


def run_cancel(*, run: Run, user: Any) -> Run:
    """Stop an active run: queued and pending nodes will not run."""
    _change_check(run, user)
    if not execute.run_stop(run_id=run.id, status=Run.Status.CANCELLED):
        raise CatenaAppError(
            f"Run {run.id} is {run.status}; only a queued or running run can be "
            "cancelled.",
            {"status": run.status},
        )
    run.refresh_from_db()
    return run


@transaction.atomic
def run_retry(*, run: Run, user: Any) -> Run:
    """Run the failed, skipped and cancelled nodes again on the stored upstream.

    Upstream outputs forgotten since (or whose file went missing) are computed
    again first.
    """
    _change_check(run, user)
    run = Run.objects.select_for_update().get(id=run.id)
    if run.status not in (Run.Status.FAILED, Run.Status.CANCELLED):
        raise CatenaAppError(
            f"Run {run.id} is {run.status}; only a failed or cancelled run can be "
            "retried.",
            {"status": run.status},
        )
    again = NodeResult.objects.filter(
        run=run, status__in=(Status.FAILED, Status.SKIPPED, Status.CANCELLED)
    )
    lost = _upstream_lost(run, set(again.values_list("node_id", flat=True)))
    # An upstream output forgotten (or whose file is gone) since the first
    # attempt is computed again first, under the same cache key.
    NodeResult.objects.filter(id__in=lost).update(
        status=Status.PENDING,
        artifact=None,
        reused_from=None,
        rows=None,
        schema=[],
        seconds=None,
        attempts=0,
        started_at=None,
        finished_at=None,
        queued_at=None,
        lease_expires_at=None,
    )
    again.update(
        status=Status.PENDING,
        attempts=0,
        error="",
        traceback="",
        started_at=None,
        finished_at=None,
        queued_at=None,
        lease_expires_at=None,
    )
    run.status, run.error, run.finished_at = Run.Status.QUEUED, "", None
    run.attempt += 1
    run.deadline = timezone.now() + timedelta(seconds=settings.CATENA_RUN_MAX_SECONDS)
    run.full_clean()
    run.save()
    _hand_on(run)
    run.refresh_from_db()
    return run


def _upstream_lost(run: Run, again: set[str]) -> list[int]:
    """Ids of the done nodes upstream of ``again`` whose stored output is gone."""
    graph = execute.chain_graph(run.chain_version_id)
    upstream: set[str] = set()
    for node in again:
        upstream |= nx.ancestors(graph.dag, node)
    done = NodeResult.objects.filter(
        run=run, node_id__in=upstream - again, status__in=NodeResult.DONE
    ).select_related("artifact")
    return [
        r.id for r in done if r.artifact is None or not artifact_file_exists(r.artifact)
    ]


def node_output_forget(*, node_result: NodeResult, user: Any) -> list[str]:
    """Forget one node's stored output and every output computed from it."""
    _change_check(node_result.run, user)
    if node_result.artifact is None:
        raise CatenaAppError(
            f"Node {node_result.node_id!r} has no stored output to forget.",
            {"node": node_result.node_id},
        )
    active = Run.objects.filter(id=node_result.run_id, status__in=Run.ACTIVE)
    if active.exists():
        raise CatenaAppError(
            "Wait until the run has finished before forgetting its outputs.",
            {"node": node_result.node_id},
        )
    return artifact_forget(artifact=node_result.artifact)
