"""Recording a computed or reused node: its artifact row, its status, its time.

``outcome_record`` is shared by a node recorded on its own (``node_done``, for
``runner.claims.node`` and ``runner.claims.behind``) and by a segment's nodes
recorded together (``runner.claims.segments``); the caller holds the run's
lock, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from runner.claims import durations, sql
from runner.claims.handing import Hop, hand_on, run_finish_if_done, run_lock
from runner.compute import Outcome
from runner.models import Artifact, NodeResult
from runner.store import artifact_record

Status = NodeResult.Status


def outcome_record(
    node_result: NodeResult,
    outcome: Outcome,
    *,
    finished: datetime,
    started: datetime | None = None,
    parent_ids: Sequence[int] | None = None,
    artifact: Artifact | None = None,
) -> tuple[int, Artifact]:
    """RUNNING -> SUCCEEDED (or REUSED) with the output's artifact row, created
    for a file just written; how many rows changed (0: no longer RUNNING), and
    the artifact.

    ``parent_ids`` are the parents' artifacts when the outcome could not know
    them (parents computed in the same segment, not recorded yet); an
    ``artifact`` given is the row the caller created for the file.
    """
    artifact = outcome_artifact(
        node_result, outcome, parent_ids=parent_ids, artifact=artifact
    )
    done = Recorded(node_result, outcome, artifact, finished, started)
    return outcomes_record([done]), artifact


def outcome_artifact(
    node_result: NodeResult,
    outcome: Outcome,
    *,
    parent_ids: Sequence[int] | None = None,
    artifact: Artifact | None = None,
) -> Artifact:
    """The artifact row of ``outcome``: ``artifact`` when given, else the
    reused one, else the row of the file just written (created, or the row
    found under its key updated)."""
    return (
        artifact
        or outcome.artifact
        or artifact_record(
            key=node_result.cache_key,
            fields=outcome.fields,
            run=node_result.run,
            node_id=node_result.node_id,
            parent_ids=outcome.parent_ids if parent_ids is None else parent_ids,
            known=outcome.known,
        )
    )


@dataclass
class Recorded:
    """A node's outcome with its artifact row, to record."""

    node_result: NodeResult
    outcome: Outcome
    artifact: Artifact
    finished: datetime
    started: datetime | None = None


def outcomes_record(done: Sequence[Recorded]) -> int:
    """Each RUNNING -> SUCCEEDED (or REUSED) with its artifact, in one round
    trip; how many rows changed (fewer: some were no longer RUNNING)."""
    count = sql.nodes_record(
        [
            sql.NodeRecord(
                item.node_result.id,
                Status.REUSED if item.outcome.reused else Status.SUCCEEDED,
                item.artifact,
                item.artifact.run_id if item.outcome.reused else None,
                item.outcome.seconds,
                item.finished,
                item.outcome.load_seconds,
                item.started,
            )
            for item in done
        ]
    )
    if count == len(done):
        # What a node will take next time: loading a model file happens
        # once per process (a cold worker's first call), so it is left out.
        for item in done:
            if not item.outcome.reused:
                run = item.node_result.run
                computed = item.outcome.seconds - item.outcome.load_seconds
                durations.note(
                    run.chain_version_id, item.node_result, computed, run.input.rows
                )
    return count


def node_done(
    *, node_result: NodeResult, outcome: Outcome, hop: bool = False, keep: str = ""
) -> Hop | None:
    """Record the output and claim the successors that became ready: one commit.

    With ``hop``, one ready successor is claimed RUNNING (leased) for this
    process to run next (``keep``, when named and ready); the others are
    queued for any worker.
    """
    with transaction.atomic():
        run_lock(node_result.run_id)
        count, _ = outcome_record(
            node_result, outcome, finished=timezone.now(), started=outcome.started
        )
        labelled = bool(node_result.run.target)
        if not count:
            run_finish_if_done(node_result.run_id, labelled=labelled)
            return None
        version_id = node_result.run.chain_version_id
        rows = node_result.run.input.rows
        claimed, kept, statuses = hand_on(
            node_result.run_id, version_id, hop=hop, rows=rows, keep=keep
        )
        if not claimed:
            run_finish_if_done(node_result.run_id, statuses, labelled=labelled)
    if kept is not None:
        kept.node_result.run = node_result.run
    return kept
