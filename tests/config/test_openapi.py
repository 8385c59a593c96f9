"""The whole API has one generated OpenAPI 3 schema, valid and without warnings."""

from __future__ import annotations

import yaml
from django.core.management import call_command


def test_openapi_schema_is_valid_and_generates_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    for path in ("/api/models/", "/api/chains/", "/api/runs/", "/api/validate"):
        assert path in schema["paths"]


def generated_schema(tmp_path) -> dict:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    return yaml.safe_load(target.read_text())


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def json_ref(response: dict) -> str:
    return response["content"]["application/json"]["schema"]["$ref"]


def test_lists_are_described_with_their_pagination_envelope(db, tmp_path):
    schema = generated_schema(tmp_path)
    lists = {
        "/api/models/",
        "/api/models/{name}/versions/",
        "/api/chains/",
        "/api/chains/{name}/versions/",
        "/api/datasets/",
        "/api/runs/",
    }
    for path in lists:
        operation = schema["paths"][path]["get"]
        name = json_ref(operation["responses"]["200"]).rsplit("/", 1)[1]
        envelope = schema["components"]["schemas"][name]
        assert set(envelope["properties"]) == {"count", "next", "previous", "results"}
        assert envelope["properties"]["results"]["type"] == "array"
        params = {p["name"] for p in operation["parameters"]}
        assert {"limit", "offset"} <= params


def test_every_operation_documents_its_errors_with_the_error_body(db, tmp_path):
    schema = generated_schema(tmp_path)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"message", "extra"}
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        for code in ("400", "401", "403", "429"):
            assert json_ref(responses[code]).endswith("/Error"), (method, path, code)
        if "{" in path or method != "GET":
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert "413" in responses, (method, path)


def test_the_schema_says_which_writes_answer_409_and_413(db, tmp_path):
    paths = generated_schema(tmp_path)["paths"]
    assert "409" in paths["/api/chains/"]["post"]["responses"]
    assert (
        "409"
        in paths["/api/chains/{name}/versions/{number}/export"]["get"]["responses"]
    )
    assert "413" in paths["/api/models/{name}/versions/"]["post"]["responses"]
    assert "413" not in paths["/api/runs/{run_id}/cancel"]["post"]["responses"]
