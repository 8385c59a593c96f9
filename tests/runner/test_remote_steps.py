"""Chains mixing local and remote steps: validated like local models, run by the
runner, outputs equal to the model called directly, failures pinned to the node."""

from __future__ import annotations

import numpy as np
import pytest

from registry.models import AllowedHost
from runner.models import NodeResult, Run
from runner.services.runs import run_start
from runner.store.artifacts import artifact_load
from tests.registry.remote.chains import (
    SIGNATURE,
    frame_of,
    local_make,
    mixed_doc,
    remote_make,
    rows,
)
from tests.registry.remote.servers import fitted
from tests.registry.remote.test_protocols import direct
from tests.runner.conftest import chain_version_make, doc, node

Status = NodeResult.Status
pytestmark = pytest.mark.usefixtures("remote_fresh")


def output_of(run: Run, node_id: str = "out"):
    return artifact_load(artifact=run.nodes.get(node_id=node_id).artifact)


def test_validation_names_a_feature_the_remote_model_misses(
    api, owner, nodejs, loopback_allowed
):
    remote_make(owner=owner, url=f"{nodejs.url}/ok/v2/models/lin-cols", protocol="v2")
    document = doc(
        [
            node("in", "input", schema=[["a", "float"], ["b", "float"]]),
            node("remote", "model", model="lin", version=1),
            node("out", "output"),
        ],
        [["in", "remote"], ["remote", "out"]],
    )
    response = api.post("/api/validate", {"document": document}, format="json")
    assert response.status_code == 200
    (problem,) = response.json()["problems"]
    assert problem["code"] == "missing_features"
    assert problem["node"] == "remote"
    assert problem["edge"] == ["in", "remote"]
    assert problem["data"]["features"] == ["c"]
    # With a mapping (the editor's Fix…) the chain is valid and typed.
    document["nodes"][1]["params"]["columns"] = {"c": "a"}
    fixed = api.post("/api/validate", {"document": document}, format="json").json()
    assert fixed["problems"] == []
    assert fixed["schemas"]["remote"] == [["y", "float"]]


def test_a_mixed_chain_runs_and_the_remote_output_equals_the_server_called_directly(
    owner, staff, nodejs, loopback_allowed, drain
):
    local_make(owner=owner, staff=staff)
    remote_make(
        owner=owner,
        url=f"{nodejs.url}/ok/v2/models/lin-cols",
        protocol="v2",
        batch_size=9,
        parallel=3,
    )
    version = chain_version_make(owner=owner, document=mixed_doc())
    given = rows(40)
    run = run_start(chain_version=version, user=owner, rows=given)
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED, run.error
    out = output_of(run)
    assert list(out.columns) == ["prediction", "y", "y2"]
    expected = direct(nodejs, frame_of(given))
    assert out["y"].tolist() == expected.tolist()
    assert out["y2"].tolist() == (expected * 2).tolist()
    np.testing.assert_allclose(out["prediction"], out["y"], rtol=1e-12)
    # The run records the exact endpoint version, like a file version.
    assert run.resolved["remote"][:2] == ["lin", 1]


def test_a_records_endpoint_runs_in_a_chain(
    owner, staff, nodejs, loopback_allowed, drain
):
    local_make(owner=owner, staff=staff)
    remote_make(
        owner=owner,
        url=f"{nodejs.url}/ok/records",
        protocol="records",
        signature=SIGNATURE,
    )
    version = chain_version_make(owner=owner, document=mixed_doc())
    given = rows(12)
    run = run_start(chain_version=version, user=owner, rows=given)
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED, run.error
    out = output_of(run)
    assert out["y"].tolist() == direct(nodejs, frame_of(given)).tolist()


def test_a_bad_status_fails_the_remote_node_with_the_body(
    owner, staff, nodejs, loopback_allowed, drain, settings
):
    local_make(owner=owner, staff=staff)
    remote_make(
        owner=owner,
        url=f"{nodejs.url}/status-500/records",
        protocol="records",
        signature=SIGNATURE,
    )
    version = chain_version_make(owner=owner, document=mixed_doc())
    run = run_start(chain_version=version, user=owner, rows=rows(3))
    drain()
    failed = run.nodes.get(node_id="remote")
    assert failed.status == Status.FAILED
    assert failed.attempts == 1
    assert "model 'lin' v1 predict failed" in failed.error
    assert "answered 500: 'boom: the model server failed" in failed.error
    assert run.nodes.get(node_id="local").status == Status.SUCCEEDED
    assert run.nodes.get(node_id="double").status == Status.SKIPPED


def test_a_service_unavailable_is_retried_by_the_runner_then_fails_the_node(
    owner, staff, nodejs, loopback_allowed, drain, settings
):
    settings.CATENA_TRANSIENT_MAX_RETRIES = 1
    settings.CATENA_REMOTE_BACKOFF_SECONDS = 0.01
    local_make(owner=owner, staff=staff)
    remote_make(
        owner=owner,
        url=f"{nodejs.url}/status-503/records",
        protocol="records",
        signature=SIGNATURE,
    )
    version = chain_version_make(owner=owner, document=mixed_doc())
    before = nodejs.requests()
    run = run_start(chain_version=version, user=owner, rows=rows(3))
    drain()
    failed = run.nodes.get(node_id="remote")
    assert failed.status == Status.FAILED
    assert failed.attempts == 2
    assert "gave up after 2 attempts" in failed.error
    assert "answered 503: 'boom" in failed.error
    # Two node attempts of three requests each (CATENA_REMOTE_RETRIES = 2).
    assert nodejs.requests() == before + 6 + 1


def test_a_host_removed_from_the_allow_list_fails_the_node_at_run_time(
    owner, staff, nodejs, drain, settings
):
    allowed = AllowedHost.objects.create(entry="127.0.0.1")
    local_make(owner=owner, staff=staff)
    remote_make(owner=owner, url=f"{nodejs.url}/ok/v2/models/lin-cols", protocol="v2")
    allowed.delete()
    version = chain_version_make(owner=owner, document=mixed_doc())
    before = nodejs.requests()
    run = run_start(chain_version=version, user=owner, rows=rows(3))
    drain()
    failed = run.nodes.get(node_id="remote")
    assert failed.status == Status.FAILED
    assert "host '127.0.0.1' is not on the allow-list" in failed.error
    assert nodejs.requests() == before + 1


def test_an_answer_that_does_not_fit_fails_the_node_naming_the_output(
    owner, staff, nodejs, loopback_allowed, drain
):
    local_make(owner=owner, staff=staff)
    remote_make(owner=owner, url=f"{nodejs.url}/text/v2/models/lin-cols", protocol="v2")
    version = chain_version_make(owner=owner, document=mixed_doc())
    run = run_start(chain_version=version, user=owner, rows=rows(3))
    drain()
    failed = run.nodes.get(node_id="remote")
    assert failed.status == Status.FAILED
    assert "output 'y': expected numbers, got 'not a number'" in failed.error


def test_the_local_model_agrees_with_the_fitted_coefficients():
    """The Node.js server's coefficients come from this model: a sanity anchor."""
    frame = frame_of(rows(5))
    np.testing.assert_allclose(
        fitted().predict(frame.to_numpy()), direct_sklearn(frame), rtol=1e-12
    )


def direct_sklearn(frame):
    model = fitted()
    return frame.to_numpy() @ model.coef_ + model.intercept_


def test_a_chain_with_a_remote_step_exports_as_json_not_as_a_bundle(
    api, owner, staff, nodejs, loopback_allowed
):
    local_make(owner=owner, staff=staff)
    remote_make(owner=owner, url=f"{nodejs.url}/ok/v2/models/lin-cols", protocol="v2")
    chain_version_make(owner=owner, document=mixed_doc())
    url = "/api/chains/chain/versions/1/export"
    exported = api.get(url)
    assert exported.status_code == 200, exported.json()
    models = {m["name"]: m for m in exported.json()["models"]}
    assert models["lin"]["format"] == "remote"
    response = api.get(f"{url}?bundle=zip")
    assert response.status_code == 409
    assert "remote endpoint versions have none: lin v1" in response.json()["message"]
