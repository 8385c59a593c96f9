"""What a worker does with a node result id: claim, lease, compute or reuse, hand on.

The database is the source of truth and the broker only wakes workers, so every
state change is a conditional UPDATE on the row's current status: a duplicate
delivery, a redelivery after a lost worker, or two workers finishing parents at
the same moment all find 0 rows to update and step aside.
"""

from __future__ import annotations

import functools
import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pandas as pd
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from catena.errors import CatenaError, StepError, StepTransientError
from catena.executor import run_node
from catena.graph import Graph, load
from catena.resolving import ResolvedModel, Resolver
from catena.scheduling import ready
from runner.leases import Heartbeat
from runner.models import Artifact, NodeResult, Run
from runner.services.artifacts import (
    artifact_get,
    artifact_load,
    artifact_record,
    artifact_write,
)

logger = logging.getLogger(__name__)

Status = NodeResult.Status


def resolver() -> Resolver:
    """The registry's resolver (imported late: registry loads models lazily)."""
    from registry.resolver import RegistryResolver

    return RegistryResolver()


@functools.lru_cache(maxsize=128)
def chain_graph(chain_version_id: int) -> Graph:
    """The loaded graph of a chain version (versions never change once saved)."""
    from builder.models import ChainVersion

    document = ChainVersion.objects.values_list("document", flat=True).get(
        id=chain_version_id
    )
    return load(document)


def _enqueue(node_result_id: int, countdown: float | None = None) -> None:
    from runner.tasks import node_execute

    if countdown:
        transaction.on_commit(
            lambda: node_execute.apply_async((node_result_id,), countdown=countdown)
        )
    else:
        node_execute.delay_on_commit(node_result_id)


# Scheduling ----------------------------------------------------------------------
def ready_successors(run_id: int, chain_version_id: int) -> list[str]:
    """Claim PENDING->QUEUED the nodes whose inputs are all done; enqueue each once."""
    rows = list(
        NodeResult.objects.filter(run_id=run_id).values_list("id", "node_id", "status")
    )
    done = {node for _, node, status in rows if status in NodeResult.DONE}
    pending = {node: pk for pk, node, status in rows if status == Status.PENDING}
    among = {node for _, node, _ in rows}
    claimed = []
    for node in ready(chain_graph(chain_version_id), done, among):
        if node in pending and _claim_pending(pending[node]):
            claimed.append(node)
    return claimed


def _claim_pending(node_result_id: int) -> bool:
    count = NodeResult.objects.filter(id=node_result_id, status=Status.PENDING).update(
        status=Status.QUEUED, queued_at=timezone.now()
    )
    if count:
        _enqueue(node_result_id)
    return bool(count)


def run_lock(run_id: int) -> None:
    """Serialize the hand-on of one run's nodes (inside a transaction).

    Two parents finishing at once each read their siblings' statuses after
    taking this lock, so the later one sees the earlier one's commit and the
    child is claimed exactly once, by whichever comes second.
    """
    Run.objects.select_for_update().filter(id=run_id).values_list("id").first()


def run_finish_if_done(run_id: int) -> str | None:
    """Give the run its final status once no node is pending, queued or running."""
    statuses = set(
        NodeResult.objects.filter(run_id=run_id).values_list("status", flat=True)
    )
    if statuses & set(NodeResult.ACTIVE):
        return None
    final, error = Run.Status.SUCCEEDED, ""
    if Status.FAILED in statuses:
        final, error = Run.Status.FAILED, _first_error(run_id)
    elif Status.CANCELLED in statuses:
        final = Run.Status.CANCELLED
    Run.objects.filter(id=run_id, status__in=Run.ACTIVE).update(
        status=final, finished_at=timezone.now(), error=error
    )
    return final


def _first_error(run_id: int) -> str:
    failed = (
        NodeResult.objects.filter(run_id=run_id, status=Status.FAILED)
        .order_by("finished_at", "position")
        .values_list("node_id", "error")
        .first()
    )
    return f"node {failed[0]!r} failed: {failed[1]}" if failed else ""


# One node ------------------------------------------------------------------------
def node_execute(node_result_id: int) -> None:
    """Run (or reuse) one claimed node; the body of the Celery task."""
    _connections_refresh()
    try:
        _node_execute(node_result_id)
    finally:
        _connections_refresh()


def _connections_refresh() -> None:
    # What Django does around a request: keep a healthy connection for
    # CONN_MAX_AGE, drop a broken or old one (Celery is told not to close it).
    # Never inside a transaction (a caller's, or a test's).
    if not connection.in_atomic_block:
        close_old_connections()


def _node_execute(node_result_id: int) -> None:
    node_result = node_claim(node_result_id)
    if node_result is None:
        return
    with Heartbeat(node_result.id):
        try:
            outcome = node_outcome(node_result)
        except StepTransientError as exc:
            node_result_transient(node_result=node_result, exc=exc)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded
            node_result_fail(
                node_result=node_result,
                message=_message(exc),
                tb="".join(traceback.format_exception(exc)),
            )
        else:
            node_done(node_result=node_result, outcome=outcome)


def _message(exc: BaseException) -> str:
    if isinstance(exc, StepError):
        return exc.message
    if isinstance(exc, CatenaError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def node_claim(node_result_id: int) -> NodeResult | None:
    """QUEUED -> RUNNING with a lease; None when another delivery got there first."""
    now = timezone.now()
    lease = timedelta(seconds=settings.CATENA_NODE_LEASE_SECONDS)
    with transaction.atomic():
        count = NodeResult.objects.filter(
            id=node_result_id, status=Status.QUEUED
        ).update(
            status=Status.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            lease_expires_at=now + lease,
        )
        if not count:
            return None
        node_result = NodeResult.objects.select_related("run", "run__input").get(
            id=node_result_id
        )
        if node_result.run.status == Run.Status.QUEUED:
            Run.objects.filter(id=node_result.run_id, status=Run.Status.QUEUED).update(
                status=Run.Status.RUNNING, started_at=now
            )
    return node_result


@dataclass
class Outcome:
    """A node's output: a stored artifact (reused), or a file just written."""

    artifact: Artifact | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    parent_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def reused(self) -> bool:
        return self.artifact is not None


def node_outcome(node_result: NodeResult) -> Outcome:
    """The node's stored output, or its output computed now and written to a file."""
    run = node_result.run
    if run.reuse:
        stored = artifact_get(key=node_result.cache_key)
        if stored is not None:
            return Outcome(artifact=stored)
    graph = chain_graph(run.chain_version_id)
    parents = _parents(node_result, graph)
    inputs = artifact_load(artifact=run.input) if node_result.kind == "input" else None
    resolved = _resolved(node_result)
    start = time.perf_counter()
    frames = {node: frame for node, (_, frame) in parents.items()}
    output = run_node(graph, node_result.node_id, frames, resolved, inputs)
    seconds = time.perf_counter() - start
    return Outcome(
        fields=artifact_write(key=node_result.cache_key, df=output),
        parent_ids=[artifact_id for artifact_id, _ in parents.values()],
        seconds=seconds,
    )


def _parents(node_result: NodeResult, graph: Graph) -> dict[str, tuple[int, Any]]:
    ids = graph.parents[node_result.node_id]
    results = NodeResult.objects.filter(
        run_id=node_result.run_id, node_id__in=ids
    ).select_related("artifact")
    by_node = {r.node_id: r for r in results}
    frames: dict[str, tuple[int, pd.DataFrame]] = {}
    for node in ids:
        parent = by_node[node]
        if parent.artifact is None:
            raise StepError(node_result.node_id, _gone(node))
        try:
            frames[node] = (
                parent.artifact.id,
                artifact_load(artifact=parent.artifact),
            )
        except FileNotFoundError as exc:
            raise StepError(node_result.node_id, _gone(node)) from exc
    return frames


def _gone(node: str) -> str:
    return (
        f"the stored output of {node!r} is gone (forgotten or deleted); "
        "start a new run to compute it again"
    )


#: Resolved exact versions kept per process: (name, version, sha256) -> model.
_resolved_models: dict[tuple[str, int, str], tuple[float, ResolvedModel]] = {}
RESOLVED_TTL_SECONDS = 60.0


def _resolved(node_result: NodeResult) -> dict[str, ResolvedModel]:
    if not node_result.model_name:
        return {}
    ref = (
        node_result.model_name,
        node_result.model_version or 0,
        node_result.model_sha256,
    )
    kept = _resolved_models.get(ref)
    if kept is not None and kept[0] > time.monotonic():
        return {node_result.node_id: kept[1]}
    model = resolver().resolve(node_result.model_name, node_result.model_version or 0)
    if model.sha256 != node_result.model_sha256:
        message = f"model {model.name!r} v{model.version} changed since the run started"
        raise StepError(node_result.node_id, message)
    # An exact version's file never changes (its sha256 is in the key); only
    # its trust could, hence the short life.
    _resolved_models[ref] = (time.monotonic() + RESOLVED_TTL_SECONDS, model)
    return {node_result.node_id: model}


def node_done(*, node_result: NodeResult, outcome: Outcome) -> None:
    """Record the output and claim the successors that became ready: one commit."""
    with transaction.atomic():
        run_lock(node_result.run_id)
        artifact = outcome.artifact or artifact_record(
            key=node_result.cache_key,
            fields=outcome.fields,
            run=node_result.run,
            node_id=node_result.node_id,
            parent_ids=outcome.parent_ids,
        )
        status = Status.REUSED if outcome.reused else Status.SUCCEEDED
        source_id = artifact.run_id if outcome.reused else None
        count = NodeResult.objects.filter(
            id=node_result.id, status=Status.RUNNING
        ).update(
            status=status,
            artifact=artifact,
            reused_from_id=source_id,
            rows=artifact.rows,
            schema=artifact.schema,
            seconds=outcome.seconds,
            finished_at=timezone.now(),
            lease_expires_at=None,
            error="",
            traceback="",
        )
        version_id = node_result.run.chain_version_id
        if not (count and ready_successors(node_result.run_id, version_id)):
            run_finish_if_done(node_result.run_id)


def node_result_fail(*, node_result: NodeResult, message: str, tb: str = "") -> None:
    """Mark a node FAILED and every node downstream of it SKIPPED."""
    graph = chain_graph(node_result.run.chain_version_id)
    downstream = _descendants(graph, node_result.node_id)
    now = timezone.now()
    with transaction.atomic():
        run_lock(node_result.run_id)
        count = NodeResult.objects.filter(
            id=node_result.id, status__in=NodeResult.ACTIVE
        ).update(
            status=Status.FAILED,
            error=message,
            traceback=tb,
            finished_at=now,
            lease_expires_at=None,
        )
        if count:
            NodeResult.objects.filter(
                run_id=node_result.run_id,
                node_id__in=downstream,
                status__in=(Status.PENDING, Status.QUEUED),
            ).update(
                status=Status.SKIPPED,
                error=f"skipped: upstream node {node_result.node_id!r} failed",
                finished_at=now,
            )
        run_finish_if_done(node_result.run_id)


def _descendants(graph: Graph, node_id: str) -> list[str]:
    import networkx as nx

    return sorted(nx.descendants(graph.dag, node_id))


def node_result_transient(*, node_result: NodeResult, exc: StepTransientError) -> None:
    """Queue a transient failure again with a countdown, a bounded number of times."""
    if node_result.attempts > settings.CATENA_TRANSIENT_MAX_RETRIES:
        message = f"gave up after {node_result.attempts} attempts: {exc}"
        node_result_fail(node_result=node_result, message=message)
        return
    with transaction.atomic():
        count = NodeResult.objects.filter(
            id=node_result.id, status=Status.RUNNING
        ).update(
            status=Status.QUEUED,
            queued_at=timezone.now(),
            lease_expires_at=None,
            error=f"retrying: {exc}",
        )
        if count:
            _enqueue(node_result.id, settings.CATENA_TRANSIENT_RETRY_COUNTDOWN)


def run_stop(*, run_id: int, status: str, reason: str = "") -> bool:
    """End an active run now: cancel or fail it, and stop its unfinished nodes."""
    now = timezone.now()
    with transaction.atomic():
        count = Run.objects.filter(id=run_id, status__in=Run.ACTIVE).update(
            status=status, finished_at=now, error=reason
        )
        if count:
            NodeResult.objects.filter(
                run_id=run_id, status__in=NodeResult.ACTIVE
            ).update(
                status=Status.CANCELLED,
                finished_at=now,
                lease_expires_at=None,
                error=reason or "cancelled",
            )
    return bool(count)
