"""Uploading a table already stored is allowed, and the user is told which data
set holds the same content."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from runner.models import Artifact, Dataset

pytestmark = pytest.mark.django_db

CSV = b"x,y\n1.0,2.0\n3.0,4.0\n"


def upload(api, name: str, data: bytes = CSV, filename: str = "t.csv"):
    file = SimpleUploadedFile(filename, data)
    return api.post("/api/datasets/", {"file": file, "name": name}, format="multipart")


def test_the_second_upload_of_a_file_names_the_first(api, teammate_api, media):
    first = upload(api, "first").json()
    assert first["same_content_as"] == []
    response = upload(teammate_api, "again")
    assert response.status_code == 201
    body = response.json()
    assert body["sha256"] == first["sha256"]
    assert body["same_content_as"] == [
        {
            "id": first["id"],
            "name": "first",
            "owner": "owner",
            "url": f"/datasets/{first['id']}/",
        }
    ]
    assert Dataset.objects.count() == 2
    assert Artifact.objects.count() == 1


def test_the_same_table_as_parquet_is_the_same_content(api, media):
    first = upload(api, "csv").json()
    buffer = io.BytesIO()
    pd.read_csv(io.BytesIO(CSV)).to_parquet(buffer)
    body = upload(api, "pq", buffer.getvalue(), "t.parquet").json()
    assert [d["id"] for d in body["same_content_as"]] == [first["id"]]


def test_other_content_names_no_twin(api, media):
    upload(api, "first")
    body = upload(api, "other", b"x,y\n1.0,2.5\n").json()
    assert body["same_content_as"] == []


def test_the_upload_page_says_which_data_set_has_the_same_content(owner_client, media):
    def post(name: str):
        file = SimpleUploadedFile("t.csv", CSV)
        return owner_client.post(
            "/datasets/", {"file": file, "name": name}, follow=True
        )

    post("first")
    page = post("again").content.decode()
    first = Dataset.objects.get(name="first")
    assert "It has the same content as data set &#x27;first&#x27;" in page
    assert f'<a href="/datasets/{first.id}/">first</a>' in page
    assert Dataset.objects.count() == 2
