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
from django.db import transaction
from django.utils import timezone

from runner.claims import behind, sql
from runner.claims.connections import connections_refresh
from runner.claims.ending import node_result_failed
from runner.claims.handing import Hop, segment_claim
from runner.claims.leases import Heartbeat
from runner.claims.recording import node_done
from runner.claims.segments import segment_run
from runner.compute import (
    Outcome,
    node_outcome,
    outcome_written,
    run_graph_known,
    run_graphs_kept,
)
from runner.models import NodeResult, Run

logger = logging.getLogger(__name__)

Status = NodeResult.Status

#: A worker goes on with a successor it claimed itself (no broker round trip)
#: only while the task that woke it is younger than this.
HOP_SECONDS = 60.0


def node_execute(node_result_id: int) -> None:
    """Run (or reuse) one claimed node, then any successor it kept; the task body."""
    connections_refresh()
    try:
        with run_graphs_kept():
            _node_loop(node_result_id)
    finally:
        connections_refresh()


def _node_loop(node_result_id: int) -> None:
    node_result, segment = _claim(node_result_id, rest=True)
    if segment is not None:
        segment_run(segment)
        return
    started = time.monotonic()
    hop: Hop | None = None
    while node_result is not None:
        more = time.monotonic() - started < HOP_SECONDS
        hop = node_run(
            node_result,
            parents=hop.parents if hop else None,
            hop=more,
            computed=hop.computed if hop else None,
        )
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
        node_result.run = run = sql.run_of(node_result.run_id)
        # Its graph's fields were just read: not read again by ``run_graph``.
        run_graph_known(run.id, (run.chain_version_id, run.chains, run.document_hash))
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
    computed: Outcome | None = None,
) -> Hop | None:
    """Compute or reuse a RUNNING node and record it; a successor kept, if any.

    ``computed`` is its output computed before it was claimed (written
    behind its parent, ``runner.claims.behind``); with ``hop``, a big output
    is written behind while the successor to keep computes.
    """
    with Heartbeat(node_result.id):
        try:
            outcome = computed or node_outcome(node_result, parents, write=False)
            chosen = behind.guess(node_result, outcome) if hop else None
            if chosen is None:
                outcome = outcome_written(node_result, outcome)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded
            node_result_failed(node_result=node_result, exc=exc)
            return None
        if chosen is not None:
            return behind.write_behind(node_result, outcome, chosen)
        return node_done(node_result=node_result, outcome=outcome, hop=hop)
