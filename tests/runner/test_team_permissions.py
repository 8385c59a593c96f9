"""Who may cancel, retry and forget the runs of a team's chain (API and pages).

Runs here are started by staff, so neither owner nor member is "who started it":
only the chain's ownership decides.
"""

from __future__ import annotations

from typing import Any

import pytest

from builder.models import Chain
from runner.models import NodeResult, Run
from runner.services.runs import run_cancel, run_start
from tests.runner.conftest import chain_version_make, linear_doc
from tests.teams import actor, api_as, member, outsider, page_as, pricing

__all__ = ["member", "outsider", "pricing"]


@pytest.fixture
def team_run(owner, member, pricing, staff, drain):
    """A queued run of the team's chain, started by staff."""
    version = chain_version_make(owner=owner, document=linear_doc())
    Chain.objects.filter(id=version.chain_id).update(team=pricing)
    return run_start(chain_version=version, user=staff, rows=[{"x": 1, "y": 2}])


def cancel(kind: str, client: Any, run: Run) -> Any:
    path = f"/runs/{run.id}/cancel" if kind == "page" else f"/api/runs/{run.id}/cancel"
    return client.post(path)


def retry(kind: str, client: Any, run: Run) -> Any:
    path = f"/runs/{run.id}/retry" if kind == "page" else f"/api/runs/{run.id}/retry"
    return client.post(path)


def forget(kind: str, client: Any, run: Run) -> Any:
    return client.post(f"/runs/{run.id}/nodes/plus/forget")


# (write, through, actor, allowed): the owner and the team's members may, an
# outsider may not. Forgetting an output has a page only.
MATRIX = [
    (write, kind, who, who != "outsider")
    for write, kind in [
        ("cancel", "api"),
        ("cancel", "page"),
        ("retry", "api"),
        ("retry", "page"),
        ("forget", "page"),
    ]
    for who in ("owner", "member", "outsider")
]


def prepared(write: str, run: Run, staff: Any, drain: Any) -> Run:
    """Put the run where the write applies: active, cancelled, or finished."""
    if write == "retry":
        run_cancel(run=run, user=staff)
    if write == "forget":
        drain()
    return Run.objects.get(id=run.id)


def state(run: Run) -> dict[str, Any]:
    return {
        "status": Run.objects.get(id=run.id).status,
        "stored": NodeResult.objects.filter(run=run, artifact__isnull=False).count(),
    }


@pytest.mark.parametrize(("write", "kind", "who", "allowed"), MATRIX)
def test_team_run_write(request, team_run, staff, drain, write, kind, who, allowed):
    run = prepared(write, team_run, staff, drain)
    before = state(run)
    user = actor(request, who)
    client = api_as(user) if kind == "api" else page_as(user)
    response = {"cancel": cancel, "retry": retry, "forget": forget}[write](
        kind, client, run
    )
    if allowed:
        assert state(run) != before
    else:
        assert response.status_code in (302, 403)
        assert state(run) == before
