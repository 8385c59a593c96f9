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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from catena.scheduling import ready
from runner.claims import durations, sql
from runner.claims.connections import connections_refresh
from runner.claims.ending import node_result_failed
from runner.claims.handing import Hop
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


def guess(node_result: NodeResult, outcome: Outcome) -> Guess | None:
    """The successor to compute while ``outcome`` is written behind, or None
    (write it now): an output too small to be worth it, kept in no table of
    this process (too big), a caller's open transaction (which another thread
    cannot see), or no successor ready once this node is done."""
    cells = settings.CATENA_WRITE_BEHIND_CELLS
    frame = outcome.frame
    if frame is None or cells <= 0 or not cells <= frame.size <= RECENT_CELLS:
        return None
    if connection.in_atomic_block:
        return None
    run = node_result.run
    by_node = {r.node_id: (r, ref) for r, ref in sql.run_nodes(run.id)}
    done = {n for n, (r, _) in by_node.items() if r.status in NodeResult.DONE}
    done.add(node_result.node_id)
    pending = [
        by_node[node][0]
        for node in ready(run_graph(run.id), done, set(by_node))
        if by_node[node][0].status == Status.PENDING
    ]
    if not pending:
        return None
    times = durations.expected(run.chain_version_id, pending, run.input.rows)
    chosen = pending[times.index(max(times))]
    chosen.run = run
    parents = {node: ref for node, (_, ref) in by_node.items() if ref is not None}
    key = node_result.cache_key
    parents[node_result.node_id] = (0, key, artifact_path(key))
    return Guess(node_result=chosen, parents=parents)


def write_behind(
    node_result: NodeResult, outcome: Outcome, chosen: Guess
) -> Hop | None:
    """Write and record ``node_result`` on the writer thread while computing
    ``chosen``; the successor claimed for this process, with ``chosen``'s
    output when it is that node."""
    keep = chosen.node_result.node_id
    written = _writer().submit(_written_done, node_result, outcome, keep)
    logger.info(
        "node result %d written behind while node result %d computes",
        node_result.id,
        chosen.node_result.id,
    )
    started = timezone.now()
    computed: Outcome | None
    try:
        computed = node_outcome(chosen.node_result, chosen.parents, write=False)
    except Exception:  # noqa: BLE001 - computed again once claimed, and recorded
        logger.info("node result %d: its guess raised", chosen.node_result.id)
        computed = None
    kept = written.result()
    if kept is None or kept.node_result.id != chosen.node_result.id:
        logger.info("node result %d: its guess thrown away", chosen.node_result.id)
        return kept
    if computed is not None:
        computed.started = started
        # Its parents' rows exist now: the one written behind had none before.
        parents = run_graph(node_result.run_id).parents[keep]
        computed.parent_ids = [kept.parents[p][0] for p in parents if p in kept.parents]
    kept.computed = computed
    return kept


def _written_done(node_result: NodeResult, outcome: Outcome, keep: str) -> Hop | None:
    """On the writer thread: the file written, then ``node_done`` keeping
    ``keep`` when ready; a write that failed fails the node."""
    connections_refresh()
    with run_graphs_kept():
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
