from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create
from builder.models import Chain, ChainDraft, ChainVersion
from catena import problems
from catena.problems import CODES
from tests.builder import files


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_a_chain_is_created_listed_and_retrieved(api):
    response = post_json(api, "/api/chains/", {"name": "sales", "title": "Sales"})
    assert response.status_code == 201
    assert response.json()["name"] == "sales"
    assert response.json()["owner"] == "owner"
    listed = api.get("/api/chains/?search=sal").json()
    assert [c["name"] for c in listed["results"]] == ["sales"]
    detail = api.get("/api/chains/sales/").json()
    assert detail["latest_version"] is None
    assert detail["can_edit"] is True


def test_a_duplicate_chain_name_is_a_409(api, chain):
    response = post_json(api, "/api/chains/", {"name": "sales"})
    assert response.status_code == 409
    assert "already exists" in response.json()["message"]
    assert Chain.objects.count() == 1


def test_versions_are_saved_listed_and_retrieved(api, chain, ridge):
    url = "/api/chains/sales/versions/"
    response = post_json(api, url, {"document": files.linear(), "message": "first"})
    assert response.status_code == 201
    assert response.json()["number"] == 1
    again = post_json(api, url, {"document": files.linear()})
    assert again.status_code == 200
    assert again.json() == {"unchanged": True, "number": 1}
    listed = api.get(url).json()["results"]
    assert [(v["number"], v["message"]) for v in listed] == [(1, "first")]
    one = api.get(f"{url}1/").json()
    assert one["document"] == files.linear()
    assert api.get("/api/chains/sales/").json()["latest_version"] == 1


def test_a_version_with_problems_answers_400_with_the_problems(api, chain, ridge):
    response = post_json(
        api, "/api/chains/sales/versions/", {"document": files.linear(name="nope")}
    )
    assert response.status_code == 400
    body = response.json()
    assert "draft" in body["message"]
    assert body["extra"]["problems"][0]["code"] == "unknown_model"
    assert body["extra"]["problems"][0]["node"] == "ridge"
    assert ChainVersion.objects.count() == 0


def test_a_teammate_may_read_but_not_save(teammate_api, chain, saved):
    assert teammate_api.get("/api/chains/sales/versions/1/").status_code == 200
    assert teammate_api.get("/api/chains/sales/").json()["can_edit"] is False
    response = post_json(
        teammate_api,
        "/api/chains/sales/versions/",
        {"document": files.linear(version=2)},
    )
    assert response.status_code == 403
    assert "owner" in response.json()["message"]
    assert ChainVersion.objects.count() == 1
    live = post_json(teammate_api, "/api/chains/sales/live", {"number": 1})
    assert live.status_code == 403


def test_anonymous_requests_are_refused(chain):
    response = APIClient().get("/api/chains/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "message" in response.json()


def test_a_token_authenticates_scripts(owner, chain):
    key = api_token_create(user=owner).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/chains/sales/").status_code == 200


def test_the_live_version_is_set(api, saved):
    response = post_json(api, "/api/chains/sales/live", {"number": 1})
    assert response.status_code == 200
    assert response.json()["live_version"] == 1
    missing = post_json(api, "/api/chains/sales/live", {"number": 5})
    assert missing.status_code == 400
    assert Chain.objects.get().live_version == saved


def test_a_draft_is_kept_read_and_deleted(api, chain):
    url = "/api/chains/sales/draft"
    assert api.get(url).status_code == 404
    draft = {"format": "catena.chain/1", "nodes": [{"id": "x"}]}
    response = api.put(
        url, json.dumps({"document": draft}), content_type="application/json"
    )
    assert response.status_code == 200
    assert api.get(url).json()["document"] == draft
    assert api.delete(url).status_code == 204
    assert ChainDraft.objects.count() == 0


def test_validate_returns_problems_and_schemas(api, ridge):
    response = post_json(api, "/api/validate", {"document": files.linear()})
    assert response.status_code == 200
    assert response.json()["problems"] == []
    assert response.json()["schemas"]["ridge"] == [["prediction", "float"]]
    broken = post_json(api, "/api/validate", {"document": files.linear(version=7)})
    assert [p["code"] for p in broken.json()["problems"]] == ["unknown_model"]


def test_the_palette_lists_kinds_and_models(api, ridge):
    palette = api.get("/api/palette").json()
    kinds = {k["kind"]: k for k in palette["kinds"]}
    assert {"input", "model", "output", "combine", "transform"} <= set(kinds)
    assert kinds["model"]["params"]["required"] == ["model"]
    assert kinds["model"]["title"] == "Model"
    (model,) = palette["models"]
    assert model["name"] == "sales-ridge"
    assert [v["number"] for v in model["versions"]] == [1, 2]
    assert model["aliases"] == {"production": 2}
    assert model["trusted"] is True
    assert model["signature"]["inputs"] == [["price", "float"], ["area", "float"]]


def test_the_openapi_schema_covers_the_builder_api(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for path in (
        "/api/chains/",
        "/api/chains/{name}/versions/",
        "/api/chains/{name}/versions/{number}/export",
        "/api/chains/import",
        "/api/validate",
        "/api/palette",
    ):
        assert path in paths
    components = json.loads(response.content)["components"]["schemas"]
    assert {
        "ChainListInputRequest",
        "ChainVersionListInputRequest",
        "ValidateOutput",
    } <= set(components)


@pytest.mark.parametrize("url", ["/api/chains/nope/", "/api/chains/sales/versions/9/"])
def test_unknown_chains_and_versions_are_404_json(api, chain, url):
    response = api.get(url)
    assert response.status_code == 404
    assert "message" in response.json()


@pytest.mark.parametrize("query", ["limit=10" + "0" * 20, "offset=10" + "0" * 20])
def test_huge_limit_or_offset_is_bounded_not_a_500(api, saved, query):
    for url in ("/api/chains/", "/api/chains/sales/versions/"):
        response = api.get(f"{url}?{query}")
        assert response.status_code == 200
        assert response.json()["count"] == 1


def test_an_overlong_chain_description_is_a_400_and_stores_nothing(api):
    response = post_json(
        api, "/api/chains/", {"name": "sales", "description": "d" * 10_001}
    )
    assert response.status_code == 400
    assert "description" in response.json()["extra"]["fields"]
    assert Chain.objects.count() == 0


def test_the_openapi_schema_lists_every_problem_code_with_its_fields(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    components = json.loads(response.content)["components"]["schemas"]

    problems = components["ValidateOutput"]["properties"]["problems"]
    variants = components["Problem"]["discriminator"]["mapping"]
    assert problems["items"]["$ref"] == "#/components/schemas/Problem"
    assert set(variants) == set(CODES)
    data = components["ProblemMissingFeaturesData"]["properties"]
    assert set(data) == {"features", "columns", "mapping"}
    dtype = components["ProblemDtypeMismatchData"]["properties"]
    assert set(dtype) == {"feature", "column", "expected", "actual"}


def test_validate_answers_problem_fields_when_every_message_is_reworded(
    api, ridge, monkeypatch
):
    monkeypatch.setattr(problems, "MESSAGES", dict.fromkeys(problems.MESSAGES, "?!"))
    doc = files.linear()
    doc["nodes"][0] = files.inp(price="float", size="str")

    response = post_json(api, "/api/validate", {"document": doc})

    (problem,) = response.json()["problems"]
    assert problem == {
        "code": "missing_features",
        "message": "?!",
        "node": "ridge",
        "edge": ["in", "ridge"],
        "severity": "error",
        "data": {"features": ["area"], "columns": ["price", "size"], "mapping": {}},
    }
