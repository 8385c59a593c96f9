"""The sweeper: what lost workers and lost messages leave behind is picked up here.

Run by celery beat (task ``runner.runs_sweep``, every ``CATENA_SWEEP_SECONDS``).
Every change is the same conditional update the workers use, so a sweep racing
a worker, or another sweep, changes nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from runner import execute
from runner.models import NodeResult, Run

Status = NodeResult.Status


def runs_sweep() -> dict[str, int]:
    """Recover what lost workers and lost messages left behind; fail overdue runs."""
    return {
        "requeued": _leases_expired(),
        "redelivered": _queued_stale(),
        "overdue": _runs_overdue(),
        "settled": _runs_settle(),
    }


def _leases_expired() -> int:
    now = timezone.now()
    expired = NodeResult.objects.filter(
        status=Status.RUNNING, lease_expires_at__lt=now
    ).select_related("run")
    count = 0
    for node_result in expired:
        if node_result.attempts >= settings.CATENA_NODE_MAX_ATTEMPTS:
            message = (
                f"worker lost: the node's worker stopped renewing its lease "
                f"{node_result.attempts} times"
            )
            execute.node_result_fail(node_result=node_result, message=message)
            continue
        with transaction.atomic():
            updated = NodeResult.objects.filter(
                id=node_result.id, status=Status.RUNNING, lease_expires_at__lt=now
            ).update(status=Status.QUEUED, queued_at=now, lease_expires_at=None)
            if updated:
                execute._enqueue(node_result.id)
        count += updated
    return count


def _queued_stale() -> int:
    """Enqueue again nodes queued long ago: a killed worker may have held them."""
    now = timezone.now()
    before = now - timedelta(seconds=settings.CATENA_NODE_LEASE_SECONDS * 10)
    stale = list(
        NodeResult.objects.filter(
            status=Status.QUEUED, queued_at__lt=before
        ).values_list("id", flat=True)[:1000]
    )
    for node_result_id in stale:
        with transaction.atomic():
            if NodeResult.objects.filter(
                id=node_result_id, status=Status.QUEUED, queued_at__lt=before
            ).update(queued_at=now):
                execute._enqueue(node_result_id)
    return len(stale)


def _runs_overdue() -> int:
    overdue = list(
        Run.objects.filter(
            status__in=Run.ACTIVE, deadline__lt=timezone.now()
        ).values_list("id", flat=True)
    )
    for run_id in overdue:
        seconds = settings.CATENA_RUN_MAX_SECONDS
        execute.run_stop(
            run_id=run_id,
            status=Run.Status.FAILED,
            reason=f"the run exceeded its maximum run time ({seconds} s)",
        )
    return len(overdue)


def _runs_settle() -> int:
    """Finish runs whose last step crashed between recording a node and handing on."""
    busy = NodeResult.objects.filter(status__in=(Status.QUEUED, Status.RUNNING))
    idle = Run.objects.filter(status__in=Run.ACTIVE).exclude(
        id__in=busy.values("run_id")
    )
    count = 0
    for run_id, version_id in idle.values_list("id", "chain_version_id")[:200]:
        with transaction.atomic():
            execute.run_lock(run_id)
            if not execute.ready_successors(run_id, version_id):
                count += execute.run_finish_if_done(run_id) is not None
    return count
