"""Starting, cancelling, retrying runs and forgetting stored outputs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import networkx as nx
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from builder.selectors import chain_can_edit
from catena.graph import Graph, canonical_hash, load
from catena.guards import target_problems
from catena.keys import lineage_keys, node_keys
from catena.resolving import Resolver
from catena.scheduling import ready
from catena.validation import rows_problems
from config.exceptions import CatenaAppError
from runner import claims, compute, environment, sending
from runner.models import Artifact, Dataset, NodeResult, Run
from runner.services.artifacts import artifact_forget
from runner.services.chainsteps import chain_notes, kept
from runner.services.plans import chain_version_plan, plan_make
from runner.services.reuse import reuse_notes
from runner.services.run_inputs import (
    PostedRows,
    rows_stored,
    run_input,
    run_source,
)
from runner.services.submission_checks import (
    guard_notes,
    needed_nodes,
    problems_raise,
    row_count,
    rows_check,
    wanted_columns,
)
from runner.store import artifact_intact

Status = NodeResult.Status


def run_start(
    *,
    chain_version: Any,
    user: Any,
    dataset: Dataset | None = None,
    rows: list[dict[str, Any]] | None = None,
    reuse_from: Run | None = None,
    until: str = "",
    reuse: bool = True,
    idempotency_key: str = "",
    request_hash: str = "",
    received_at: datetime | None = None,
    document: dict[str, Any] | None = None,
    continues: Run | None = None,
    resolver: Resolver | None = None,
) -> Run:
    """Write the run and its PENDING node results, then queue the ready nodes.

    Aliases are resolved here and the exact versions recorded; every node's
    cache key is computed here, and a node whose key is stored (file present)
    is marked reused at once. ``received_at`` is when the request arrived (the
    run's clock starts then); without it, now. ``document`` runs a document
    derived from the chain version (an experiment's variant) in its place;
    ``resolver`` lets several submissions share their model lookups.
    """
    received_at = received_at or timezone.now()
    rows_check(rows)
    if document is None and resolver is None:
        plan = chain_version_plan(chain_version)  # kept while the registry stands
    else:
        graph = (
            compute.chain_graph(chain_version.id)
            if document is None
            else load(document)
        )
        resolver = resolver or compute.resolver()
        plan = plan_make(graph, resolver, chain=chain_version.chain.name)
    graph, report = plan.graph, plan.report
    problems_raise(report.problems, needed_nodes(graph, until))
    labelled = dataset or (reuse_from.dataset if reuse_from is not None else None)
    target = labelled.target if labelled is not None else ""
    leaks = target_problems(graph, report.schemas, report.resolved, target)
    flat = plan.expansion()
    graph, needed = flat.graph, needed_nodes(flat.graph, until)
    problems_raise(
        rows_problems(graph, row_count(dataset, rows, reuse_from), needed), None
    )
    given = run_input(
        dataset=dataset,
        rows=rows,
        reuse_from=reuse_from,
        wanted=wanted_columns(graph, needed),
    )
    posted = [given] if isinstance(given, str) else []
    fingerprint = environment.environment_fingerprint()
    source_key = given if isinstance(given, str) else given.key
    args = (graph, flat.resolved, source_key, needed)
    keys = node_keys(*args, environment=fingerprint, chains=flat.chains)
    lineage = lineage_keys(*args, chains=flat.chains)
    # The posted input and the nodes' stored outputs, in one query.
    rows_found = rows_stored([*(keys.values() if reuse else ()), *posted])
    found = {key: a for key, a in rows_found.items() if artifact_intact(a)}
    source = run_source(given, rows, rows_found, found)
    stored = {key: found[key] for key in keys.values() if key in found}
    # Rows never stored before (no row under their key) were never a run's
    # input (inputs are kept while a run names them): no output of the same
    # work on them exists to say why it was not reused.
    seen = not isinstance(given, str) or given in rows_found
    notes = (
        reuse_notes(graph=graph, keys=keys, lineage=lineage, stored=stored)
        if reuse and seen
        else {}
    )
    notes = chain_notes(
        chain_version=chain_version,
        chains=flat.chains,
        problems=report.problems,
        notes=notes,
    )
    notes = guard_notes(notes, report.problems + leaks)
    return _run_create(
        chain_version=chain_version,
        user=user,
        dataset=dataset or (reuse_from.dataset if reuse_from is not None else None),
        source=source,
        graph=graph,
        keys=keys,
        lineage=lineage,
        notes=notes,
        resolved=flat.resolved,
        chains={n: list(c.ref) for n, c in flat.chains.items() if kept(n, keys)},
        stored=stored,
        until=until,
        reuse=reuse,
        reuse_from=reuse_from,
        idempotency=(idempotency_key, request_hash),
        received_at=received_at,
        own=(document, continues),
    )


_RELATED = [
    "chain_version",
    "started_by",
    "dataset",
    "input",
    "reused_from",
    "continues",
]


@transaction.atomic
def _run_create(
    *,
    chain_version: Any,
    user: Any,
    dataset: Dataset | None,
    source: Artifact | PostedRows,
    graph: Graph,
    keys: dict[str, str],
    lineage: dict[str, str],
    notes: dict[str, str],
    resolved: dict[str, Any],
    chains: dict[str, list[Any]],
    stored: dict[str, Artifact],
    until: str,
    reuse: bool,
    reuse_from: Run | None,
    idempotency: tuple[str, str],
    received_at: datetime,
    own: tuple[dict[str, Any] | None, Run | None] = (None, None),
) -> Run:
    if isinstance(source, PostedRows):
        source = source.record()
    run = Run(
        received_at=received_at,
        chain_version=chain_version,
        started_by=user,
        dataset=dataset,
        input=source,
        input_rows=source.rows,
        until=until,
        reuse=reuse,
        reused_from=reuse_from,
        target=dataset.target if dataset is not None else "",
        evaluation={"status": "pending"} if dataset and dataset.target else {},
        resolved={n: list(m.ref) for n, m in resolved.items() if kept(n, keys)},
        chains=chains,
        deadline=timezone.now() + timedelta(seconds=settings.CATENA_RUN_MAX_SECONDS),
        idempotency_key=idempotency[0],
        request_hash=idempotency[1],
        document=own[0],
        document_hash=canonical_hash(own[0]) if own[0] is not None else "",
        continues=own[1],
    )
    results = [
        _node_result(run, graph, node, position, key, resolved, stored)
        for position, (node, key) in enumerate(keys.items())
    ]
    for result in results:
        result.lineage_key = lineage[result.node_id]
        result.note = notes.get(result.node_id, "")
    # Written as they start, in two INSERTs: the run with its end when every
    # node is reused (an identical rerun), else its ready nodes QUEUED.
    _submitted(run)
    reused = all(result.status == Status.REUSED for result in results)
    if reused:
        run.status, run.finished_at = Run.Status.SUCCEEDED, run.created
    queued = [] if reused else _queued(graph, results, run.created)
    # The related rows were just read; the database enforces the foreign keys
    # (four existence queries saved on every submission) and the one run per
    # idempotency key (an IntegrityError for a concurrent twin, see run_submit).
    run.full_clean(exclude=[*_RELATED, "idempotency_key"])
    run.save()
    NodeResult.objects.bulk_create(results)
    for result in queued:
        sending.send_on_commit(result.id)
    if reused and run.target:
        sending.evaluate_on_commit(run.id)
    return run


def _queued(graph: Graph, results: list[NodeResult], now: datetime) -> list[NodeResult]:
    """The nodes ready at once, marked QUEUED (sent once the run commits)."""
    done = {r.node_id for r in results if r.status in NodeResult.DONE}
    first = set(ready(graph, done, [r.node_id for r in results]))
    queued = [r for r in results if r.node_id in first]
    for result in queued:
        result.status, result.queued_at = Status.QUEUED, now
    return queued


def _submitted(run: Run) -> None:
    """The submission's own work is done but for its writes: queueing starts."""
    run.created = timezone.now()
    run.submit_seconds = (run.created - run.since).total_seconds()


def _node_result(
    run: Run,
    graph: Graph,
    node: str,
    position: int,
    key: str,
    resolved: dict[str, Any],
    stored: dict[str, Artifact],
) -> NodeResult:
    model = resolved.get(node)
    result = NodeResult(
        run=run,
        node_id=node,
        kind=graph.nodes[node].kind,
        position=position,
        cache_key=key,
        model_name=model.name if model else "",
        model_version=model.version if model else None,
        model_sha256=model.sha256 if model else "",
    )
    artifact = stored.get(key)
    if artifact is not None:
        result.status = Status.REUSED
        result.artifact = artifact
        result.reused_from_id = artifact.run_id
        result.rows = artifact.rows
        result.schema = artifact.schema
        result.seconds = 0.0
        result.finished_at = timezone.now()
    return result


def _hand_on(run: Run) -> None:
    with compute.run_graphs_kept():
        # Its graph's fields were just written: not read again.
        compute.run_graph_known(
            run.id, (run.chain_version_id, run.chains, run.document_hash)
        )
        claimed, _, statuses = claims.hand_on(run.id, run.chain_version_id)
    if (
        not claimed
        and claims.run_finish_if_done(run.id, statuses, announce=False) is not None
    ):
        # Nothing left to run: the caller answers with the run as it ended.
        run.refresh_from_db(fields=["status", "error", "finished_at"])


def run_can_change(*, run: Run, user: Any) -> bool:
    """Who started it, the chain's owner and team, and staff may cancel, retry,
    forget."""
    if run.started_by_id == user.id:
        return True
    return chain_can_edit(chain=run.chain_version.chain, user=user)


def _change_check(run: Run, user: Any) -> None:
    if not run_can_change(run=run, user=user):
        raise PermissionDenied("Only who started the run or owns the chain may.")


def run_cancel(*, run: Run, user: Any) -> Run:
    """Stop an active run: queued and pending nodes will not run."""
    _change_check(run, user)
    if not claims.run_stop(run_id=run.id, status=Run.Status.CANCELLED):
        raise CatenaAppError(
            f"Run {run.id} is {run.status}; only a queued or running run can be "
            "cancelled.",
            {"status": run.status},
        )
    run.refresh_from_db()
    return run


@transaction.atomic
def run_retry(*, run: Run, user: Any) -> Run:
    """Run the failed, skipped and cancelled nodes again on the stored upstream.

    Upstream outputs forgotten since (or whose file went missing) are computed
    again first.
    """
    _change_check(run, user)
    run = Run.objects.select_for_update().get(id=run.id)
    if run.status not in (Run.Status.FAILED, Run.Status.CANCELLED):
        raise CatenaAppError(
            f"Run {run.id} is {run.status}; only a failed or cancelled run can be "
            "retried.",
            {"status": run.status},
        )
    again = NodeResult.objects.filter(
        run=run, status__in=(Status.FAILED, Status.SKIPPED, Status.CANCELLED)
    )
    lost = _upstream_lost(run, set(again.values_list("node_id", flat=True)))
    # An upstream output forgotten (or whose file is gone) since the first
    # attempt is computed again first, under the same cache key.
    NodeResult.objects.filter(id__in=lost).update(
        status=Status.PENDING,
        artifact=None,
        reused_from=None,
        rows=None,
        schema=[],
        seconds=None,
        load_seconds=0.0,
        attempts=0,
        started_at=None,
        finished_at=None,
        queued_at=None,
        lease_expires_at=None,
    )
    again.update(
        status=Status.PENDING,
        attempts=0,
        error="",
        traceback="",
        started_at=None,
        finished_at=None,
        queued_at=None,
        lease_expires_at=None,
    )
    run.status, run.error, run.finished_at = Run.Status.QUEUED, "", None
    run.attempt += 1
    run.deadline = timezone.now() + timedelta(seconds=settings.CATENA_RUN_MAX_SECONDS)
    run.full_clean()
    run.save()
    _hand_on(run)
    run.refresh_from_db()
    return run


def _upstream_lost(run: Run, again: set[str]) -> list[int]:
    """Ids of the done nodes upstream of ``again`` whose stored output is gone."""
    graph = compute.run_graph(run.id)
    upstream: set[str] = set()
    for node in again:
        upstream |= nx.ancestors(graph.dag, node)
    done = NodeResult.objects.filter(
        run=run, node_id__in=upstream - again, status__in=NodeResult.DONE
    ).select_related("artifact")
    return [r.id for r in done if r.artifact is None or not artifact_intact(r.artifact)]


def node_output_forget(*, node_result: NodeResult, user: Any) -> list[str]:
    """Forget one node's stored output and every output computed from it."""
    _change_check(node_result.run, user)
    if node_result.artifact is None:
        raise CatenaAppError(
            f"Node {node_result.node_id!r} has no stored output to forget.",
            {"node": node_result.node_id},
        )
    active = Run.objects.filter(id=node_result.run_id, status__in=Run.ACTIVE)
    if active.exists():
        raise CatenaAppError(
            "Wait until the run has finished before forgetting its outputs.",
            {"node": node_result.node_id},
        )
    return artifact_forget(artifact=node_result.artifact, user=user)
