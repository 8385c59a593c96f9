"""Writing behind: a big output written and recorded by a second thread while
this process computes the successor it will keep.

A node's successors are claimed in the commit that records it, and it is
recorded once its file is whole: for an output of 100,000 rows of a dozen
columns that is 20-40 ms of encoding, hashing and writing between the end of
its compute and the start of the next node's. A worker process that kept
going (a hop) hands an output of at least ``CATENA_WRITE_BEHIND_CELLS`` cells
to a writer thread of its own, which writes the file, records the node and
claims its ready successors in one commit, as ``node_done`` does. Meanwhile
the process computes the ready successor it expects to keep (the one expected
to take longest: the others go to other workers once the file is written, so
the longest path waits for no write) on the table it holds.

The guess is used only when the writer's commit claimed that very node for
this process; its output is recorded as any other, its start being when its
compute began (before its parent's end). Otherwise (the run was cancelled
meanwhile, the write failed, the compute raised) it is thrown away: the node
was never claimed, or is computed again once claimed. Nothing is recorded
before the file it describes is whole, as without writing behind.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from catena.scheduling import ready
from runner.claims import durations, sql
from runner.claims.connections import connections_refresh
from runner.claims.ending import node_result_failed
from runner.claims.handing import Hop
from runner.claims.leases import Heartbeat
from runner.claims.recording import node_done
from runner.compute import (
    Outcome,
    node_outcome,
    outcome_written,
    run_graph,
    run_graphs_kept,
)
from runner.models import NodeResult
from runner.store import artifact_path
from runner.store.tables import RECENT_CELLS

logger = logging.getLogger(__name__)

Status = NodeResult.Status


@dataclass
class Guess:
    """The ready successor this process expects to keep, and the (artifact id,
    key, path) of its parents' outputs (the node being written: id 0)."""

    node_result: NodeResult
    parents: dict[str, tuple[int, str, str]]


def guess(
    node_result: NodeResult,
    outcome: Outcome,
    flying: dict[str, tuple[int, str, str]] | None = None,
) -> Guess | None:
    """The successor to compute while ``outcome`` is written behind, or None
    (write it now): an output too small to be worth it, kept in no table of
    this process (too big), a caller's open transaction (which another thread
    cannot see), or no successor ready once this node is done. ``flying``
    are the outputs written behind and perhaps not recorded yet (node id ->
    id 0, key, path), counted as done."""
    cells = settings.CATENA_WRITE_BEHIND_CELLS
    frame = outcome.frame
    if frame is None or cells <= 0 or not cells <= frame.size <= RECENT_CELLS:
        return None
    if connection.in_atomic_block:
        return None
    run = node_result.run
    key = node_result.cache_key
    flying = {**(flying or {}), node_result.node_id: (0, key, artifact_path(key))}
    by_node = {r.node_id: (r, ref) for r, ref in sql.run_nodes(run.id)}
    done = {n for n, (r, _) in by_node.items() if r.status in NodeResult.DONE}
    pending = [
        by_node[node][0]
        for node in ready(run_graph(run.id), done | set(flying), set(by_node))
        if by_node[node][0].status == Status.PENDING
    ]
    if not pending:
        return None
    times = durations.expected(run.chain_version_id, pending, run.input.rows)
    chosen = pending[times.index(max(times))]
    chosen.run = run
    parents = {node: ref for node, (_, ref) in by_node.items() if ref is not None}
    return Guess(node_result=chosen, parents={**parents, **flying})


def write_behind(
    node_result: NodeResult, outcome: Outcome, chosen: Guess
) -> Hop | None:
    """Write and record ``node_result`` on the writer thread while computing
    ``chosen``, and so on down the run while each output computed has a
    successor to guess; the successor finally claimed for this process, with
    its output when it is the last node guessed.

    Each write waits on the writer for the commit that claims its node (the
    one before it, in order): a node not claimed is not written, and nor is
    anything guessed after it.
    """
    writer = _writer()
    flying: dict[str, tuple[int, str, str]] = {}
    claim: Future[Hop | None] | None = None
    while True:
        keep = chosen.node_result.node_id
        claim = writer.submit(_written_done, node_result, outcome, keep, claim)
        logger.info(
            "node result %d written behind while node result %d computes",
            node_result.id,
            chosen.node_result.id,
        )
        flying.update({n: ref for n, ref in chosen.parents.items() if ref[0] == 0})
        computed = _computed(chosen)
        after = None if computed is None else _guessed(chosen, computed, flying)
        if computed is None or after is None:
            break
        node_result, outcome, chosen = chosen.node_result, computed, after
    kept = claim.result()
    if kept is None or kept.node_result.id != chosen.node_result.id:
        logger.info("node result %d: its guess thrown away", chosen.node_result.id)
        return kept
    if computed is not None:
        _parents_known(kept.node_result, computed, kept)
    kept.computed = computed
    return kept


def _computed(chosen: Guess) -> Outcome | None:
    """``chosen``'s output, computed before it is claimed (leased once it is);
    None when that raised: it is computed again once claimed, and recorded."""
    started = timezone.now()
    try:
        with Heartbeat(chosen.node_result.id):
            computed = node_outcome(chosen.node_result, chosen.parents, write=False)
    except Exception:  # noqa: BLE001 - see above
        logger.info("node result %d: its guess raised", chosen.node_result.id)
        return None
    computed.started = started
    return computed


def _guessed(
    chosen: Guess, computed: Outcome, flying: dict[str, tuple[int, str, str]]
) -> Guess | None:
    try:
        return guess(chosen.node_result, computed, flying)
    except Exception:  # noqa: BLE001 - a guess is only a guess
        logger.warning("no guess after node result %d", chosen.node_result.id)
        return None


def _parents_known(node_result: NodeResult, outcome: Outcome, claim: Hop) -> None:
    """The outcome's parents' rows, from the commit that claimed its node (a
    parent written behind had none when it was computed)."""
    parents = run_graph(node_result.run_id).parents[node_result.node_id]
    outcome.parent_ids = [claim.parents[p][0] for p in parents if p in claim.parents]


def _written_done(
    node_result: NodeResult,
    outcome: Outcome,
    keep: str,
    claim: Future[Hop | None] | None,
) -> Hop | None:
    """On the writer thread: once ``claim`` (the job before, done by now)
    claimed the node, its file written, then ``node_done`` keeping ``keep``
    when ready; a write that failed fails the node."""
    connections_refresh()
    if claim is not None:
        claimed = claim.result()
        if claimed is None or claimed.node_result.id != node_result.id:
            return None
        _parents_known(node_result, outcome, claimed)
    with run_graphs_kept(), Heartbeat(node_result.id):
        try:
            outcome = outcome_written(node_result, outcome)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded
            node_result_failed(node_result=node_result, exc=exc)
            return None
        return node_done(node_result=node_result, outcome=outcome, hop=True, keep=keep)


#: This process's writer thread (a forked pool process makes its own).
_writers: dict[int, ThreadPoolExecutor] = {}


def _writer() -> ThreadPoolExecutor:
    pid = os.getpid()
    found = _writers.get(pid)
    if found is None:
        _writers.clear()
        found = _writers[pid] = ThreadPoolExecutor(1, thread_name_prefix="writer")
    return found


def writer_disconnect() -> None:
    """Close the writer thread's database connection, if it has one (tests:
    before their database is dropped)."""
    found = _writers.get(os.getpid())
    if found is not None:
        found.submit(lambda: connection.close()).result()
