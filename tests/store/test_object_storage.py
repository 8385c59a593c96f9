"""Model files, data sets and node outputs on a real S3 store (SeaweedFS).

A model is uploaded through the API, a chain runs on a real worker process
whose only storage is the bucket, and every file is checked as an object.
"""

from __future__ import annotations

import hashlib
import io
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from django.core.files.base import File
from django.core.files.storage import default_storage

from runner.models import NodeResult, Run
from runner.services.runs import run_start
from runner.store import recent_tables
from tests.conftest import WorkerProcess, purge_broker
from tests.registry import files
from tests.runner.conftest import chain_version_make, doc, linear_doc, node
from tests.runner.test_worker_runs import run_wait

pytestmark = [pytest.mark.worker]

ROWS = [{"price": 10.0, "area": 50.0}, {"price": 12.5, "area": 70.0}]


@pytest.fixture
def s3_worker(transactional_db, bucket, tmp_path) -> Iterator[WorkerProcess]:
    """A worker whose storage is the test's bucket (and an empty local folder)."""
    purge_broker()
    env = {"CATENA_STORAGE_URL": bucket.url, "CATENA_MEDIA_ROOT": str(tmp_path)}
    worker = WorkerProcess(extra_env=env)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


def ridge_chain(owner):
    document = doc(
        [
            node("in", "input", schema=[["price", "float"], ["area", "float"]]),
            node("ridge", "model", model="sales-ridge", version="@latest"),
            node("out", "output"),
        ],
        [["in", "ridge"], ["ridge", "out"]],
    )
    return chain_version_make(owner=owner, document=document)


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_chain_runs_on_a_worker_with_every_file_an_object_in_the_bucket(
    api, owner, bucket, s3_worker, settings
):
    response = api.post(
        "/api/models/",
        {"name": "sales-ridge", "file": files.upload("r.skops", files.ridge_bytes())},
        format="multipart",
    )
    assert response.status_code == 201
    version = ridge_chain(owner)
    run = run_wait(run_start(chain_version=version, user=owner, rows=ROWS))
    assert run.status == Run.Status.SUCCEEDED

    keys = bucket.names()
    assert [k for k in keys if k.startswith("registry/sales-ridge/1-")] != []
    stored = [n.artifact.path for n in run.nodes.exclude(artifact=None)]
    assert len(stored) == 3
    assert set(stored) <= set(keys)
    assert run.input.path in keys
    assert files_under(Path(settings.MEDIA_ROOT)) == []

    out = pd.read_parquet(io.BytesIO(bucket_object(bucket, run, "out")))
    assert list(out.index) == [0, 1]
    assert out.shape == (2, 1)

    # Run again: every node is reused from the bucket, nothing new is stored.
    again = run_wait(run_start(chain_version=version, user=owner, rows=ROWS))
    assert set(again.nodes.values_list("status", flat=True)) == {
        NodeResult.Status.REUSED
    }
    assert bucket.names() == keys


def bucket_object(bucket, run, node_id) -> bytes:
    return bucket.get(run.nodes.get(node_id=node_id).artifact.path)


def test_downloads_are_presigned_redirects_to_the_objects(
    api, owner, bucket, s3_worker
):
    api.post(
        "/api/models/",
        {"name": "sales-ridge", "file": files.upload("r.skops", files.ridge_bytes())},
        format="multipart",
    )
    run = run_wait(run_start(chain_version=ridge_chain(owner), user=owner, rows=ROWS))

    response = api.get(f"/api/runs/{run.id}/nodes/out/output?format=parquet")
    assert response.status_code == 302
    location = response["Location"]
    prefix = f"{bucket.server.endpoint}/{bucket.name}/{bucket.prefix}/artifacts/"
    assert location.startswith(prefix)
    assert "Signature=" in location
    with urllib.request.urlopen(location) as fetched:
        assert fetched.read() == bucket_object(bucket, run, "out")
        assert "run" in fetched.headers["Content-Disposition"]

    # CSV is converted on the server, streamed from the object.
    response = api.get(f"/api/runs/{run.id}/nodes/out/output?format=csv")
    assert response.status_code == 200
    csv = b"".join(response.streaming_content).decode()
    assert len(csv.strip().splitlines()) == 3

    response = api.get("/api/models/sales-ridge/versions/1/download")
    assert response.status_code == 302
    with urllib.request.urlopen(response["Location"]) as fetched:
        data = fetched.read()
    assert hashlib.sha256(data).hexdigest() == response["X-Content-SHA256"]


def test_a_refused_upload_leaves_no_object(api, bucket):
    api.post("/api/models/", {"name": "sales-ridge"})
    response = api.post(
        "/api/models/sales-ridge/versions/",
        {"file": files.upload("m.skops", b"\x00garbage" * 50)},
        format="multipart",
    )
    assert response.status_code == 400
    assert bucket.names() == []


class _CutStream(io.RawIOBase):
    """A stream (not seekable, like a socket) that fails after 12 MB."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.sent >= 12 * 1024 * 1024:
            raise OSError("the connection was cut")
        size = min(len(buffer), 1024 * 1024)
        buffer[:size] = b"x" * size
        self.sent += size
        return size


def test_a_write_cut_midway_leaves_no_object_under_its_key(bucket, db):
    # Past 8 MB boto3 sends a multipart upload: the object appears only when
    # the upload completes, and a failed one is aborted.
    with pytest.raises(OSError, match="the connection was cut"):
        default_storage.save("artifacts/ab/cut.parquet", File(_CutStream()))
    assert bucket.names() == []
    uploads = bucket.server.client().list_multipart_uploads(
        Bucket=bucket.name, Prefix=bucket.prefix
    )
    assert uploads.get("Uploads", []) == []


def test_an_output_whose_object_is_gone_answers_404_and_is_recomputed(
    api, owner, bucket, drain
):
    version = chain_version_make(owner=owner, document=linear_doc())
    run = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    drain()
    out = run.nodes.get(node_id="out")
    key = f"{bucket.prefix}/{out.artifact.path}"
    bucket.server.client().delete_object(Bucket=bucket.name, Key=key)

    for fmt in ("parquet", "csv"):
        response = api.get(f"/api/runs/{run.id}/nodes/out/output?format={fmt}")
        assert response.status_code == 404
        assert "is gone" in response.json()["message"]

    recent_tables.clear()
    again = run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}])
    drain()
    assert again.nodes.get(node_id="out").status == NodeResult.Status.SUCCEEDED
    assert out.artifact.path in bucket.names()
