"""Data set and run lists filter the way people look: by name, owner, content hash,
data set; bad filter values are a 400 or an empty list, never a 500."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from runner import selectors
from runner.models import Artifact, Dataset, Run
from runner.services.datasets import dataset_create_from_frame
from runner.services.runs import run_start
from tests.config.test_openapi import generated_schema
from tests.runner.conftest import chain_version_make, dataset_make, linear_doc

pytestmark = pytest.mark.django_db

CSV = b"x,y\n1.0,2.0\n3.0,4.0\n"


def upload(api, name: str, data: bytes = CSV, filename: str = "t.csv"):
    file = SimpleUploadedFile(filename, data)
    return api.post("/api/datasets/", {"file": file, "name": name}, format="multipart")


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [d["name"] for d in response.json()["results"]]


@pytest.fixture
def shelf(media, owner, teammate):
    """Three data sets of two owners; 'sales-2024' and 'other' hold equal tables."""
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    sales = dataset_create_from_frame(name="sales-2024", df=frame, owner=owner)
    dataset_make(owner=owner, name="stock")
    dataset_create_from_frame(name="other", df=frame, owner=teammate)
    return sales


def test_a_data_set_keeps_the_sha256_of_its_stored_file(api, media):
    body = upload(api, "t").json()
    dataset = Dataset.objects.get(id=body["id"])
    with default_storage.open(dataset.artifact.path, "rb") as handle:
        expected = hashlib.sha256(handle.read()).hexdigest()
    assert body["sha256"] == expected
    assert dataset.sha256 == expected


def test_data_sets_filter_by_exact_name_and_by_substring(api, shelf):
    assert names(api.get("/api/datasets/?name=sales-2024")) == ["sales-2024"]
    assert names(api.get("/api/datasets/?name=sales")) == []
    assert names(api.get("/api/datasets/?search=SALES")) == ["sales-2024"]
    assert names(api.get("/api/datasets/?search=o")) == ["other", "stock"]


def test_data_sets_filter_by_owner_and_content_hash_combined(api, shelf):
    assert names(api.get("/api/datasets/?owner=teammate")) == ["other"]
    assert names(api.get("/api/datasets/?owner=nobody")) == []
    url = f"/api/datasets/?sha256={shelf.sha256.upper()}"
    assert names(api.get(url)) == ["other", "sales-2024"]
    assert names(api.get(f"/api/datasets/?sha256={shelf.sha256[:8]}")) == [
        "other",
        "sales-2024",
    ]
    both = f"/api/datasets/?sha256={shelf.sha256}&owner=owner"
    assert names(api.get(both)) == ["sales-2024"]
    assert names(api.get(f"{both}&search=stock")) == []


def test_filtered_data_sets_keep_the_pagination_envelope(api, shelf):
    body = api.get("/api/datasets/?owner=owner&limit=1").json()
    assert body["count"] == 2
    assert [d["name"] for d in body["results"]] == ["stock"]
    assert "owner=owner" in body["next"]
    assert body["previous"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sha256=xyz", "sha256"),
        ("sha256=abc", "sha256"),
        ("name=a%00b", "name"),
        ("owner=%00", "owner"),
        ("search=" + "s" * 201, "search"),
    ],
)
def test_a_bad_data_set_filter_is_a_400_naming_the_field(api, shelf, query, field):
    response = api.get(f"/api/datasets/?{query}")
    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]


@pytest.fixture
def runs(owner, media):
    """Two runs on data set 'a', one on 'b', one on posted rows."""
    version = chain_version_make(owner=owner, document=linear_doc())
    a = dataset_make(owner=owner, name="a")
    b = dataset_make(owner=owner, name="b", rows=3)
    made = [
        run_start(chain_version=version, user=owner, dataset=a),
        run_start(chain_version=version, user=owner, dataset=a, reuse=False),
        run_start(chain_version=version, user=owner, dataset=b),
        run_start(chain_version=version, user=owner, rows=[{"x": 1.0, "y": 2.0}]),
    ]
    return {"a": a, "b": b, "runs": made}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


def test_runs_filter_by_data_set_with_the_other_filters(api, runs):
    first, second, on_b, _ = runs["runs"]
    a = runs["a"].id
    assert ids(api.get(f"/api/runs/?dataset={a}")) == [second.id, first.id]
    assert ids(api.get(f"/api/runs/?dataset={runs['b'].id}")) == [on_b.id]
    assert ids(api.get(f"/api/runs/?dataset={a}&user=owner&chain=chain")) == [
        second.id,
        first.id,
    ]
    assert ids(api.get(f"/api/runs/?dataset={a}&user=teammate")) == []
    assert ids(api.get("/api/runs/?dataset=999999")) == []
    body = api.get(f"/api/runs/?dataset={a}&limit=1&offset=1").json()
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [first.id]


@pytest.mark.parametrize(
    "query", ["dataset=abc", "dataset=0", "dataset=1e3", f"dataset={2**63}"]
)
def test_a_bad_data_set_id_is_a_400(api, runs, query):
    response = api.get(f"/api/runs/?{query}")
    assert response.status_code == 400
    assert "dataset" in response.json()["extra"]["fields"]


def test_a_nul_in_a_run_filter_is_a_400(api, runs):
    for query in ("chain=a%00", "user=%00", "status=%00"):
        response = api.get(f"/api/runs/?{query}")
        assert response.status_code == 400, query


def test_the_selectors_answer_nothing_for_a_nul_instead_of_failing(runs):
    assert list(selectors.dataset_list(name="a\x00")) == []
    assert list(selectors.dataset_list(sha256="ab\x00")) == []
    assert list(selectors.run_list(chain="chain\x00")) == []


def test_the_schema_documents_the_list_filters(db, tmp_path):
    schema = generated_schema(tmp_path)

    def params(path: str) -> dict[str, dict]:
        operation = schema["paths"][path]["get"]
        return {p["name"]: p["schema"] for p in operation["parameters"]}

    datasets = params("/api/datasets/")
    assert {"name", "search", "owner", "sha256"} <= set(datasets)
    assert datasets["sha256"]["oneOf"][0]["pattern"] == "^[0-9a-fA-F]{4,64}$"
    runs = params("/api/runs/")
    assert runs["dataset"]["type"] == "integer"
    assert "succeeded" in runs["status"]["enum"]
    models = params("/api/models/")
    assert set(models["format"]["enum"]) >= {"skops", "onnx", "pickle", "joblib"}
    assert models["owner"]["type"] == "string"


def test_stored_rows_are_unchanged_by_filtering(api, runs):
    before = (Dataset.objects.count(), Run.objects.count(), Artifact.objects.count())
    api.get("/api/runs/?dataset=abc")
    api.get("/api/datasets/?sha256=zz")
    after = (Dataset.objects.count(), Run.objects.count(), Artifact.objects.count())
    assert after == before
