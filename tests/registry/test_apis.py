from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from registry.models import Alias, ModelVersion, RegisteredModel, TrustRecord
from tests.registry import files


def post_version(client, name, filename, data, **extra):
    return client.post(
        f"/api/models/{name}/versions/",
        {"file": files.upload(filename, data), **extra},
        format="multipart",
    )


def test_create_model_then_upload_a_version(api):
    response = api.post("/api/models/", {"name": "sales-ridge", "title": "Ridge"})
    assert response.status_code == 201
    assert response.json()["latest_version"] is None
    response = post_version(
        api,
        "sales-ridge",
        "ridge.skops",
        files.ridge_bytes(),
        notes="first",
        metrics='{"rmse": 0.4}',
    )
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == 1
    assert body["signature"]["inputs"] == [["price", "float"], ["area", "float"]]
    assert body["metrics"] == {"rmse": 0.4}
    assert body["trusted"] is True
    assert body["warnings"] == []


def test_register_a_model_with_its_first_version_and_metrics_in_one_request(api):
    response = api.post(
        "/api/models/",
        {
            "name": "sales-ridge",
            "file": files.upload("ridge.skops", files.ridge_bytes()),
            "metrics": '{"rmse": 0.4}',
        },
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["latest_version"] == 1
    assert ModelVersion.objects.get().metrics == {"rmse": 0.4}


@pytest.mark.parametrize(
    "metrics", ['{"rmse": NaN}', "[1, 2]", '{"a": ', '{"x": "\\u0000"}']
)
def test_bad_metrics_on_registration_store_neither_model_nor_version(api, metrics):
    response = api.post(
        "/api/models/",
        {
            "name": "sales-ridge",
            "file": files.upload("ridge.skops", files.ridge_bytes()),
            "metrics": metrics,
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"message", "extra"}
    assert RegisteredModel.objects.count() == 0
    assert ModelVersion.objects.count() == 0


def test_list_models_with_search_latest_and_aliases(api, ridge_v1, forest, owner):
    Alias.objects.create(
        model=ridge_v1.model, name="production", version=ridge_v1, moved_by=owner
    )
    response = api.get("/api/models/?search=ridge")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["name"] == "sales-ridge"
    assert row["latest_version"] == 1
    assert row["aliases"] == {"production": 1}
    assert row["used_by_chains"] == 0


def test_unauthenticated_requests_are_refused(ridge_v1):
    response = APIClient().get("/api/models/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"message", "extra"}


def test_duplicate_model_name_is_a_400(api, sales):
    response = api.post("/api/models/", {"name": "sales-ridge"})
    assert response.status_code == 400
    assert "already exists" in response.json()["message"]
    assert RegisteredModel.objects.count() == 1


def test_bad_model_name_is_a_400(api):
    response = api.post("/api/models/", {"name": "not a slug!"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("name:")
    assert RegisteredModel.objects.count() == 0


def test_random_bytes_upload_is_a_400_with_the_reason(api, sales):
    response = post_version(api, "sales-ridge", "m.skops", b"\x00garbage" * 50)
    assert response.status_code == 400
    body = response.json()
    assert "not a valid skops file" in body["message"]
    assert "file" in body["extra"]["fields"]
    assert ModelVersion.objects.count() == 0


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        ('{"rmse": NaN}', "NaN is not a JSON number"),
        ('{"rmse": -Infinity}', "-Infinity is not a JSON number"),
        ("[" * 100_000 + "]" * 100_000, "characters long"),
        ('{"a": ' * 5_000 + "1" + "}" * 5_000, "nested too deeply"),
    ],
)
def test_metrics_json_cannot_carry_is_a_400(api, sales, metrics, reason):
    response = post_version(
        api, "sales-ridge", "ridge.skops", files.ridge_bytes(), metrics=metrics
    )
    assert response.status_code == 400
    body = response.json()
    assert reason in body["message"]
    assert "metrics" in body["extra"]["fields"]
    assert ModelVersion.objects.count() == 0


def test_unknown_format_names_the_accepted_ones(api, sales):
    response = post_version(api, "sales-ridge", "model.h5", b"HDF")
    assert response.status_code == 400
    assert "Accepted: skops (.skops), ONNX (.onnx)" in response.json()["message"]
    assert ModelVersion.objects.count() == 0


def test_missing_file_is_a_400(api, sales):
    response = api.post("/api/models/sales-ridge/versions/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["message"].startswith("file:")
    assert ModelVersion.objects.count() == 0


def test_upload_above_the_limit_is_a_413_naming_the_limit(api, sales, settings):
    settings.CATENA_MAX_UPLOAD_MB = 1
    response = post_version(api, "sales-ridge", "big.skops", b"x" * (1024 * 1024 + 10))
    assert response.status_code == 413
    assert response.json() == {
        "message": "The file is 1.0 MB; the upload limit is 1 MB.",
        "extra": {"field": "file", "limit_mb": 1},
    }
    assert ModelVersion.objects.count() == 0


def test_teammate_cannot_upload_to_owners_model(teammate_api, sales):
    response = post_version(teammate_api, "sales-ridge", "r.skops", files.ridge_bytes())
    assert response.status_code == 403
    assert "Only the owner" in response.json()["message"]
    assert ModelVersion.objects.count() == 0


def test_teammate_reads_versions(teammate_api, ridge_v1):
    response = teammate_api.get("/api/models/sales-ridge/versions/")
    assert response.status_code == 200
    assert [v["number"] for v in response.json()["results"]] == [1]
    response = teammate_api.get("/api/models/sales-ridge/versions/1/")
    assert response.json()["sha256"] == ridge_v1.sha256


def test_download_returns_the_exact_bytes(teammate_api, ridge_v1):
    response = teammate_api.get("/api/models/sales-ridge/versions/1/download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == files.ridge_bytes()
    assert response["X-Content-SHA256"] == ridge_v1.sha256
    assert "sales-ridge-v1.skops" in response["Content-Disposition"]


def test_unknown_model_and_version_are_404_json(api, ridge_v1):
    assert api.get("/api/models/nope/").status_code == 404
    response = api.get("/api/models/sales-ridge/versions/9/download")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "extra"}


def test_move_alias(api, ridge_v1):
    response = api.post(
        "/api/models/sales-ridge/aliases/", {"alias": "production", "version": 1}
    )
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert response.json()["moved_by"] == "owner"
    assert api.get("/api/models/sales-ridge/").json()["aliases"] == {"production": 1}


def test_alias_to_missing_version_is_a_400(api, ridge_v1):
    response = api.post(
        "/api/models/sales-ridge/aliases/", {"alias": "production", "version": 5}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "'sales-ridge' has no version 5."
    assert Alias.objects.count() == 0


def test_teammate_cannot_move_alias(teammate_api, ridge_v1):
    response = teammate_api.post(
        "/api/models/sales-ridge/aliases/", {"alias": "production", "version": 1}
    )
    assert response.status_code == 403
    assert Alias.objects.count() == 0


def test_staff_trusts_listed_types(staff_api, forest):
    response = staff_api.post(
        "/api/models/churn-forest/versions/1/trust",
        {"types": ["sklearn.tree._tree.Tree"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["trusted"] is True
    assert response.json()["methods"] == ["predict", "predict_proba"]


def test_owner_cannot_trust(api, forest):
    response = api.post("/api/models/churn-forest/versions/1/trust", {}, format="json")
    assert response.status_code == 403
    assert forest.versions.get().trusted is False
    assert TrustRecord.objects.count() == 0


def test_trusting_other_types_is_a_400(staff_api, forest):
    response = staff_api.post(
        "/api/models/churn-forest/versions/1/trust",
        json.dumps({"types": ["os.system"]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "Trust exactly the listed types" in response.json()["message"]
    assert forest.versions.get().trusted is False


def test_schema_documents_the_registry_paths(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/models/{name}/versions/" in paths
    assert "/api/models/{name}/versions/{number}/trust" in paths


@pytest.mark.parametrize("query", ["limit=10" + "0" * 20, "offset=10" + "0" * 20])
def test_huge_limit_or_offset_is_bounded_not_a_500(api, ridge_v1, query):
    for url in ("/api/models/", "/api/models/sales-ridge/versions/"):
        response = api.get(f"{url}?{query}")
        assert response.status_code == 200
        assert response.json()["count"] == 1


def test_a_model_name_a_chain_could_not_refer_to_is_a_400(api):
    response = api.post("/api/models/", {"name": "m" * 81})
    assert response.status_code == 400
    assert "80 characters" in response.json()["message"]
    assert "name" in response.json()["extra"]["fields"]
    assert RegisteredModel.objects.count() == 0
    response = api.post("/api/models/", {"name": "m" * 80})
    assert response.status_code == 201


def test_overlong_description_or_notes_is_a_400_and_stores_nothing(api, sales):
    response = api.post("/api/models/", {"name": "other", "description": "d" * 10_001})
    assert response.status_code == 400
    assert "description" in response.json()["extra"]["fields"]
    assert RegisteredModel.objects.filter(name="other").count() == 0
    response = post_version(
        api, "sales-ridge", "ridge.skops", files.ridge_bytes(), notes="n" * 10_001
    )
    assert response.status_code == 400
    assert "at most 10,000 characters" in response.json()["message"]
    assert "notes" in response.json()["extra"]["fields"]
    assert ModelVersion.objects.count() == 0
