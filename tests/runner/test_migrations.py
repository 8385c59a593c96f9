"""Migrations that change stored rows."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.runner.conftest import chain_version_make, linear_doc

BEFORE = [("runner", "0001_initial")]
AFTER = [("runner", "0002_dataset_unique_owner_name")]


@pytest.mark.slow
def test_repeated_data_set_names_get_a_suffix_before_names_become_unique(
    transactional_db, owner, teammate
):
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        _check(owner, teammate)
    finally:  # every app back to its latest migration for the tests after
        MigrationExecutor(connection).migrate(leaves)


def _check(owner, teammate) -> None:
    executor = MigrationExecutor(connection)
    old = executor.loader.project_state(BEFORE).apps
    Artifact = old.get_model("runner", "Artifact")
    Dataset = old.get_model("runner", "Dataset")
    artifact = Artifact.objects.create(key="a" * 64, path="a.parquet")
    for user, name in [
        (owner, "sales"),
        (owner, "sales"),
        (owner, "sales (2)"),
        (owner, "sales"),
        (teammate, "sales"),
    ]:
        Dataset.objects.create(
            name=name, owner_id=user.id, artifact=artifact, format="csv"
        )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    names = new.get_model("runner", "Dataset").objects.order_by("id")
    assert list(names.values_list("owner_id", "name")) == [
        (owner.id, "sales"),
        (owner.id, "sales (3)"),
        (owner.id, "sales (2)"),
        (owner.id, "sales (4)"),
        (teammate.id, "sales"),
    ]


HASHLESS = [("runner", "0004_merge_integrity_idempotency")]
HASHED = [("runner", "0005_dataset_sha256_timing")]


@pytest.mark.slow
def test_existing_data_sets_get_their_files_hash_and_runs_a_received_time(
    transactional_db, owner, media
):
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(HASHLESS)
    try:
        _check_hashes(owner)
    finally:  # every app back to its latest migration for the tests after
        MigrationExecutor(connection).migrate(leaves)


def _check_hashes(owner) -> None:
    old = MigrationExecutor(connection).loader.project_state(HASHLESS).apps
    Artifact = old.get_model("runner", "Artifact")
    Dataset = old.get_model("runner", "Dataset")
    Run = old.get_model("runner", "Run")
    data = b"PAR1 not really parquet PAR1"
    path = default_storage.save("data/old.parquet", ContentFile(data))
    kept = Artifact.objects.create(key="k" * 64, path=path)
    gone = Artifact.objects.create(key="g" * 64, path="data/gone.parquet")
    for name, artifact in (("kept", kept), ("gone", gone)):
        Dataset.objects.create(
            name=name, owner_id=owner.id, artifact=artifact, format="csv"
        )
    version = chain_version_make(owner=owner, document=linear_doc())
    run = Run.objects.create(
        chain_version_id=version.id,
        started_by_id=owner.id,
        input=kept,
        deadline=timezone.now() + timedelta(hours=1),
    )
    executor = MigrationExecutor(connection)
    executor.migrate(HASHED)
    new = executor.loader.project_state(HASHED).apps
    datasets = new.get_model("runner", "Dataset").objects
    hashes = dict(datasets.values_list("name", "sha256"))
    assert hashes == {"kept": hashlib.sha256(data).hexdigest(), "gone": ""}
    migrated = new.get_model("runner", "Run").objects.get(id=run.id)
    assert migrated.received_at == migrated.created
    assert migrated.submit_seconds is None
