"""The model list filters by owner and by format (a model matches when any of
its versions is in that format), on the API and on the registry page."""

from __future__ import annotations

import pytest

from registry import services
from registry.models import ModelVersion, RegisteredModel
from tests.registry import files


@pytest.fixture
def shelf(owner, teammate, ridge_v1):
    """sales-ridge (owner): skops; onnx-model (teammate): skops then ONNX; empty."""
    mixed = services.registered_model_create(name="onnx-model", owner=teammate)
    uploads = (("a.skops", files.ridge_bytes()), ("b.onnx", files.onnx_bytes()))
    for name, data in uploads:
        services.model_version_create(
            model=mixed, file=files.upload(name, data), uploaded_by=teammate
        )
    services.registered_model_create(name="empty", owner=owner)
    return mixed


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [m["name"] for m in response.json()["results"]]


def test_models_filter_by_owner(api, shelf):
    assert names(api.get("/api/models/?owner=owner")) == ["empty", "sales-ridge"]
    assert names(api.get("/api/models/?owner=teammate")) == ["onnx-model"]
    assert names(api.get("/api/models/?owner=nobody")) == []


def test_models_filter_by_the_format_of_any_version(api, shelf):
    assert names(api.get("/api/models/?format=onnx")) == ["onnx-model"]
    assert names(api.get("/api/models/?format=skops")) == ["onnx-model", "sales-ridge"]
    assert names(api.get("/api/models/?format=joblib")) == []


def test_a_format_filter_keeps_counts_and_envelope(api, shelf):
    body = api.get("/api/models/?format=skops&owner=teammate&limit=1").json()
    assert body["count"] == 1
    assert body["next"] is None
    [model] = body["results"]
    assert model["latest_version"] == 2
    both = api.get("/api/models/?format=skops&limit=1").json()
    assert both["count"] == 2
    assert "format=skops" in both["next"]


@pytest.mark.parametrize("query", ["format=zip", "format=%00", "owner=%00"])
def test_a_bad_model_filter_is_a_400(api, shelf, query):
    before = (RegisteredModel.objects.count(), ModelVersion.objects.count())
    response = api.get(f"/api/models/?{query}")
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) <= {"format", "owner"}
    assert (RegisteredModel.objects.count(), ModelVersion.objects.count()) == before


def test_the_registry_page_filters_by_owner_and_format(owner_client, shelf):
    text = owner_client.get("/models/?owner=teammate").content.decode()
    assert "onnx-model" in text
    assert "sales-ridge" not in text
    text = owner_client.get("/models/?format=onnx&owner=owner").content.decode()
    assert "No model matches" in text
    assert "owner “owner”" in text
    assert "format “onnx”" in text
    for query in ("format=zip", "owner=%00", "format=%00"):
        page = owner_client.get(f"/models/?{query}")
        assert page.status_code == 200
        assert "No model matches" in page.content.decode()
