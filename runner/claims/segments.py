"""A segment: the rest of a small run, computed back to back and recorded in one commit.

When every node a run still has to run is expected to be quick, the process
that finished their parent claims them all RUNNING at once
(``runner.claims.handing``) and computes them here in a topological order, each
on its parents' outputs as this process just wrote them; their artifacts,
statuses and times (each node's own start and end) are then written in one
transaction, which also finishes the run. A small run so costs one commit for
its whole rest instead of one per node, and the run page shows the same rows.

A node that fails ends the segment: the nodes before it are recorded, the ones
after it go back to PENDING, and the failure is recorded as for any node (its
descendants skipped, the others handed on to any worker).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from runner.claims import sql
from runner.claims.ending import node_result_failed
from runner.claims.handing import Hop, run_finish_if_done, run_lock
from runner.claims.leases import Heartbeat
from runner.claims.recording import Recorded, outcome_artifact, outcomes_record
from runner.compute import Outcome, node_outcome, run_graph
from runner.models import Artifact, NodeResult
from runner.store import ABSENT, artifacts_create
from runner.store import sql as store_sql

logger = logging.getLogger(__name__)


@dataclass
class _Done:
    node_result: NodeResult
    outcome: Outcome
    started: datetime
    finished: datetime


def segment_run(hop: Hop) -> None:
    """Compute ``hop``'s node and its segment, then record them in one commit."""
    nodes = [hop.node_result, *hop.segment]
    run = hop.node_result.run
    logger.info(
        "node results %s run as one segment", ", ".join(str(n.id) for n in nodes)
    )
    refs = dict(hop.parents)
    done: list[_Done] = []
    # Outputs stored under the segment's keys since the run was submitted
    # (by another run), looked up in one query.
    keys = [n.cache_key for n in nodes]
    stored = store_sql.artifacts_found(keys) if run.reuse else {}
    with Heartbeat(*(n.id for n in nodes)):
        for position, node_result in enumerate(nodes):
            node_result.run = run
            started = timezone.now()
            try:
                found = stored.get(node_result.cache_key)
                outcome = node_outcome(node_result, refs, stored=found)
            except Exception as exc:  # noqa: BLE001 - every failure is recorded
                _record(done, hop.parents, released=nodes[position + 1 :])
                node_result_failed(node_result=node_result, exc=exc)
                return
            done.append(_Done(node_result, outcome, started, timezone.now()))
            refs[node_result.node_id] = _ref(node_result, outcome)
        _record(done, hop.parents)


def _ref(node_result: NodeResult, outcome: Outcome) -> tuple[int, str, str]:
    """How the nodes after it find this output: its row's id (0 while not
    recorded), key and path; the table itself is kept in this process."""
    if outcome.artifact is not None:
        artifact = outcome.artifact
        return artifact.id, artifact.key, artifact.path
    return 0, node_result.cache_key, outcome.fields["path"]


def _record(
    done: list[_Done],
    parents: dict[str, tuple[int, str, str]],
    *,
    released: Sequence[NodeResult] = (),
) -> None:
    """Record the computed nodes, give back the ones not reached, and finish
    the run when nothing is left: one transaction."""
    if not done and not released:
        return
    first = done[0].node_result if done else released[0]
    run_id = first.run_id
    graph = run_graph(run_id)
    ids = {node: ref[0] for node, ref in parents.items()}
    with transaction.atomic():
        run_lock(run_id)
        made, created = artifacts_create([_new(item) for item in done if _fresh(item)])
        links: list[tuple[int, int]] = []
        recorded: list[Recorded] = []
        for item in done:
            node_result, node_id = item.node_result, item.node_result.node_id
            parent_ids = [ids[p] for p in graph.parents[node_id] if p in ids]
            artifact = outcome_artifact(
                node_result,
                item.outcome,
                parent_ids=parent_ids,
                artifact=made.get(node_result.cache_key) if _fresh(item) else None,
            )
            recorded.append(
                Recorded(
                    node_result, item.outcome, artifact, item.finished, item.started
                )
            )
            ids[node_id] = artifact.id
            if _fresh(item) and node_result.cache_key in created:
                links += [(artifact.id, parent) for parent in sorted(set(parent_ids))]
        outcomes_record(recorded)
        # Twin nodes (equal keys) share one row: link it once.
        store_sql.artifacts_parents_link(sorted(set(links)))
        if released:
            sql.nodes_release([n.id for n in released])
        else:
            run_finish_if_done(run_id, labelled=bool(first.run.target))


def _fresh(item: _Done) -> bool:
    """A file just written whose key had no row when the node looked (not
    looked: a run that reuses nothing records through ``artifact_record``,
    which updates a row found under the key)."""
    return item.outcome.artifact is None and item.outcome.known is ABSENT


def _new(item: _Done) -> Artifact:
    node_result = item.node_result
    return Artifact(
        key=node_result.cache_key,
        run=node_result.run,
        node_id=node_result.node_id,
        **item.outcome.fields,
    )
