"""Ending a node or a run early: a failure, a transient retry, a cancel or a deadline.

Each is a conditional UPDATE under the run's lock, so a node already done, a
lease renewed meanwhile or another sweep wins and nothing changes.
"""

from __future__ import annotations

import traceback
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catena.errors import CatenaError, StepError, StepTransientError
from catena.graph import Graph
from runner import sending
from runner.claims.handing import ready_successors, run_finish_if_done, run_lock
from runner.compute import run_graph
from runner.models import NodeResult, Run
from runner.run_ends import run_end_announce

Status = NodeResult.Status


def node_result_failed(*, node_result: NodeResult, exc: BaseException) -> None:
    """Record why a RUNNING node's step raised: a transient failure is queued
    again (a bounded number of times), any other fails the node."""
    if isinstance(exc, StepTransientError):
        node_result_transient(node_result=node_result, exc=exc)
        return
    node_result_fail(
        node_result=node_result,
        message=failure_message(exc),
        tb="".join(traceback.format_exception(exc)),
    )


def failure_message(exc: BaseException) -> str:
    """What the run page says of a failed node."""
    if isinstance(exc, StepError):
        return exc.message
    if isinstance(exc, CatenaError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def node_result_fail(
    *,
    node_result: NodeResult,
    message: str,
    tb: str = "",
    lease_expired_at: datetime | None = None,
) -> bool:
    """Mark a node FAILED and every node downstream of it SKIPPED.

    With ``lease_expired_at`` (the sweeper), only while the node is still the
    attempt read, RUNNING, with its lease expired at that time.
    """
    graph = run_graph(node_result.run_id)
    downstream = _descendants(graph, node_result.node_id)
    now = timezone.now()
    still = NodeResult.objects.filter(id=node_result.id, status__in=NodeResult.ACTIVE)
    if lease_expired_at is not None:
        still = still.filter(
            status=Status.RUNNING,
            attempts=node_result.attempts,
            lease_expires_at__lt=lease_expired_at,
        )
    with transaction.atomic():
        run_lock(node_result.run_id)
        count = still.update(
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
            _others_hand_on(node_result.run_id)
        run_finish_if_done(node_result.run_id)
    return bool(count)


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
        run_lock(node_result.run_id)
        count = NodeResult.objects.filter(
            id=node_result.id, status=Status.RUNNING
        ).update(
            status=Status.QUEUED,
            queued_at=timezone.now(),
            lease_expires_at=None,
            error=f"retrying: {exc}",
        )
        if count:
            sending.send_on_commit(
                node_result.id, settings.CATENA_TRANSIENT_RETRY_COUNTDOWN
            )
            _others_hand_on(node_result.run_id)


def _others_hand_on(run_id: int) -> None:
    """Queue the ready nodes a process had kept PENDING to run after this one
    (a small run's quick branches), so that they do not wait on it."""
    version_id = Run.objects.values_list("chain_version_id", flat=True).get(id=run_id)
    ready_successors(run_id, version_id)


def run_stop(
    *,
    run_id: int,
    status: str,
    reason: str = "",
    deadline_before: datetime | None = None,
) -> bool:
    """End an active run now: cancel or fail it, and stop its unfinished nodes.

    With ``deadline_before``, only if the run's deadline is still before it.
    """
    now = timezone.now()
    active = Run.objects.filter(id=run_id, status__in=Run.ACTIVE)
    if deadline_before is not None:
        active = active.filter(deadline__lt=deadline_before)
    with transaction.atomic():
        count = active.update(status=status, finished_at=now, error=reason)
        if count:
            run_end_announce(run_id)
            NodeResult.objects.filter(
                run_id=run_id, status__in=NodeResult.ACTIVE
            ).update(
                status=Status.CANCELLED,
                finished_at=now,
                lease_expires_at=None,
                error=reason or "cancelled",
            )
    return bool(count)
