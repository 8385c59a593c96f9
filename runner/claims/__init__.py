"""The runner's state machine: claim, lease, record, hand on, fail, stop.

- ``node``: one node through a worker, top to bottom (the task body);
- ``behind``: a big output written while the next node computes;
- ``segments``: the rest of a small run, recorded in one commit;
- ``recording``: a node's output, status and time recorded;
- ``handing``: the ready successors, each claimed exactly once;
- ``ending``: a node failed or retried, a run cancelled or overdue;
- ``leases``: a running node's lease, renewed while it computes;
- ``sql``: the state changes of the hot path, written out.

Below it: ``runner.compute`` (reuse or run a node), then ``runner.store``
(artifacts). Above it: ``runner.tasks`` (Celery entry points), the sweeper and
the services.
"""

from __future__ import annotations

from runner.claims.ending import node_result_fail, node_result_transient, run_stop
from runner.claims.handing import (
    Hop,
    hand_on,
    ready_successors,
    run_finish_if_done,
    run_lock,
)
from runner.claims.leases import Heartbeat
from runner.claims.node import node_claim, node_execute, node_run
from runner.claims.recording import node_done

__all__ = [
    "Heartbeat",
    "Hop",
    "hand_on",
    "node_claim",
    "node_done",
    "node_execute",
    "node_result_fail",
    "node_result_transient",
    "node_run",
    "ready_successors",
    "run_finish_if_done",
    "run_lock",
    "run_stop",
]
