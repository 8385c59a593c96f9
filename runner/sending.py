"""Sending a node's message to the broker, which may be unreachable.

Messages are sent by task name through the Celery app, so nothing below the
Celery entry points (``runner.tasks``) imports them back.
"""

from __future__ import annotations

import logging
import threading

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

NODE_EXECUTE = "runner.node_execute"
RUN_EVALUATE = "runner.run_evaluate"


class _Unsent(threading.local):
    count = 0


_unsent = _Unsent()


def send_on_commit(node_result_id: int, countdown: float | None = None) -> None:
    """Send the node's message once the transaction that queued it commits."""
    transaction.on_commit(lambda: send(node_result_id, countdown))


def send(node_result_id: int, countdown: float | None = None) -> bool:
    """Send ``runner.node_execute`` for a committed QUEUED row; False if unsent.

    An unreachable broker is not an error here: the row stays QUEUED and the
    sweeper sends it again once it has waited a lease plus a margin, so an
    outage delays a node, never loses nor doubles it.
    """
    try:
        # ignore_result as the task itself would set it (CELERY_TASK_IGNORE_RESULT).
        current_app.send_task(
            NODE_EXECUTE,
            args=(node_result_id,),
            countdown=countdown or None,
            ignore_result=current_app.conf.task_ignore_result,
        )
    except (OperationalError, OSError):
        _unsent.count += 1
        logger.warning(
            "node result %d not sent: the broker is unreachable", node_result_id
        )
        return False
    return True


def unsent_count() -> int:
    """Messages this thread could not send so far (the broker was unreachable)."""
    return _unsent.count


def evaluate_on_commit(run_id: int) -> None:
    """Send ``runner.run_evaluate`` once the run's success commits."""
    transaction.on_commit(lambda: _evaluate_send(run_id))


def _evaluate_send(run_id: int) -> None:
    try:
        current_app.send_task(
            RUN_EVALUATE,
            args=(run_id,),
            ignore_result=current_app.conf.task_ignore_result,
        )
    except (OperationalError, OSError):
        # The run stays "pending" evaluation; it is not lost, only unscored.
        _unsent.count += 1
        logger.warning("run %d: evaluation not sent: broker unreachable", run_id)
