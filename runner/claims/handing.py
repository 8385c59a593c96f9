"""Handing on: the successors whose inputs are all done, each claimed exactly once.

Scheduling in graphlib's vocabulary: when a node is done, ``ready`` picks the
successors whose parents are all done; each is claimed PENDING->QUEUED (and
sent once the claim commits), or PENDING->RUNNING for the worker that finished
the parent to run next (a hop: no broker round trip). When several become ready
together and ``durations`` expects them to be quick, the others stay PENDING
for that same process to take one after another (a small run's branches need
no broker at all). When every node still to run is expected to be quick, they
are all claimed PENDING->RUNNING at once, a segment for that process to compute
one after another and record in one commit (``runner.claims.segments``). Two
parents finishing at once serialize on the run's lock, so a child is claimed by
whichever is second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from catena.scheduling import ready
from runner import sending
from runner.claims import durations, sql
from runner.compute import Outcome, run_graph
from runner.models import NodeResult, Run
from runner.run_ends import run_end_announce

Status = NodeResult.Status


@dataclass
class Hop:
    """A successor this process claimed to run next, with its parents' outputs;
    with a ``segment``, the nodes claimed to run after it, in a topological
    order, to be recorded together."""

    node_result: NodeResult
    parents: dict[str, tuple[int, str, str]]
    segment: list[NodeResult] = field(default_factory=list)
    #: Its output, computed before it was claimed (``runner.claims.behind``).
    computed: Outcome | None = None


def ready_successors(run_id: int, chain_version_id: int) -> list[str]:
    """Claim PENDING->QUEUED the nodes whose inputs are all done; enqueue each once."""
    return hand_on(run_id, chain_version_id)[0]


def hand_on(
    run_id: int,
    chain_version_id: int,
    *,
    hop: bool = False,
    rows: int = 0,
    keep: str = "",
) -> tuple[list[str], Hop | None, set[str]]:
    """Claim the ready nodes (one of them PENDING->RUNNING for this process to
    run next when ``hop``, the others PENDING->QUEUED and enqueued, or left
    PENDING for this process when quick on a run of ``rows`` input rows).
    ``keep`` names the node to keep when ready (no segment is claimed then);
    none is kept when it is not.

    Returns the claimed nodes, the one kept here, and every node's status after.
    """
    by_node = {r.node_id: (r, ref) for r, ref in sql.run_nodes(run_id)}
    done = {node for node, (r, _) in by_node.items() if r.status in NodeResult.DONE}
    pending = [
        node
        for node in ready(run_graph(run_id), done, set(by_node))
        if by_node[node][0].status == Status.PENDING
    ]
    now = timezone.now()
    if hop and pending and not keep:
        segment = _segment_claim(run_id, chain_version_id, by_node, rows, now)
        if segment is not None:
            names = [r.node_id for r in segment]
            statuses = {r.status for r, _ in by_node.values()} | {Status.RUNNING}
            return names, _segment_hop(segment, by_node), statuses
    choice = (keep if keep in pending else "") if keep else next(iter(pending), "")
    kept = _hop_claim(choice, by_node, now) if hop and choice else None
    rest = [n for n in pending if kept is None or n != kept.node_result.node_id]
    if kept is not None and rest:
        ready_rows = [by_node[n][0] for n in pending]
        if durations.quick(chain_version_id, ready_rows, rows):
            rest = []  # taken one after another by this process, by later hops
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


def segment_claim(node_result: NodeResult, now: datetime) -> Hop | None:
    """The rest of a run claimed with its node just claimed RUNNING (delivered),
    when nothing else of it is queued or running and all of it, that node
    included, is expected to be quick: a Hop whose segment it is."""
    run = node_result.run
    run_lock(run.id)
    by_node = {r.node_id: (r, ref) for r, ref in sql.run_nodes(run.id)}
    del by_node[node_result.node_id]
    segment = _segment_claim(
        run.id,
        run.chain_version_id,
        by_node,
        run.input.rows,
        now,
        first=node_result,
    )
    return None if segment is None else _segment_hop(segment, by_node)


def _segment_claim(
    run_id: int,
    chain_version_id: int,
    by_node: dict[str, tuple[NodeResult, tuple[int, str, str] | None]],
    rows: int,
    now: datetime,
    *,
    first: NodeResult | None = None,
) -> list[NodeResult] | None:
    """Every node still to run, claimed RUNNING in a topological order, when
    none is queued or running elsewhere and all are expected to be quick
    (``first``, claimed already and ready, runs first)."""
    left = [r for r, _ in by_node.values() if r.status not in NodeResult.DONE]
    if not left or any(r.status != Status.PENDING for r in left):
        return None
    timed = left if first is None else [first, *left]
    if len(timed) < 2 or not durations.quick(chain_version_id, timed, rows):
        return None
    lease_expires = now + timedelta(seconds=settings.CATENA_NODE_LEASE_SECONDS)
    if sql.nodes_hop_claim([r.id for r in left], now, lease_expires) != len(left):
        # Under the run's lock they are all still PENDING; were one not, the
        # sweeper would find the others' leases run out.
        return None
    for row in left:
        row.status, row.attempts = Status.RUNNING, row.attempts + 1
        row.started_at, row.lease_expires_at = now, lease_expires
    # ``first``'s parents are done; each other node's are done or before it.
    order = {node: i for i, node in enumerate(run_graph(run_id).order)}
    ordered = sorted(left, key=lambda r: order[r.node_id])
    return ordered if first is None else [first, *ordered]


def _segment_hop(
    segment: list[NodeResult],
    by_node: dict[str, tuple[NodeResult, tuple[int, str, str] | None]],
) -> Hop:
    parents = {n: ref for n, (_, ref) in by_node.items() if ref is not None}
    return Hop(node_result=segment[0], parents=parents, segment=segment[1:])


def _claim_pending(ids: list[int], now: datetime) -> bool:
    count = sql.nodes_queue(ids, now)
    if count:
        # Under the run lock these were all PENDING; should a cancel have
        # raced in, a message for a node no longer QUEUED is a no-op.
        for node_result_id in ids:
            sending.send_on_commit(node_result_id)
    return bool(count)


def run_lock(run_id: int) -> None:
    """Serialize the hand-on of one run's nodes (inside a transaction).

    Two parents finishing at once each read their siblings' statuses after
    taking this lock, so the later one sees the earlier one's commit and the
    child is claimed exactly once, by whichever comes second. SQLite has no
    row locks: its write transactions (BEGIN IMMEDIATE) are serialized already.
    """
    sql.run_lock(run_id)


def run_finish_if_done(
    run_id: int,
    statuses: set[str] | None = None,
    *,
    fields: dict[str, Any] | None = None,
    labelled: bool | None = None,
    finished: datetime | None = None,
    announce: bool = True,
) -> str | None:
    """Give the run its final status once no node is pending, queued or running.

    ``statuses`` are the run's node statuses when the caller has just read them
    (under the run lock); ``fields`` are written in the same UPDATE;
    ``labelled``, whether the run has a target to be scored against, when the
    caller knows it; ``finished``, the end to record (else now); ``announce``,
    whether waiting requests are told (not for a run ended in the request that
    submits it: nobody has its id yet).
    """
    if statuses is None:
        # Unordered: the default ordering (by run) joins the runs.
        found = NodeResult.objects.filter(run_id=run_id).order_by()
        statuses = set(found.values_list("status", flat=True))
    if statuses & set(NodeResult.ACTIVE):
        return None
    final, error = Run.Status.SUCCEEDED, ""
    if Status.FAILED in statuses:
        final, error = Run.Status.FAILED, _first_error(run_id)
    elif Status.CANCELLED in statuses:
        final = Run.Status.CANCELLED
    count = Run.objects.filter(id=run_id, status__in=Run.ACTIVE).update(
        status=final,
        finished_at=finished or timezone.now(),
        error=error,
        **(fields or {}),
    )
    if count and announce:
        run_end_announce(run_id)
    if count and final == Run.Status.SUCCEEDED:
        _evaluate_if_labelled(run_id, labelled)
    return final


def _evaluate_if_labelled(run_id: int, labelled: bool | None) -> None:
    """A run on a labelled data set is scored by a worker, after its last node."""
    if labelled is None:
        labelled = Run.objects.filter(id=run_id).exclude(target="").exists()
    if labelled:
        sending.evaluate_on_commit(run_id)


def _first_error(run_id: int) -> str:
    failed = (
        NodeResult.objects.filter(run_id=run_id, status=Status.FAILED)
        .order_by("finished_at", "position")
        .values_list("node_id", "error")
        .first()
    )
    return f"node {failed[0]!r} failed: {failed[1]}" if failed else ""
