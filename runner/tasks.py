"""Celery tasks: thin entry points that take ids and call the runner's rooms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import shared_task
from celery.signals import worker_init, worker_process_init, worker_ready
from celery.utils.log import get_task_logger

from runner import claims, sweeper, warming
from runner.services.evaluation import run_evaluate as evaluation_run

logger = get_task_logger(__name__)


@shared_task(name="runner.ping")  # type: ignore[untyped-decorator, unused-ignore]
def ping(path: str, token: str) -> None:
    """Write ``token`` to ``path``: proves a worker took a message end to end."""
    Path(path).write_text(token)


@shared_task(name="runner.node_execute")  # type: ignore[untyped-decorator, unused-ignore]
def node_execute(node_result_id: int) -> None:
    """Claim, run or reuse, and hand on one node of a run."""
    # One line per message, naming the row: how often a node was sent shows.
    logger.info("node result %d delivered", node_result_id)
    claims.node_execute(node_result_id)


@shared_task(name="runner.run_evaluate")  # type: ignore[untyped-decorator, unused-ignore]
def run_evaluate(run_id: int) -> None:
    """Score a succeeded run's node outputs against its data set's target."""
    evaluation_run(run_id=run_id)


@shared_task(name="runner.runs_sweep")  # type: ignore[untyped-decorator, unused-ignore]
def runs_sweep() -> dict[str, int]:
    """Re-enqueue nodes whose lease expired; fail overdue runs."""
    return sweeper.runs_sweep()


@worker_init.connect  # type: ignore[untyped-decorator, unused-ignore]
def pool_marks_prepare(**kwargs: Any) -> None:
    warming.pool_marks_prepare()


@worker_process_init.connect  # type: ignore[untyped-decorator, unused-ignore]
def process_warm(**kwargs: Any) -> None:
    """Each pool process loads the models runs will need before it takes work."""
    warming.process_warm()


@worker_ready.connect  # type: ignore[untyped-decorator, unused-ignore]
def pool_wait(sender: Any, **kwargs: Any) -> None:
    """The worker says it is ready once its pool processes are warm."""
    warming.pool_wait(pool=sender.pool)
