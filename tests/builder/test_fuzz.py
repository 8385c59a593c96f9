"""Whatever JSON arrives, validation answers 200 or a 4xx, never a 500."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builder import files

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["in", "out", "ridge", "model", "input", "@latest", "", "x" * 90])
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["id", "kind", "params", "schema", "model", "version", "x"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
KINDS = st.sampled_from(["input", "model", "transform", "combine", "output", "nope"])


@st.composite
def mutated(draw):
    """The linear document with one node's kind or params replaced by noise."""
    doc = files.linear()
    index = draw(st.integers(0, 2))
    node = doc["nodes"][index]
    if draw(st.booleans()):
        node["kind"] = draw(KINDS)
    node["params"] = draw(st.dictionaries(st.text(max_size=8), JSON, max_size=3))
    if draw(st.booleans()):
        doc["edges"].append(
            draw(st.lists(st.sampled_from(["in", "ridge", "out", "z"]), max_size=3))
        )
    return doc


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(document=JSON | mutated())
def test_validation_never_fails_with_a_500(api, ridge, document):
    response = api.post(
        "/api/validate",
        json.dumps({"document": document}),
        content_type="application/json",
    )
    assert response.status_code in (200, 400, 413), response.content
    assert isinstance(response.json(), dict)


@st.composite
def manifests(draw):
    manifest = {
        "format": "catena.export/1",
        "chain": {"name": "fuzz"},
        "document": files.linear(),
        "models": [
            {
                "name": "sales-ridge",
                "version": 1,
                "sha256": "0" * 64,
                "references": {"ridge": 1},
            }
        ],
    }
    key = draw(st.sampled_from(["format", "chain", "document", "models"]))
    manifest[key] = draw(JSON)
    return manifest


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(manifest=JSON | manifests())
def test_import_never_fails_with_a_500(api, ridge, manifest):
    response = api.post(
        "/api/chains/import", json.dumps(manifest), content_type="application/json"
    )
    assert response.status_code in (201, 400, 409, 413), response.content
    assert isinstance(response.json(), dict)
