"""One node through a worker, top to bottom: claim, compute or reuse, record, hand on.

The database is the source of truth and the broker only wakes workers, so every
state change is a conditional UPDATE on the row's current status: a duplicate
delivery, a redelivery after a lost worker, or two workers finishing parents at
the same moment all find 0 rows to update and step aside.

``node_execute`` (the task body) claims the delivered node QUEUED->RUNNING with a
lease (``node_claim``), computes or reuses its output under a renewed lease
(``node_run`` -> ``runner.compute.node_outcome``), then records it and hands on
in one commit (``node_done`` -> ``runner.claims.handing.hand_on``); a successor
it kept for itself runs next in the same loop, and a segment it claimed (the
rest of a small run) is computed and recorded by ``runner.claims.segments``.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from runner.claims import sql
from runner.claims.ending import node_result_failed
from runner.claims.handing import (
    Hop,
    hand_on,
    run_finish_if_done,
    run_lock,
    segment_claim,
)
from runner.claims.leases import Heartbeat
from runner.claims.recording import outcome_record
from runner.claims.segments import segment_run
from runner.compute import Outcome, node_outcome, run_graphs_kept
from runner.models import NodeResult, Run

logger = logging.getLogger(__name__)

Status = NodeResult.Status

#: A worker goes on with a successor it claimed itself (no broker round trip)
#: only while the task that woke it is younger than this.
HOP_SECONDS = 60.0


def node_execute(node_result_id: int) -> None:
    """Run (or reuse) one claimed node, then any successor it kept; the task body."""
    _connections_refresh()
    try:
        with run_graphs_kept():
            _node_loop(node_result_id)
    finally:
        _connections_refresh()


def _node_loop(node_result_id: int) -> None:
    node_result, segment = _claim(node_result_id, rest=True)
    if segment is not None:
        segment_run(segment)
        return
    started = time.monotonic()
    hop: Hop | None = None
    while node_result is not None:
        more = time.monotonic() - started < HOP_SECONDS
        hop = node_run(node_result, parents=hop.parents if hop else None, hop=more)
        if hop is not None and hop.segment:
            segment_run(hop)
            return
        node_result = hop.node_result if hop else None
        if node_result is not None:
            logger.info("node result %d kept to run next", node_result.id)


def node_claim(node_result_id: int) -> NodeResult | None:
    """QUEUED -> RUNNING with a lease; None when another delivery got there first."""
    return _claim(node_result_id)[0]


def _claim(
    node_result_id: int, *, rest: bool = False
) -> tuple[NodeResult | None, Hop | None]:
    """``node_claim``; with ``rest``, in the same commit, the rest of its run
    claimed too when all of it is expected to be quick (a segment)."""
    now = timezone.now()
    lease_expires = now + timedelta(seconds=settings.CATENA_NODE_LEASE_SECONDS)
    with transaction.atomic():
        node_result = sql.node_claim_queued(node_result_id, now, lease_expires)
        if node_result is None:
            return None, None
        node_result.run = sql.run_of(node_result.run_id)
        first = node_result.run.status == Run.Status.QUEUED
        if first:
            sql.run_start_if_queued(node_result.run_id, now)
        # A run's first node delivered: its whole run may be one segment.
        segment = segment_claim(node_result, now) if rest and first else None
    return node_result, segment


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
        except Exception as exc:  # noqa: BLE001 - every failure is recorded
            node_result_failed(node_result=node_result, exc=exc)
        else:
            return node_done(node_result=node_result, outcome=outcome, hop=hop)
    return None


def node_done(
    *, node_result: NodeResult, outcome: Outcome, hop: bool = False
) -> Hop | None:
    """Record the output and claim the successors that became ready: one commit.

    With ``hop``, one ready successor is claimed RUNNING (leased) for this
    process to run next; the others are queued for any worker.
    """
    with transaction.atomic():
        run_lock(node_result.run_id)
        count, _ = outcome_record(node_result, outcome, finished=timezone.now())
        labelled = bool(node_result.run.target)
        if not count:
            run_finish_if_done(node_result.run_id, labelled=labelled)
            return None
        version_id = node_result.run.chain_version_id
        rows = node_result.run.input.rows
        claimed, kept, statuses = hand_on(
            node_result.run_id, version_id, hop=hop, rows=rows
        )
        if not claimed:
            run_finish_if_done(node_result.run_id, statuses, labelled=labelled)
    if kept is not None:
        kept.node_result.run = node_result.run
    return kept


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
