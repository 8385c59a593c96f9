"""Continue a run made up to a node: the remaining nodes, on its stored outputs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from config.exceptions import CatenaAppError
from runner.models import Run
from runner.services.runs import run_start


def run_continue(*, run: Run, user: Any, received_at: datetime | None = None) -> Run:
    """Start the rest of the chain on ``run``'s input; the nodes it computed are
    reused by key, and the new run records that it continues ``run``."""
    if not run.until:
        raise CatenaAppError(
            f"Run {run.id} ran the whole chain; only a run up to a node can be "
            "continued.",
            {"run": run.id, "until": ""},
        )
    if run.status != Run.Status.SUCCEEDED:
        raise CatenaAppError(
            f"Run {run.id} is {run.status}; continue it once it has succeeded.",
            {"run": run.id, "status": run.status},
        )
    return run_start(
        chain_version=run.chain_version,
        user=user,
        reuse_from=run,
        document=run.document,
        continues=run,
        received_at=received_at,
    )
