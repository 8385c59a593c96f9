"""The runner's REST API: create runs, list, retrieve, status, cancel, retry,
downloads; bad input gets a 4xx {"message", "extra"} and stores nothing."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from runner.models import Artifact, NodeResult, Run
from tests.runner.conftest import chain_version_make, dataset_make, linear_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(owner):
    return chain_version_make(owner=owner, document=linear_doc(), name="adder")


def test_a_run_is_created_from_a_data_set_and_retrieved_with_its_nodes(
    api, owner, version, drain
):
    dataset = dataset_make(owner=owner)
    response = api.post(
        "/api/runs/", {"chain": "adder", "dataset": dataset.id}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "queued"
    assert response.json()["version"] == 1
    drain()
    body = api.get(f"/api/runs/{response.json()['id']}/").json()
    assert body["status"] == "succeeded"
    assert [n["node_id"] for n in body["nodes"]] == ["in", "plus", "out"]
    assert body["nodes"][2]["rows"] == 5
    assert body["nodes"][2]["schema"] == [
        ["x", "float"],
        ["y", "float"],
        ["s", "float"],
    ]
    assert body["nodes"][2]["preview"]["rows"][0] == [0.0, 1.0, 1.0]


def test_a_run_is_created_from_json_rows(api, version, drain):
    rows = [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}]
    response = api.post("/api/runs/", {"chain": "adder", "rows": rows}, format="json")
    assert response.status_code == 201
    drain()
    run = Run.objects.get()
    assert run.status == Run.Status.SUCCEEDED
    assert run.input_rows == 2


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"chain": "adder"}, 400, "Give exactly one input"),
        (
            {"chain": "adder", "rows": [{"x": 1.0, "y": 1.0}], "dataset": "DATASET"},
            400,
            "exactly one",
        ),
        ({"chain": "nope", "rows": [{"x": 1.0}]}, 404, "Not found"),
        ({"chain": "adder", "version": 9, "rows": [{"x": 1.0}]}, 404, "Not found"),
        ({"chain": "adder", "dataset": 999999}, 400, "no data set 999999"),
        ({"chain": "adder", "reuse_from": 999999}, 400, "no run 999999"),
        ({"chain": "adder", "rows": []}, 400, "at least one row"),
        ({"chain": "adder", "rows": "nope"}, 400, "rows"),
        (
            {"chain": "adder", "rows": [{"x": 1, "y": 1}], "until": "z"},
            400,
            "no node 'z'",
        ),
        ({"rows": [{"x": 1}]}, 400, "chain"),
    ],
)
def test_bad_run_requests_are_refused_and_store_nothing(
    api, owner, version, drain, payload, status, message
):
    dataset = dataset_make(owner=owner)
    if payload.get("dataset") == "DATASET":
        payload = {**payload, "dataset": dataset.id}
    artifacts = Artifact.objects.count()
    response = api.post("/api/runs/", payload, format="json")
    assert response.status_code == status
    assert message in response.json()["message"]
    assert set(response.json()) == {"message", "extra"}
    assert Run.objects.count() == 0
    assert NodeResult.objects.count() == 0
    assert Artifact.objects.count() == artifacts


def test_a_chain_whose_version_cannot_run_is_refused_with_its_problems(
    api, owner, drain
):
    broken = linear_doc()
    broken["nodes"][1] = {"id": "plus", "kind": "model", "params": {"model": "ghost"}}
    chain_version_make(owner=owner, document=broken, name="ghostly")
    response = api.post(
        "/api/runs/",
        {"chain": "ghostly", "rows": [{"x": 1.0, "y": 1.0}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("The chain cannot run")
    assert response.json()["extra"]["problems"][0]["node"] == "plus"
    assert Run.objects.count() == 0


def test_the_status_endpoint_reports_progress(api, version, drain):
    created = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1, "y": 1}]}, format="json"
    )
    run_id = created.json()["id"]
    before = api.get(f"/api/runs/{run_id}/status").json()
    assert (before["status"], before["done"], before["total"]) == ("queued", 0, 3)
    assert before["nodes"] == {"in": "queued", "plus": "pending", "out": "pending"}
    drain()
    after = api.get(f"/api/runs/{run_id}/status").json()
    assert (after["status"], after["done"], after["active"]) == ("succeeded", 3, False)


def test_the_list_filters_by_chain_status_and_user(
    api, teammate_api, owner, version, drain
):
    other = chain_version_make(owner=owner, document=linear_doc(), name="other")
    api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1, "y": 1}]}, format="json"
    )
    drain()
    teammate_api.post(
        "/api/runs/", {"chain": "other", "rows": [{"x": 2, "y": 1}]}, format="json"
    )
    assert other.chain.name == "other"
    assert api.get("/api/runs/").json()["count"] == 2
    assert [
        r["chain"] for r in api.get("/api/runs/?chain=other").json()["results"]
    ] == ["other"]
    assert api.get("/api/runs/?status=succeeded").json()["count"] == 1
    assert api.get("/api/runs/?user=teammate").json()["results"][0]["started_by"] == (
        "teammate"
    )
    assert api.get("/api/runs/?status=bogus").status_code == 400


def test_cancel_and_retry_through_the_api(api, version, drain):
    run_id = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1, "y": 1}]}, format="json"
    ).json()["id"]
    cancelled = api.post(f"/api/runs/{run_id}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    again = api.post(f"/api/runs/{run_id}/cancel")
    assert again.status_code == 400
    assert again.json()["extra"] == {"status": "cancelled"}
    retried = api.post(f"/api/runs/{run_id}/retry")
    assert retried.json()["status"] == "queued"
    drain()
    assert Run.objects.get(id=run_id).status == Run.Status.SUCCEEDED


def test_a_teammate_cannot_cancel_the_owners_run(api, teammate_api, version, drain):
    run_id = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1, "y": 1}]}, format="json"
    ).json()["id"]
    response = teammate_api.post(f"/api/runs/{run_id}/cancel")
    assert response.status_code == 403
    assert "message" in response.json()
    assert Run.objects.get(id=run_id).status == Run.Status.QUEUED


def test_node_outputs_download_as_csv_and_parquet(api, version, drain):
    run_id = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1.5, "y": 1.0}]}, format="json"
    ).json()["id"]
    drain()
    csv = api.get(f"/api/runs/{run_id}/nodes/plus/output?format=csv")
    assert csv.status_code == 200
    assert csv["Content-Type"] == "text/csv"
    assert csv.streaming is True
    text = b"".join(csv.streaming_content).decode()
    assert text.splitlines() == ["row_id,x,y,s", "0,1.5,1.0,2.5"]
    parquet = api.get(f"/api/runs/{run_id}/nodes/plus/output?format=parquet")
    frame = pd.read_parquet(io.BytesIO(b"".join(parquet.streaming_content)))
    assert frame.to_dict("list") == {"x": [1.5], "y": [1.0], "s": [2.5]}


def test_downloading_an_output_not_stored_is_a_404_with_a_message(api, version, drain):
    run_id = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1, "y": 1}]}, format="json"
    ).json()["id"]
    response = api.get(f"/api/runs/{run_id}/nodes/out/output?format=csv")
    assert response.status_code == 404
    assert response.json()["extra"] == {"node": "out", "status": "pending"}
    assert api.get(f"/api/runs/{run_id}/nodes/zzz/output").status_code == 404
    assert api.get(f"/api/runs/{run_id}/nodes/out/output?format=xls").status_code == 400


def test_forgetting_through_the_api(api, version, drain):
    run_id = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1, "y": 1}]}, format="json"
    ).json()["id"]
    drain()
    response = api.post(f"/api/runs/{run_id}/nodes/out/forget")
    assert len(response.json()["forgotten"]) == 1
    again = api.post(f"/api/runs/{run_id}/nodes/out/forget")
    assert again.status_code == 400
    assert Artifact.objects.filter(node_id__in=["in", "plus"]).count() == 2


def test_anonymous_requests_are_refused(client, version):
    assert client.get("/api/runs/").status_code == 401
    assert client.post("/api/runs/", {}).status_code == 401
    assert Run.objects.count() == 0


def test_a_body_over_the_request_limit_is_refused_before_parsing(
    api, version, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    rows = [{"x": float(i), "y": 1.0} for i in range(20)]
    response = api.post("/api/runs/", {"chain": "adder", "rows": rows}, format="json")
    assert response.status_code == 413
    assert response.json()["extra"]["limit"] == "body"
    assert Run.objects.count() == 0


def test_malformed_json_is_a_400_with_a_message(api, version):
    response = api.post("/api/runs/", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["message"]
    assert Run.objects.count() == 0
