"""The sweeper: what lost workers and lost messages leave behind is picked up here.

Run by celery beat (task ``runner.runs_sweep``, every ``CATENA_SWEEP_SECONDS``).
Each recovery reads first, then writes with a conditional UPDATE whose WHERE
repeats what was read (status, attempt, expired lease or deadline): a worker
renewing its lease, another sweep or a retry between the read and the write
wins, and the sweep changes nothing. A recovery whose rows another session
holds locked (a worker lost mid-commit, until the database drops its session)
is left to a later sweep after ``LOCK_WAIT_MS``, so the rest goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from runner import claims, compute, sending
from runner.models import NodeResult, Run

Status = NodeResult.Status
#: Rows handled per sweep and kind; the next sweep takes the rest.
BATCH = 1000
#: How long one recovery waits for rows another session holds.
LOCK_WAIT_MS = 2000
#: SQLite's answer to a lock held too long; PostgreSQL's is SQLSTATE 55P03.
_SQLITE_LOCKED = "database is locked"

logger = logging.getLogger(__name__)


def runs_sweep() -> dict[str, int]:
    """Recover what lost workers and lost messages left behind; fail overdue runs."""
    now = timezone.now()
    expired = leases_expired(now=now)
    overdue = runs_overdue(now=now)
    return {
        "requeued": sum(
            _unless_locked(lease_expired_recover, node_result=r, now=now)
            for r in expired
        ),
        "redelivered": _queued_stale(now),
        "overdue": sum(
            _unless_locked(run_overdue_stop, run_id=i, now=now) for i in overdue
        ),
        "settled": _runs_settle(),
    }


def _unless_locked(recover: Callable[..., int | bool], **kwargs: Any) -> int:
    """``recover(**kwargs)`` in a transaction that waits at most ``LOCK_WAIT_MS``
    for a lock; 0 when it had to give up (the next sweep tries again)."""
    try:
        with _lock_wait_bounded(), transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = {int(LOCK_WAIT_MS)}")
            return int(recover(**kwargs))
    except OperationalError as exc:
        cause = exc.__cause__
        locked = getattr(cause, "sqlstate", None) == "55P03" or (
            _SQLITE_LOCKED in str(cause or exc)
        )
        if not locked:
            raise
        logger.info("sweep: %s(%s) waits for locked rows", recover.__name__, kwargs)
        return 0


@contextmanager
def _lock_wait_bounded() -> Iterator[None]:
    """SQLite waits for its write lock before the transaction starts: bound it."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    options = settings.DATABASES["default"]["OPTIONS"]
    usual = int(float(options.get("timeout", 5)) * 1000)
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT_MS)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {usual}")


def leases_expired(*, now: datetime) -> list[NodeResult]:
    """The running nodes whose lease had expired at ``now`` (a read only)."""
    expired = NodeResult.objects.filter(status=Status.RUNNING, lease_expires_at__lt=now)
    return list(expired.select_related("run")[:BATCH])


def lease_expired_recover(*, node_result: NodeResult, now: datetime) -> int:
    """Queue again (1), or fail when lost too often (0), a node read as expired.

    Both only if the row is still the one read: RUNNING, same attempt, lease
    still expired at ``now``. A lease renewed since keeps its node.
    """
    if node_result.attempts >= settings.CATENA_NODE_MAX_ATTEMPTS:
        message = (
            f"worker lost: the node's worker stopped renewing its lease "
            f"{node_result.attempts} times"
        )
        claims.node_result_fail(
            node_result=node_result, message=message, lease_expired_at=now
        )
        return 0
    still = NodeResult.objects.filter(
        id=node_result.id,
        status=Status.RUNNING,
        attempts=node_result.attempts,
        lease_expires_at__lt=now,
    )
    with transaction.atomic():
        if not _parents_done(node_result):
            # A segment's node (claimed before its parents were done) whose
            # worker was lost: it waits for them, handed on when they are done.
            still.update(status=Status.PENDING, queued_at=None, lease_expires_at=None)
            return 0
        updated = still.update(
            status=Status.QUEUED, queued_at=now, lease_expires_at=None
        )
        if updated:
            sending.send_on_commit(node_result.id)
    return updated


def _parents_done(node_result: NodeResult) -> bool:
    parents = compute.run_graph(node_result.run_id).parents[node_result.node_id]
    if not parents:
        return True
    statuses = NodeResult.objects.filter(
        run_id=node_result.run_id, node_id__in=parents
    ).values_list("status", flat=True)
    return all(status in NodeResult.DONE for status in statuses)


def _queued_stale(now: datetime) -> int:
    """Send again nodes queued longer than a lease plus a margin: their message
    was lost (broker outage, a worker killed before it claimed them)."""
    wait = settings.CATENA_NODE_LEASE_SECONDS + settings.CATENA_REQUEUE_MARGIN_SECONDS
    before = now - timedelta(seconds=wait)
    stale = NodeResult.objects.filter(status=Status.QUEUED, queued_at__lt=before)
    ids = list(stale.values_list("id", flat=True)[:BATCH])
    return sum(
        _unless_locked(_queued_resend, node_result_id=i, before=before, now=now)
        for i in ids
    )


def _queued_resend(*, node_result_id: int, before: datetime, now: datetime) -> int:
    # queued_at moves on: one message per wait, not one per sweep.
    if NodeResult.objects.filter(
        id=node_result_id, status=Status.QUEUED, queued_at__lt=before
    ).update(queued_at=now):
        sending.send_on_commit(node_result_id)
        return 1
    return 0


def runs_overdue(*, now: datetime) -> list[int]:
    """Ids of the active runs whose deadline had passed at ``now`` (a read only)."""
    overdue = Run.objects.filter(status__in=Run.ACTIVE, deadline__lt=now)
    return list(overdue.values_list("id", flat=True)[:BATCH])


def run_overdue_stop(*, run_id: int, now: datetime) -> bool:
    """Fail a run read as overdue, if its deadline (a retry moves it) still passed."""
    seconds = settings.CATENA_RUN_MAX_SECONDS
    return claims.run_stop(
        run_id=run_id,
        status=Run.Status.FAILED,
        reason=f"the run exceeded its maximum run time ({seconds} s)",
        deadline_before=now,
    )


def _runs_settle() -> int:
    """Finish runs whose last step crashed between recording a node and handing on."""
    busy = NodeResult.objects.filter(status__in=(Status.QUEUED, Status.RUNNING))
    idle = Run.objects.filter(status__in=Run.ACTIVE).exclude(
        id__in=busy.values("run_id")
    )
    found = list(idle.values_list("id", "chain_version_id")[:200])
    return sum(
        _unless_locked(_run_settle, run_id=run_id, version_id=version_id)
        for run_id, version_id in found
    )


def _run_settle(*, run_id: int, version_id: int) -> int:
    claims.run_lock(run_id)
    if not claims.ready_successors(run_id, version_id):
        return int(claims.run_finish_if_done(run_id) is not None)
    return 0
