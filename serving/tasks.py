"""Celery tasks of serving: thin entry points."""

from __future__ import annotations

from celery import shared_task

from serving import logbook


@shared_task(name="serving.log_prune")  # type: ignore[untyped-decorator, unused-ignore]
def log_prune() -> dict[str, int]:
    """Delete prediction log entries older than their chain's kept days."""
    return logbook.log_prune()
