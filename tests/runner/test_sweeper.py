"""The sweeper: lost messages are sent again soon after the lease, and every
change it makes re-checks, in its own UPDATE, what it read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from runner import claims, sweeper
from runner.claims.leases import Heartbeat
from runner.models import NodeResult, Run
from runner.services.runs import run_start
from tests.runner.conftest import chain_version_make, linear_doc

pytestmark = pytest.mark.django_db
Status = NodeResult.Status


@pytest.fixture
def started(owner, drain):
    """A run whose first node is QUEUED and whose message was lost."""
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    first = drain.queue.pop()
    drain.sent.clear()
    return run, first


def queued_ago(node_result_id: int, seconds: float) -> None:
    NodeResult.objects.filter(id=node_result_id).update(
        queued_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_lost_message_is_sent_again_once_queued_longer_than_lease_and_margin(
    started, drain, settings
):
    run, first = started
    wait = settings.CATENA_NODE_LEASE_SECONDS + settings.CATENA_REQUEUE_MARGIN_SECONDS
    queued_ago(first, wait - 2)
    assert sweeper.runs_sweep()["redelivered"] == 0
    assert drain.sent == []
    queued_ago(first, wait + 2)
    assert sweeper.runs_sweep()["redelivered"] == 1
    assert drain.sent == [first]
    # Sent once per wait, not at every sweep.
    assert sweeper.runs_sweep()["redelivered"] == 0
    assert drain() == 3
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED


def test_the_requeue_wait_is_well_under_the_old_ten_leases(settings):
    wait = settings.CATENA_NODE_LEASE_SECONDS + settings.CATENA_REQUEUE_MARGIN_SECONDS
    assert wait < 2 * settings.CATENA_NODE_LEASE_SECONDS


def expire(node_result_id: int, **fields: object) -> None:
    NodeResult.objects.filter(id=node_result_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1), **fields
    )


def test_a_lease_renewed_after_the_sweeper_read_it_is_not_failed(
    started, drain, settings
):
    run, first = started
    claims.node_claim(first)
    expire(first, attempts=settings.CATENA_NODE_MAX_ATTEMPTS)
    now = timezone.now()
    (read,) = sweeper.leases_expired(now=now)
    assert Heartbeat.renew([first], 30) == 1
    assert sweeper.lease_expired_recover(node_result=read, now=now) == 0
    node_result = NodeResult.objects.get(id=first)
    assert node_result.status == Status.RUNNING
    assert node_result.error == ""
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING


def test_a_lease_renewed_after_the_sweeper_read_it_is_not_requeued(started, drain):
    _, first = started
    claims.node_claim(first)
    expire(first)
    now = timezone.now()
    (read,) = sweeper.leases_expired(now=now)
    assert Heartbeat.renew([first], 30) == 1
    assert sweeper.lease_expired_recover(node_result=read, now=now) == 0
    assert NodeResult.objects.get(id=first).status == Status.RUNNING
    assert drain.sent == []


def test_a_node_claimed_again_after_the_sweeper_read_it_is_left_alone(
    started, drain, settings
):
    """Requeued and claimed by another worker (a new attempt): the old read is stale."""
    _, first = started
    claims.node_claim(first)
    expire(first, attempts=settings.CATENA_NODE_MAX_ATTEMPTS - 1)
    now = timezone.now()
    (read,) = sweeper.leases_expired(now=now)
    NodeResult.objects.filter(id=first).update(
        attempts=settings.CATENA_NODE_MAX_ATTEMPTS
    )
    assert sweeper.lease_expired_recover(node_result=read, now=now) == 0
    assert NodeResult.objects.get(id=first).status == Status.RUNNING


def test_an_expired_lease_still_expired_at_the_write_is_failed(
    started, drain, settings
):
    run, first = started
    claims.node_claim(first)
    expire(first, attempts=settings.CATENA_NODE_MAX_ATTEMPTS)
    now = timezone.now()
    (read,) = sweeper.leases_expired(now=now)
    assert sweeper.lease_expired_recover(node_result=read, now=now) == 0
    assert NodeResult.objects.get(id=first).status == Status.FAILED
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED


def test_a_run_retried_after_the_sweeper_found_it_overdue_is_not_stopped(
    started, drain
):
    run, _ = started
    Run.objects.filter(id=run.id).update(deadline=timezone.now() - timedelta(seconds=1))
    now = timezone.now()
    overdue = sweeper.runs_overdue(now=now)
    assert overdue == [run.id]
    Run.objects.filter(id=run.id).update(deadline=now + timedelta(hours=1))
    assert sweeper.run_overdue_stop(run_id=run.id, now=now) is False
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED


def test_a_lost_segment_resumes_in_order_its_later_nodes_waiting_for_their_parents(
    owner, drain
):
    from runner.claims import node as claims_node

    version = chain_version_make(owner=owner, document=linear_doc())
    run_start(chain_version=version, user=owner, rows=[{"x": 1, "y": 2}])
    drain()  # times the chain's nodes: the next run is quick
    run = run_start(chain_version=version, user=owner, rows=[{"x": 3, "y": 4}])
    first = drain.queue.pop()
    drain.sent.clear()
    # A worker claims the whole run as one segment, then is lost.
    _, segment = claims_node._claim(first, rest=True)
    assert segment is not None
    assert segment.segment
    run.nodes.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    sweeper.runs_sweep()
    statuses = dict(run.nodes.values_list("node_id", "status"))
    assert statuses == {
        "in": Status.QUEUED,
        "plus": Status.PENDING,
        "out": Status.PENDING,
    }
    assert drain.sent == [first]
    assert drain() == 3
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
