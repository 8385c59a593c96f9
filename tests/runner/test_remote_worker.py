"""A chain of a local model, the Node.js server and MLServer, run by a real worker
on the configured database and broker; outputs equal the models called directly."""

from __future__ import annotations

import numpy as np
import pytest

from registry.models import AllowedHost
from runner.models import Run
from runner.services.runs import run_start
from runner.store.artifacts import artifact_load
from tests.registry.remote.chains import frame_of, local_make, remote_make, rows
from tests.registry.remote.servers import fitted
from tests.registry.remote.test_mlserver import direct as mlserver_direct
from tests.registry.remote.test_protocols import direct as node_direct
from tests.runner.conftest import chain_version_make, doc, node
from tests.runner.test_worker_runs import run_wait

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def three_doc() -> dict:
    """in(a, b, c) -> local, node (V2 by name), mlserver (V2 matrix) -> out."""
    return doc(
        [
            node("in", "input", schema=[[f, "float"] for f in ("a", "b", "c")]),
            node("local", "model", model="lin-local", version="@latest"),
            node("node", "model", model="lin", version="@latest"),
            node("ml", "model", model="sk", version="@latest"),
            node("out", "output"),
        ],
        [
            ["in", "local"],
            ["in", "node"],
            ["in", "ml"],
            ["local", "out"],
            ["node", "out"],
            ["ml", "out"],
        ],
    )


def test_local_node_and_mlserver_steps_run_on_a_worker(
    owner, staff, nodejs, ml, remote_fresh, celery_worker_process
):
    # The admin page's allow-list: a row the worker process reads too.
    AllowedHost.objects.create(entry="127.0.0.1", note="test model servers")
    local_make(owner=owner, staff=staff)
    remote_make(
        owner=owner,
        url=f"{nodejs.url}/ok/v2/models/lin-cols",
        protocol="v2",
        batch_size=50,
        parallel=2,
    )
    remote_make(
        owner=owner,
        name="sk",
        url=f"{ml.url}/v2/models/sk",
        protocol="v2",
        batch_size=64,
        parallel=2,
    )
    version = chain_version_make(owner=owner, document=three_doc())
    given = rows(300)
    run = run_wait(run_start(chain_version=version, user=owner, rows=given), 120)
    assert run.status == Run.Status.SUCCEEDED, run.error
    out = artifact_load(artifact=run.nodes.get(node_id="out").artifact)
    assert list(out.columns) == ["prediction", "y", "predict"]
    frame = frame_of(given)
    assert out["y"].tolist() == node_direct(nodejs, frame).tolist()
    features = frame.to_numpy()
    assert out["predict"].tolist() == mlserver_direct(
        f"{ml.url}/v2/models/sk", features, batch=64
    )
    expected = fitted().predict(features)
    for column in ("prediction", "y", "predict"):
        np.testing.assert_allclose(out[column], expected, rtol=1e-12)
