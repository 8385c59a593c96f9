"""Migrations that change stored rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

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
