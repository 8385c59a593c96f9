"""What a worker does with a node result id: claim, lease, compute or reuse, hand on.

The database is the source of truth and the broker only wakes workers, so every
state change is a conditional UPDATE on the row's current status: a duplicate
delivery, a redelivery after a lost worker, or two workers finishing parents at
the same moment all find 0 rows to update and step aside.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from catena.errors import CatenaError, StepError, StepTransientError
from catena.graph import Graph
from catena.scheduling import ready
from runner import sql
from runner.compute import Outcome, chain_graph, node_outcome, resolver
from runner.leases import Heartbeat
from runner.models import NodeResult, Run
from runner.services.artifacts import artifact_record

logger = logging.getLogger(__name__)

Status = NodeResult.Status
# Also used through this module by services, the sweeper, tests and benchmarks.
__all__ = ["Outcome", "chain_graph", "node_outcome", "resolver"]

#: A worker goes on with a successor it claimed itself (no broker round trip)
#: only while the task that woke it is younger than this.
HOP_SECONDS = 60.0


def _enqueue(node_result_id: int, countdown: float | None = None) -> None:
    from runner.tasks import node_execute

    if countdown:
        transaction.on_commit(
            lambda: node_execute.apply_async((node_result_id,), countdown=countdown)
        )
    else:
        node_execute.delay_on_commit(node_result_id)


# Scheduling ----------------------------------------------------------------------
@dataclass
class Hop:
    """A successor this process claimed to run next, with its parents' outputs."""

    node_result: NodeResult
    parents: dict[str, tuple[int, str, str]]


def ready_successors(run_id: int, chain_version_id: int) -> list[str]:
    """Claim PENDING->QUEUED the nodes whose inputs are all done; enqueue each once."""
    return hand_on(run_id, chain_version_id)[0]


def hand_on(
    run_id: int, chain_version_id: int, *, hop: bool = False
) -> tuple[list[str], Hop | None, set[str]]:
    """Claim the ready nodes (one of them PENDING->RUNNING for this process to
    run next when ``hop``, the others PENDING->QUEUED and enqueued).

    Returns the claimed nodes, the one kept here, and every node's status after.
    """
    by_node = {r.node_id: (r, ref) for r, ref in sql.run_nodes(run_id)}
    done = {node for node, (r, _) in by_node.items() if r.status in NodeResult.DONE}
    pending = [
        node
        for node in ready(chain_graph(chain_version_id), done, set(by_node))
        if by_node[node][0].status == Status.PENDING
    ]
    now = timezone.now()
    kept = _hop_claim(pending[0], by_node, now) if hop and pending else None
    rest = [n for n in pending if kept is None or n != kept.node_result.node_id]
    claimed = _claim_pending([by_node[n][0].id for n in rest], now)
    statuses = {r.status for r, _ in by_node.values()}
    if kept is not None:
        statuses.add(Status.RUNNING)
    if claimed:
        statuses.add(Status.QUEUED)
    names = ([kept.node_result.node_id] if kept else []) + (rest if claimed else [])
    return names, kept, statuses


def _hop_claim(
    node: str,
    by_node: dict[str, tuple[NodeResult, tuple[int, str, str] | None]],
    now: datetime,
) -> Hop | None:
    lease_expires = now + timedelta(seconds=settings.CATENA_NODE_LEASE_SECONDS)
    row = by_node[node][0]
    if not sql.node_hop_claim(row.id, now, lease_expires):
        return None
    row.status, row.attempts = Status.RUNNING, row.attempts + 1
    row.started_at, row.lease_expires_at = now, lease_expires
    parents = {n: ref for n, (_, ref) in by_node.items() if ref is not None}
    return Hop(node_result=row, parents=parents)


def _claim_pending(ids: list[int], now: datetime) -> bool:
    count = sql.nodes_queue(ids, now)
    if count:
        # Under the run lock these were all PENDING; should a cancel have
        # raced in, a message for a node no longer QUEUED is a no-op.
        for node_result_id in ids:
            _enqueue(node_result_id)
    return bool(count)


def run_lock(run_id: int) -> None:
    """Serialize the hand-on of one run's nodes (inside a transaction).

    Two parents finishing at once each read their siblings' statuses after
    taking this lock, so the later one sees the earlier one's commit and the
    child is claimed exactly once, by whichever comes second. SQLite has no
    row locks: its write transactions (BEGIN IMMEDIATE) are serialized already.
    """
    sql.run_lock(run_id)


def run_finish_if_done(run_id: int, statuses: set[str] | None = None) -> str | None:
    """Give the run its final status once no node is pending, queued or running.

    ``statuses`` are the run's node statuses when the caller has just read them
    (under the run lock).
    """
    if statuses is None:
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
    """Run (or reuse) one claimed node, then any successor it kept; the task body."""
    _connections_refresh()
    try:
        node_result = node_claim(node_result_id)
        started = time.monotonic()
        hop: Hop | None = None
        while node_result is not None:
            more = time.monotonic() - started < HOP_SECONDS
            hop = node_run(node_result, parents=hop.parents if hop else None, hop=more)
            node_result = hop.node_result if hop else None
            if node_result is not None:
                logger.info("node result %d kept to run next", node_result.id)
    finally:
        _connections_refresh()


def _connections_refresh() -> None:
    # What Django does around a request: keep a healthy connection for
    # CONN_MAX_AGE, drop a broken or old one (Celery is told not to close it).
    # Never inside a transaction (a caller's, or a test's). A worker's SQLite
    # connection is a file handle: it is kept across nodes unless broken
    # (closing one in WAL mode costs a checkpoint).
    if connection.in_atomic_block:
        return
    if connection.vendor == "sqlite" and not connection.settings_dict["CONN_MAX_AGE"]:
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        return
    close_old_connections()


def node_run(
    node_result: NodeResult,
    *,
    parents: dict[str, tuple[int, str, str]] | None = None,
    hop: bool = False,
) -> Hop | None:
    """Compute or reuse a RUNNING node and record it; a successor kept, if any."""
    with Heartbeat(node_result.id):
        try:
            outcome = node_outcome(node_result, parents)
        except StepTransientError as exc:
            node_result_transient(node_result=node_result, exc=exc)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded
            node_result_fail(
                node_result=node_result,
                message=_message(exc),
                tb="".join(traceback.format_exception(exc)),
            )
        else:
            return node_done(node_result=node_result, outcome=outcome, hop=hop)
    return None


def _message(exc: BaseException) -> str:
    if isinstance(exc, StepError):
        return exc.message
    if isinstance(exc, CatenaError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def node_claim(node_result_id: int) -> NodeResult | None:
    """QUEUED -> RUNNING with a lease; None when another delivery got there first."""
    now = timezone.now()
    lease_expires = now + timedelta(seconds=settings.CATENA_NODE_LEASE_SECONDS)
    with transaction.atomic():
        node_result = sql.node_claim_queued(node_result_id, now, lease_expires)
        if node_result is None:
            return None
        node_result.run = sql.run_of(node_result.run_id)
        if node_result.run.status == Run.Status.QUEUED:
            sql.run_start_if_queued(node_result.run_id, now)
    return node_result


def node_done(
    *, node_result: NodeResult, outcome: Outcome, hop: bool = False
) -> Hop | None:
    """Record the output and claim the successors that became ready: one commit.

    With ``hop``, one ready successor is claimed RUNNING (leased) for this
    process to run next; the others are queued for any worker.
    """
    with transaction.atomic():
        run_lock(node_result.run_id)
        artifact = outcome.artifact or artifact_record(
            key=node_result.cache_key,
            fields=outcome.fields,
            run=node_result.run,
            node_id=node_result.node_id,
            parent_ids=outcome.parent_ids,
            known=outcome.known,
        )
        status = Status.REUSED if outcome.reused else Status.SUCCEEDED
        source_id = artifact.run_id if outcome.reused else None
        count = sql.node_record(
            node_result.id,
            status=status,
            artifact=artifact,
            reused_from_id=source_id,
            seconds=outcome.seconds,
            now=timezone.now(),
        )
        if not count:
            run_finish_if_done(node_result.run_id)
            return None
        version_id = node_result.run.chain_version_id
        claimed, kept, statuses = hand_on(node_result.run_id, version_id, hop=hop)
        if not claimed:
            run_finish_if_done(node_result.run_id, statuses)
    if kept is not None:
        kept.node_result.run = node_result.run
    return kept


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
