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
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
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
from runner.store import artifact_path, recent_tables
from runner.store.tables import RECENT_CELLS

logger = logging.getLogger(__name__)

Status = NodeResult.Status

#: A worker guesses on down a run for at most this long (then its task goes on
#: as usual), with at most this many outputs waiting for its writer.
AHEAD_SECONDS = 60.0
AHEAD_WRITES = 2


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
    cannot see), no child of the node ready once it is done, or an error
    while looking (a guess is only a guess: the node is recorded as usual).
    ``flying`` are the outputs written behind and perhaps not recorded yet
    (node id -> id 0, key, path), counted as done."""
    try:
        return _guess(node_result, outcome, flying)
    except SoftTimeLimitExceeded:
        raise
    except Exception:  # noqa: BLE001 - see above
        logger.warning("no guess after node result %d", node_result.id, exc_info=True)
        return None


def _guess(
    node_result: NodeResult,
    outcome: Outcome,
    flying: dict[str, tuple[int, str, str]] | None,
) -> Guess | None:
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
    graph = run_graph(run.id)
    # Only its children: the commit recording a node written behind before
    # it hands the others on (a sibling guessed here would be queued there).
    pending = [
        by_node[node][0]
        for node in ready(graph, done | set(flying), set(by_node))
        if by_node[node][0].status == Status.PENDING
        and node_result.node_id in graph.parents[node]
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
    writer, until = _writer(), time.monotonic() + AHEAD_SECONDS
    flying: dict[str, tuple[int, str, str]] = {}
    claims: list[Future[Hop | None]] = []
    while True:
        keep = chosen.node_result.node_id
        previous = claims[-1] if claims else None
        claim = writer.submit(_written_done, node_result, outcome, keep, previous)
        claims.append(claim)
        logger.info(
            "node result %d written behind while node result %d computes",
            node_result.id,
            chosen.node_result.id,
        )
        flying.update({n: ref for n, ref in chosen.parents.items() if ref[0] == 0})
        try:
            computed = _computed(chosen)
        except SoftTimeLimitExceeded as exc:
            # The task's time is up: the node fails, as any would, if claimed.
            _failed_if_claimed(chosen, claim, exc)
            return None
        if computed is None:
            break
        after = guess(chosen.node_result, computed, flying)
        if after is None or not _going_on(claims, until):
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


def _going_on(claims: list[Future[Hop | None]], until: float) -> bool:
    """Whether to guess further: not for longer than ``AHEAD_SECONDS``, nor
    after a write that claimed nothing (or raised), and with at most
    ``AHEAD_WRITES`` outputs waiting for the writer (it waits for the oldest)."""
    if time.monotonic() > until:
        return False
    waiting = [claim for claim in claims if not claim.done()]
    if len(waiting) >= AHEAD_WRITES:
        wait(waiting[:1])
    for claim in claims:
        if claim.done() and (claim.exception() is not None or claim.result() is None):
            return False
    return True


def _computed(chosen: Guess) -> Outcome | None:
    """``chosen``'s output, computed before it is claimed (leased once it is);
    None when that raised, or when a parent written behind is no longer in
    this process's tables (its file may not be whole yet): it is computed
    again once claimed, and recorded."""
    node_result = chosen.node_result
    parents = run_graph(node_result.run_id).parents[node_result.node_id]
    flying = [p for p in parents if chosen.parents[p][0] == 0]
    held = {p: recent_tables.get(chosen.parents[p][1]) for p in flying}
    if any(table is None for table in held.values()):
        return None
    started = timezone.now()
    try:
        with Heartbeat(node_result.id):
            computed = node_outcome(
                node_result,
                chosen.parents,
                write=False,
                held={p: t for p, t in held.items() if t is not None},
            )
    except SoftTimeLimitExceeded:
        raise
    except Exception:  # noqa: BLE001 - see above
        logger.info("node result %d: its guess raised", node_result.id, exc_info=True)
        return None
    computed.started = started
    return computed


def _failed_if_claimed(
    chosen: Guess, claim: Future[Hop | None], exc: BaseException
) -> None:
    """The task's time is up while computing ``chosen``: it fails, as any node
    would, when it was claimed meanwhile."""
    kept = claim.result()
    if kept is not None and kept.node_result.id == chosen.node_result.id:
        node_result_failed(node_result=kept.node_result, exc=exc)


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
