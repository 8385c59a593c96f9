"""Stored outputs you can trust: written whole, checked before reuse, recomputed
when corrupt, keyed by the library versions that made them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from runner import environment
from runner.models import Artifact, NodeResult, Run
from runner.services.runs import run_start
from runner.store import artifact_intact, flushing
from tests.conftest import BASE_DIR
from tests.runner.conftest import chain_version_make, dataset_make, linear_doc

pytestmark = pytest.mark.django_db
Status = NodeResult.Status


def statuses(run: Run) -> dict[str, str]:
    return dict(run.nodes.values_list("node_id", "status"))


def stored_file(run: Run, node_id: str) -> Path:
    artifact = run.nodes.get(node_id=node_id).artifact
    return Path(default_storage.path(artifact.path))


def first_run(owner, drain) -> tuple[Run, Run]:
    """A finished run of in -> plus -> out, and a second run's version to start."""
    version = chain_version_make(owner=owner, document=linear_doc())
    dataset = dataset_make(owner=owner, rows=50)
    run = run_start(chain_version=version, user=owner, dataset=dataset)
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    return run, version


def test_a_truncated_stored_output_is_recomputed_and_the_run_succeeds(owner, drain):
    first, version = first_run(owner, drain)
    path = stored_file(first, "plus")
    path.write_bytes(path.read_bytes()[:-40])
    again = run_start(chain_version=version, user=owner, dataset=first.dataset)
    drain()
    again.refresh_from_db()
    assert again.status == Run.Status.SUCCEEDED
    assert statuses(again) == {"in": "reused", "plus": "succeeded", "out": "reused"}
    note = again.nodes.get(node_id="plus").note
    assert note.startswith("Recomputed because the stored file was corrupt")
    artifact = Artifact.objects.get(key=again.nodes.get(node_id="plus").cache_key)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == artifact.sha256
    assert path.stat().st_size == artifact.size


def test_a_flipped_byte_in_a_stored_output_is_recomputed(owner, drain):
    first, version = first_run(owner, drain)
    path = stored_file(first, "out")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    again = run_start(chain_version=version, user=owner, dataset=first.dataset)
    drain()
    again.refresh_from_db()
    assert again.status == Run.Status.SUCCEEDED
    assert statuses(again)["out"] == "succeeded"
    assert "sha256 differs" in again.nodes.get(node_id="out").note
    assert (
        hashlib.sha256(path.read_bytes()).hexdigest()
        == again.nodes.get(node_id="out").artifact.sha256
    )


def test_the_run_page_and_api_say_an_output_was_recomputed_because_corrupt(
    owner, owner_client, api, drain
):
    first, version = first_run(owner, drain)
    stored_file(first, "plus").write_bytes(b"PAR1 not a parquet file")
    again = run_start(chain_version=version, user=owner, dataset=first.dataset)
    drain()
    page = owner_client.get(f"/runs/{again.id}/").content.decode()
    assert "Recomputed because the stored file was corrupt" in page
    nodes = {n["node_id"]: n for n in api.get(f"/api/runs/{again.id}/").json()["nodes"]}
    assert nodes["plus"]["note"].startswith("Recomputed because the stored file")
    assert nodes["in"]["note"] == ""


def test_an_output_written_by_a_worker_records_size_sha256_and_environment(
    owner, drain
):
    first, _ = first_run(owner, drain)
    artifact = first.nodes.get(node_id="plus").artifact
    data = Path(default_storage.path(artifact.path)).read_bytes()
    assert artifact.size == len(data)
    assert artifact.sha256 == hashlib.sha256(data).hexdigest()
    expected = {**environment.environment_fingerprint(), "transform step": "1"}
    assert artifact.environment == expected


CRASH = """
import os, signal
import django
django.setup()
from runner.store import files as artifact_files
def crash(src, dst):
    os.kill(os.getpid(), signal.SIGKILL)
artifact_files.os.replace = crash
artifact_files.file_write("artifacts/ab/abc.parquet", b"x" * 100_000)
"""


def test_a_crash_between_write_and_rename_leaves_no_file_under_the_final_name(
    tmp_path,
):
    media = tmp_path / "media"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CATENA_MEDIA_ROOT": str(media),
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASH)], cwd=BASE_DIR, env=env
    )
    assert done.returncode == -9
    folder = media / "artifacts" / "ab"
    assert (folder / "abc.parquet").exists() is False
    # The killed writer's temporary file is all there is, under a hidden name.
    leftovers = [p.name for p in folder.iterdir()]
    assert len(leftovers) == 1
    assert leftovers[0].startswith(".abc.parquet.")
    assert leftovers[0].endswith(".tmp")


def test_a_failed_write_removes_its_temporary_file(media, monkeypatch):
    from runner.store import files as artifact_files

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(artifact_files.os, "replace", refuse)
    with pytest.raises(artifact_files.ArtifactWriteError, match="no space left"):
        artifact_files.file_write("artifacts/cd/cde.parquet", b"y" * 1000)
    assert list((media / "artifacts" / "cd").iterdir()) == []


def steps_of_a_write(monkeypatch) -> list[str]:
    """What a local write did, in order: each fsync and the rename."""
    from runner.store import files as artifact_files

    seen: list[str] = []
    fsync, replace = artifact_files.os.fsync, artifact_files.os.replace

    def spied_fsync(fd: int) -> None:
        # A flush off the caller's path says so.
        later = threading.current_thread().name == "catena-flush"
        seen.append("fsync later" if later else "fsync")
        fsync(fd)

    def spied_replace(src: str, dst: str) -> None:
        seen.append("rename")
        replace(src, dst)

    monkeypatch.setattr(artifact_files.os, "fsync", spied_fsync)
    monkeypatch.setattr(artifact_files.os, "replace", spied_replace)
    return seen


def test_an_output_is_renamed_into_place_without_a_flush_by_default(media, monkeypatch):
    from runner.store import files as artifact_files

    seen = steps_of_a_write(monkeypatch)
    artifact_files.file_write("artifacts/ef/efg.parquet", b"z" * 1000)
    assert seen == ["rename"]
    assert (media / "artifacts" / "ef" / "efg.parquet").read_bytes() == b"z" * 1000


def test_with_artifact_fsync_an_output_is_flushed_before_its_rename(
    media, monkeypatch, settings
):
    from runner.store import files as artifact_files

    settings.CATENA_ARTIFACT_FSYNC = True
    seen = steps_of_a_write(monkeypatch)
    artifact_files.file_write("artifacts/ef/efh.parquet", b"z" * 1000)
    assert seen == ["fsync", "rename"]
    assert (media / "artifacts" / "ef" / "efh.parquet").read_bytes() == b"z" * 1000


OLD = {"numpy": "2.3.1", "pandas": "2.3.0", "scikit-learn": "1.8.0"}


def test_outputs_of_other_library_versions_are_not_reused_and_the_page_says_why(
    owner, owner_client, drain, monkeypatch
):
    monkeypatch.setattr(environment, "environment_fingerprint", lambda: dict(OLD))
    first, version = first_run(owner, drain)
    new = {**OLD, "scikit-learn": "1.9.1"}
    monkeypatch.setattr(environment, "environment_fingerprint", lambda: dict(new))
    again = run_start(chain_version=version, user=owner, dataset=first.dataset)
    drain()
    assert set(statuses(again).values()) == {"succeeded"}
    note = again.nodes.get(node_id="plus").note
    assert note == (
        f"Not reused: computed with scikit-learn 1.8.0, now 1.9.1 (run {first.id})."
    )
    page = owner_client.get(f"/runs/{again.id}/").content.decode()
    assert "computed with scikit-learn 1.8.0, now 1.9.1" in page
    third = run_start(chain_version=version, user=owner, dataset=first.dataset)
    assert set(statuses(third).values()) == {"reused"}
    assert set(third.nodes.values_list("note", flat=True)) == {""}


def test_outputs_of_an_older_step_code_version_are_not_reused(
    owner, drain, monkeypatch
):
    from dataclasses import replace

    from catena import steps

    first, version = first_run(owner, drain)
    original = steps.get
    bumped = replace(original("transform"), CODE_VERSION=2)
    monkeypatch.setattr(
        steps, "get", lambda kind: bumped if kind == "transform" else original(kind)
    )
    again = run_start(chain_version=version, user=owner, dataset=first.dataset)
    drain()
    assert statuses(again) == {"in": "reused", "plus": "succeeded", "out": "succeeded"}
    note = again.nodes.get(node_id="plus").note
    expected = f"Not reused: computed with transform step 1, now 2 (run {first.id})."
    assert note == expected


def test_a_row_stored_before_hashes_were_kept_is_checked_by_size(owner, drain):
    from runner.store import artifact_intact

    first, _ = first_run(owner, drain)
    artifact = first.input
    Artifact.objects.filter(id=artifact.id).update(sha256="")
    artifact.refresh_from_db()
    assert artifact_intact(artifact) is True
    path = Path(default_storage.path(artifact.path))
    path.write_bytes(path.read_bytes()[:-1])
    assert artifact_intact(artifact) is False


@pytest.fixture
def object_storage(settings, media):
    """A default storage without local paths, standing in for an object store."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


def test_a_corrupt_output_on_an_object_store_is_recomputed(
    owner, drain, object_storage
):
    from django.core.files.base import ContentFile

    first, version = first_run(owner, drain)
    path = first.nodes.get(node_id="plus").artifact.path
    with object_storage.open(path, "rb") as handle:
        data = handle.read()
    object_storage.delete(path)
    object_storage.save(path, ContentFile(data[:-10]))
    again = run_start(chain_version=version, user=owner, dataset=first.dataset)
    drain()
    again.refresh_from_db()
    assert again.status == Run.Status.SUCCEEDED
    assert statuses(again)["plus"] == "succeeded"
    with object_storage.open(path, "rb") as handle:
        assert handle.read() == data
    assert object_storage.listdir(os.path.dirname(path))[1] == [os.path.basename(path)]


def test_an_input_is_flushed_before_its_rename_even_by_default(media, monkeypatch):
    import pandas as pd

    from runner.services.datasets import data_artifact_ensure
    from runner.store import artifact_intact

    seen = steps_of_a_write(monkeypatch)
    artifact = data_artifact_ensure(df=pd.DataFrame({"x": [1.0, 2.0]}))
    assert seen == ["fsync", "rename"]
    assert artifact_intact(artifact)


def test_posted_rows_are_flushed_with_their_folder_just_after_the_answer(
    api, owner, media, monkeypatch
):
    chain_version_make(owner=owner, document=linear_doc(), name="adder")
    seen = steps_of_a_write(monkeypatch)
    rows = [{"x": 1.0, "y": 2.0}]
    response = api.post("/api/runs/", {"chain": "adder", "rows": rows}, format="json")
    assert response.status_code == 201
    assert flushing.flushes_wait(timeout=30)
    # Renamed into place by the request; the file, then its folder, flushed
    # by the flushing thread.
    assert seen == ["rename", "fsync later", "fsync later"]
    run = Run.objects.get(id=response.json()["id"])
    assert artifact_intact(run.input)


def test_a_flush_of_a_file_gone_meanwhile_is_logged_and_the_next_is_done(
    media, monkeypatch, caplog
):
    seen = steps_of_a_write(monkeypatch)
    flushing.flush_soon(str(media / "artifacts" / "gone.parquet"))
    media.mkdir(parents=True, exist_ok=True)
    kept = media / "kept.parquet"
    kept.write_bytes(b"k")
    flushing.flush_soon(str(kept))
    assert flushing.flushes_wait(timeout=30)
    assert seen == ["fsync later", "fsync later"]
    assert "could not flush" in caplog.text
