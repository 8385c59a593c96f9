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
