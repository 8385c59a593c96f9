"""A run's first node passing its input table on unchanged stores no second copy:
its output is the input's file under a second name."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import pytest
from django.core.files.storage import default_storage

from runner.models import Artifact, Run
from runner.services.runs import run_start
from runner.store import artifact_intact, artifact_load, recent_tables
from tests.runner.conftest import arith, chain_version_make, doc, linear_doc, node

pytestmark = pytest.mark.django_db

ROWS = [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": float("nan")}]


def ran(owner: Any, drain: Any, document: dict[str, Any]) -> Run:
    version = chain_version_make(owner=owner, document=document)
    run = run_start(chain_version=version, user=owner, rows=ROWS)
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED, run.error
    return run


def inode(artifact: Artifact) -> int:
    return os.stat(default_storage.path(artifact.path)).st_ino


def test_an_input_node_passing_its_table_on_unchanged_stores_no_second_copy(
    owner, drain
):
    run = ran(owner, drain, linear_doc())
    first = run.nodes.get(node_id="in").artifact
    assert first.key != run.input.key
    assert inode(first) == inode(run.input)
    assert (first.size, first.sha256) == (run.input.size, run.input.sha256)
    assert artifact_intact(first)
    recent_tables.clear()
    table = artifact_load(artifact=first)
    assert table.columns.tolist() == ["x", "y"]
    pd.testing.assert_frame_equal(table, artifact_load(artifact=run.input))
    assert run.nodes.get(node_id="plus").artifact.rows == 2
    # The input's own name gone (a data set deleted by hand): the output stays.
    os.remove(default_storage.path(run.input.path))
    assert artifact_intact(first)


@pytest.mark.parametrize(
    "schema",
    [
        [["x", "float"]],
        [["y", "float"], ["x", "float"]],
        [["x", "int"], ["y", "float"]],
    ],
    ids=["selects", "reorders", "casts"],
)
def test_an_input_node_that_changes_its_table_writes_its_own_file(owner, drain, schema):
    document = doc(
        [
            node("in", "input", schema=schema),
            arith("plus", "s", "x + 1"),
            node("out", "output"),
        ],
        [["in", "plus"], ["plus", "out"]],
    )
    rows = [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}]
    version = chain_version_make(owner=owner, document=document)
    run = run_start(chain_version=version, user=owner, rows=rows)
    drain()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED, run.error
    first = run.nodes.get(node_id="in").artifact
    assert inode(first) != inode(run.input)
    recent_tables.clear()
    table = artifact_load(artifact=first)
    assert table.columns.tolist() == [name for name, _ in schema]
    assert artifact_intact(first)


def test_on_an_object_store_the_input_nodes_output_is_written(owner, drain, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    run = ran(owner, drain, linear_doc())
    first = run.nodes.get(node_id="in").artifact
    assert default_storage.exists(first.path)
    assert artifact_intact(first)
    recent_tables.clear()
    pd.testing.assert_frame_equal(
        artifact_load(artifact=first), artifact_load(artifact=run.input)
    )
