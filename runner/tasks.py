"""Celery tasks: thin wrappers that take ids and call runner.execute."""

from __future__ import annotations

from pathlib import Path

from celery import shared_task

from runner import execute, sweeper


@shared_task(name="runner.ping")  # type: ignore[untyped-decorator, unused-ignore]
def ping(path: str, token: str) -> None:
    """Write ``token`` to ``path``: proves a worker took a message end to end."""
    Path(path).write_text(token)


@shared_task(name="runner.node_execute")  # type: ignore[untyped-decorator, unused-ignore]
def node_execute(node_result_id: int) -> None:
    """Claim, run or reuse, and hand on one node of a run."""
    execute.node_execute(node_result_id)


@shared_task(name="runner.runs_sweep")  # type: ignore[untyped-decorator, unused-ignore]
def runs_sweep() -> dict[str, int]:
    """Re-enqueue nodes whose lease expired; fail overdue runs."""
    return sweeper.runs_sweep()
