"""Fault suite: the artifact disk fills up mid-write under a real worker.

The artifact folder is a 1 MiB tmpfs mounted for the test (root is needed to
mount it; CI runs as root). A ballast file leaves less room than the first
node's output needs, so the worker's write fails part way.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from django.core.files.storage import default_storage

from runner.models import Artifact, NodeResult, Run
from runner.services.datasets import dataset_create_from_frame
from runner.services.runs import run_retry, run_start
from tests.conftest import WorkerProcess, purge_broker
from tests.runner.conftest import chain_version_make, linear_doc

pytestmark = [pytest.mark.worker, pytest.mark.slow]

ROWS = 20_000
#: Room left by the ballast: less than one node output of ``ROWS`` rows (~80 KB).
ROOM = 32 * 1024


@pytest.fixture
def small_disk(tmp_path, settings) -> Iterator[Path]:
    """MEDIA_ROOT on a 1 MiB tmpfs of its own."""
    media = tmp_path / "media"
    media.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(media)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.fail(f"mounting a tmpfs needs root: {mounted.stderr.strip()}")
    settings.MEDIA_ROOT = media
    try:
        yield media
    finally:
        subprocess.run(["umount", "-l", str(media)], check=True)


@pytest.fixture
def worker(transactional_db, small_disk) -> Iterator[WorkerProcess]:
    purge_broker()
    process = WorkerProcess(extra_env={"CATENA_MEDIA_ROOT": str(small_disk)})
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def run_wait(run: Run) -> Run:
    def finished() -> bool:
        run.refresh_from_db()
        return not run.is_active

    wait_for(finished)
    return run


def ballast(media: Path) -> Path:
    """A file filling the disk up to ``ROOM`` bytes free."""
    stats = os.statvfs(media)
    path = media / "ballast"
    path.write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - ROOM))
    return path


def files_under(media: Path) -> list[str]:
    folder = media / "artifacts"
    return sorted(str(p.relative_to(media)) for p in folder.rglob("*") if p.is_file())


def intact(artifact: Artifact) -> bool:
    data = Path(default_storage.path(artifact.path)).read_bytes()
    return hashlib.sha256(data).hexdigest() == artifact.sha256


def test_a_full_artifact_disk_fails_the_node_clearly_and_a_retry_completes(
    owner, worker, small_disk, client
):
    frame = pd.DataFrame({"x": [float(i) for i in range(ROWS)], "y": [1.0] * ROWS})
    dataset = dataset_create_from_frame(name="big", df=frame, owner=owner)
    version = chain_version_make(owner=owner, document=linear_doc())
    full = ballast(small_disk)

    run = run_wait(run_start(chain_version=version, user=owner, dataset=dataset))
    nodes = {n.node_id: n for n in run.nodes.select_related("artifact")}
    assert run.status == Run.Status.FAILED
    # The input node passes the data set on unchanged: its output is the data
    # set's file under a second name, which takes no room. The next node's
    # write is the one that fails.
    assert nodes["in"].status == NodeResult.Status.SUCCEEDED
    assert nodes["plus"].status == NodeResult.Status.FAILED
    assert "no space left on the artifact storage" in nodes["plus"].error
    assert nodes["out"].status == "skipped"
    # Only the data set's file (twice named): nothing under the failed node's
    # final name, no temp file.
    linked = nodes["in"].artifact.path
    assert files_under(small_disk) == sorted([dataset.artifact.path, linked])

    full.unlink()
    run = run_wait(run_retry(run=run, user=owner))
    assert run.status == Run.Status.SUCCEEDED
    outputs = [n.artifact for n in run.nodes.select_related("artifact")]
    assert all(a is not None and intact(a) for a in outputs)
    expected = sorted([dataset.artifact.path, *(a.path for a in outputs)])
    assert files_under(small_disk) == expected
    client.force_login(owner)
    assert client.get(f"/runs/{run.id}/").status_code == 200
    csv = client.get(f"/api/runs/{run.id}/nodes/out/output?format=csv")
    assert csv.status_code == 200
