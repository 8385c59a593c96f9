"""Data sets: upload CSV or Parquet, schema and preview, clear errors."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from runner.models import Artifact, Dataset

pytestmark = pytest.mark.django_db


def upload(api, filename: str, data: bytes, **fields):
    file = SimpleUploadedFile(filename, data)
    return api.post("/api/datasets/", {"file": file, **fields}, format="multipart")


def test_a_csv_upload_shows_its_schema_and_preview(api, media):
    response = upload(
        api, "sales.csv", b"price,shape\n9.5,round\n3.0,square\n", name="sales"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["rows"] == 2
    assert body["schema"] == [["price", "float"], ["shape", "str"]]
    assert body["preview"]["rows"] == [[9.5, "round"], [3.0, "square"]]
    assert body["format"] == "csv"
    assert api.get("/api/datasets/").json()["count"] == 1


def test_a_parquet_upload_is_read(api, media):
    buffer = io.BytesIO()
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(buffer)
    response = upload(api, "a.parquet", buffer.getvalue())
    assert response.status_code == 201
    assert response.json()["name"] == "a"
    assert response.json()["schema"] == [["a", "int"]]


def test_the_same_table_uploaded_twice_is_stored_once(api, media):
    upload(api, "one.csv", b"x\n1\n")
    upload(api, "two.csv", b"x\n1\n")
    assert Dataset.objects.count() == 2
    assert Artifact.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("model.pkl", b"x", "neither a .csv nor a .parquet"),
        ("empty.csv", b"", "empty"),
        ("bad.parquet", b"not parquet at all", "could not be read as Parquet"),
        ("bad.csv", b"a,b\n1,2,3,4\n5\n\xff\xfe", "could not be read as CSV"),
    ],
)
def test_unreadable_uploads_are_refused_with_a_clear_message(
    api, media, name, data, message
):
    response = upload(api, name, data)
    assert response.status_code == 400
    assert set(response.json()) == {"message", "extra"}
    assert Dataset.objects.count() == 0
    assert Artifact.objects.count() == 0
    assert message in response.json()["message"]


def test_an_upload_over_the_limit_is_refused(api, media, settings):
    settings.CATENA_MAX_UPLOAD_MB = 0
    response = upload(api, "big.csv", b"x\n1\n")
    assert response.status_code == 400
    assert "larger than 0 MB" in response.json()["message"]
    assert Dataset.objects.count() == 0


def test_the_upload_page_shows_errors_and_lists_data_sets(owner_client, media):
    bad = owner_client.post("/datasets/", {"file": SimpleUploadedFile("x.txt", b"x")})
    assert bad.status_code == 400
    assert "neither a .csv nor a .parquet" in bad.content.decode()
    good = owner_client.post(
        "/datasets/",
        {"file": SimpleUploadedFile("iris.csv", b"a,b\n1,2\n"), "name": "iris"},
    )
    dataset = Dataset.objects.get()
    assert good.status_code == 302
    assert good["Location"] == f"/datasets/{dataset.id}/"
    page = owner_client.get(good["Location"]).content.decode()
    assert "iris" in page
    assert "<td>1</td><td>2</td>" in page.replace("\n", "")
    assert "iris" in owner_client.get("/datasets/").content.decode()


def test_a_second_data_set_of_the_same_name_is_refused_for_its_owner(
    api, teammate_api, media
):
    assert upload(api, "a.csv", b"x\n1\n", name="sales").status_code == 201
    again = upload(api, "b.csv", b"y\n2\n", name="sales")
    assert again.status_code == 400
    assert again.json()["message"] == "You already have a data set named 'sales'."
    assert again.json()["extra"]["fields"] == {"name": [again.json()["message"]]}
    assert list(Dataset.objects.values_list("name", "original_name")) == [
        ("sales", "a.csv")
    ]
    assert Artifact.objects.count() == 1
    # The name is the owner's: a teammate may use it too.
    assert upload(teammate_api, "c.csv", b"x\n1\n", name="sales").status_code == 201
    assert Dataset.objects.filter(name="sales").count() == 2


def test_the_upload_page_says_the_name_is_taken(owner_client, owner, media):
    first = {"file": SimpleUploadedFile("iris.csv", b"a\n1\n"), "name": "iris"}
    assert owner_client.post("/datasets/", first).status_code == 302
    second = {"file": SimpleUploadedFile("other.csv", b"b\n2\n"), "name": "iris"}
    page = owner_client.post("/datasets/", second)
    assert page.status_code == 400
    assert "You already have a data set named &#x27;iris&#x27;." in (
        page.content.decode()
    )
    assert Dataset.objects.count() == 1
    assert Artifact.objects.count() == 1
