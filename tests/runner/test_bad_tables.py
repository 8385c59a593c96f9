"""Cells a table cannot hold are a 400 naming the column, never a 500."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from runner.models import Artifact, Dataset, Run
from tests.runner.conftest import chain_version_make, linear_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(owner):
    return chain_version_make(owner=owner, document=linear_doc(), name="adder")


@pytest.mark.parametrize(
    ("rows", "found"),
    [
        ([{"x": [1], "y": 1.0}], "list"),
        ([{"x": {"a": 1}, "y": 1.0}], "object"),
        ([{"x": 1, "y": 1.0}, {"x": "one", "y": 1.0}], "integer, text"),
        ([{"x": 2**70, "y": 1.0}], "integer"),
    ],
)
def test_rows_a_table_cannot_hold_are_refused_and_nothing_is_stored(
    api, version, rows, found
):
    artifacts = Artifact.objects.count()
    response = api.post("/api/runs/", {"chain": "adder", "rows": rows}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "column 'x'" in body["message"]
    assert f"(found {found})" in body["message"]
    assert Run.objects.count() == 0
    assert Artifact.objects.count() == artifacts


def test_a_parquet_file_with_list_columns_is_refused(api):
    buffer = io.BytesIO()
    pd.DataFrame({"x": [[1, 2], [3]], "y": [1.0, 2.0]}).to_parquet(buffer)
    upload = SimpleUploadedFile("lists.parquet", buffer.getvalue())
    response = api.post("/api/datasets/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "column 'x'" in response.json()["message"]
    assert Dataset.objects.count() == 0
    assert Artifact.objects.count() == 0


def test_text_and_boolean_columns_with_gaps_are_accepted(api, version):
    rows = [{"x": 1.0, "y": 2.0, "t": "a", "b": True}, {"x": 2.0, "y": 1.0}]
    response = api.post("/api/runs/", {"chain": "adder", "rows": rows}, format="json")
    assert response.status_code == 201


def test_a_csv_with_a_repeated_header_is_refused_naming_it(api):
    upload = SimpleUploadedFile("dupes.csv", b"a,b,a\n1,2,3\n")
    response = api.post("/api/datasets/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["message"].endswith("repeats columns: a")
    assert Dataset.objects.count() == 0


def test_an_input_without_the_chains_columns_is_refused_before_anything_is_stored(
    api, owner, version
):
    other = Artifact.objects.create(
        key="e" * 64, path="x.parquet", schema=[["x", "float"]]
    )
    dataset = Dataset.objects.create(name="only-x", owner=owner, artifact=other)
    artifacts = Artifact.objects.count()
    by_rows = api.post(
        "/api/runs/", {"chain": "adder", "rows": [{"x": 1.0}]}, format="json"
    )
    by_dataset = api.post(
        "/api/runs/", {"chain": "adder", "dataset": dataset.id}, format="json"
    )
    for response in (by_rows, by_dataset):
        assert response.status_code == 400
        assert response.json()["extra"] == {"missing": ["y"]}
        assert "lacks columns" in response.json()["message"]
    assert Run.objects.count() == 0
    assert Artifact.objects.count() == artifacts


@pytest.mark.parametrize("path", ["/api/runs/", "/api/datasets/"])
def test_a_huge_page_limit_or_offset_is_bounded_not_a_500(api, path):
    response = api.get(f"{path}?limit={10**20}&offset={10**20}")
    assert response.status_code == 200
    assert response.json()["results"] == []
