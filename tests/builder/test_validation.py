from __future__ import annotations

import pytest

from builder.validation import chain_validate
from registry import services as registry_services
from tests.builder import files


def codes(problems):
    return [p["code"] for p in problems]


def test_a_valid_document_has_no_problems_and_every_schema(ridge):
    problems, schemas = chain_validate(files.linear())
    assert problems == []
    assert schemas == {
        "in": [["price", "float"], ["area", "float"]],
        "ridge": [["prediction", "float"]],
        "out": [["prediction", "float"]],
    }


def test_an_unknown_model_is_named(ridge):
    problems, _ = chain_validate(files.linear(name="no-such-model"))
    assert codes(problems) == ["unknown_model"]
    assert problems[0]["node"] == "ridge"
    assert "no-such-model" in problems[0]["message"]


def test_an_unknown_version_and_an_alias_that_points_nowhere(ridge):
    problems, _ = chain_validate(files.linear(version=9))
    assert codes(problems) == ["unknown_model"]
    problems, _ = chain_validate(files.linear(version="@staging"))
    assert codes(problems) == ["unknown_model"]
    assert "staging" in problems[0]["message"]


def test_an_alias_resolves_against_the_registry(ridge):
    problems, _ = chain_validate(files.linear(version="@production"))
    assert problems == []


def test_an_untrusted_model_version_is_a_problem(ridge, owner):
    registry_services.model_version_create(
        model=ridge,
        file=files.upload("ridge.pkl", files.ridge_pickle_bytes()),
        uploaded_by=owner,
    )
    problems, _ = chain_validate(files.linear(version=3))
    assert "untrusted_model" in codes(problems)


def test_missing_features_are_named(ridge):
    doc = files.linear()
    doc["nodes"][0] = files.inp(price="float")
    problems, schemas = chain_validate(doc)
    assert codes(problems) == ["missing_features"]
    assert "area" in problems[0]["message"]
    assert schemas["ridge"] is None


def test_a_mistyped_feature_is_named(ridge):
    doc = files.linear()
    doc["nodes"][0] = files.inp(price="str", area="float")
    problems, _ = chain_validate(doc)
    assert codes(problems) == ["dtype_mismatch"]
    assert "price" in problems[0]["message"]


def test_cycle_unreachable_and_no_output_are_reported(ridge):
    doc = files.doc(
        [
            files.inp(),
            files.model("a", "sales-ridge", 1),
            files.model("b", "sales-ridge", 1),
            files.node("lone", "transform", ops=[]),
        ],
        [["in", "a"], ["a", "b"], ["b", "a"]],
    )
    found = codes(chain_validate(doc)[0])
    assert "cycle" in found
    assert "no_output" in found
    assert "unreachable" in found


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda d: d["nodes"].append(dict(d["nodes"][0])), "duplicate_node"),
        (lambda d: d["edges"].append(["ridge", "ridge"]), "self_edge"),
        (lambda d: d.update(format="catena.chain/9"), "bad_format"),
    ],
)
def test_malformed_documents_are_reported_as_problems(ridge, edit, code):
    doc = files.linear()
    edit(doc)
    problems, schemas = chain_validate(doc)
    assert code in codes(problems)
    assert schemas == {}
