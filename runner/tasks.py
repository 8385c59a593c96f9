"""Celery tasks: thin wrappers that take ids and call runner.execute."""

from __future__ import annotations

from pathlib import Path

from celery import shared_task


@shared_task(name="runner.ping")
def ping(path: str, token: str) -> None:
    """Write ``token`` to ``path``: proves a worker took a message end to end."""
    Path(path).write_text(token)
