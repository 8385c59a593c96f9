"""The optimize node through the builder's API: problems named on the node."""

from __future__ import annotations

from typing import Any

import pytest

from builder.models import ChainVersion
from tests.builder import files
from tests.builder.test_apis import post_json


def _doc(**params: Any) -> dict[str, Any]:
    settings = {
        "predictor": {"model": "sales-ridge", "version": 1},
        "decision": "price",
        "candidates": {"kind": "range", "lo": 1.0, "hi": 9.0, "steps": 9},
        "objective": "price * prediction",
        **params,
    }
    return files.doc(
        [
            files.inp(),
            files.node("opt", "optimize", **settings),
            files.node("out", "output"),
        ],
        [["in", "opt"], ["opt", "out"]],
    )


def test_a_valid_optimize_node_validates_with_both_parts_schemas(api, ridge):
    response = post_json(api, "/api/validate", {"document": _doc()})

    assert response.status_code == 200
    assert response.json()["problems"] == []
    schemas = response.json()["schemas"]
    assert schemas["opt"][:3] == [
        ["best_price", "float"],
        ["best_objective", "float"],
        ["best_prediction", "float"],
    ]
    assert len(schemas["opt.whatif"]) == 18


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"objective": "__import__('os').system('id')"}, "bad_params"),
        ({"objective": "price.real"}, "bad_params"),
        ({"objective": "price * margin"}, "missing_columns"),
        ({"candidates": {"kind": "list", "values": []}}, "bad_params"),
        ({"decision": "colour"}, "missing_columns"),
        ({"bounds": {"lower": "price"}}, "bad_bounds"),
        ({"predictor": {"model": "nope", "version": 1}}, "unknown_model"),
    ],
)
def test_every_param_error_is_named_on_the_node_and_nothing_is_saved(
    api, ridge, chain, params, code
):
    document = _doc(**params)

    checked = post_json(api, "/api/validate", {"document": document})
    saved = post_json(
        api, f"/api/chains/{chain.name}/versions/", {"document": document}
    )

    assert [(p["code"], p["node"]) for p in checked.json()["problems"]] == [
        (code, "opt")
    ]
    assert saved.status_code == 400
    problems = saved.json()["extra"]["problems"]
    assert [(p["code"], p["node"]) for p in problems] == [(code, "opt")]
    assert ChainVersion.objects.count() == 0


def test_a_saved_chain_predictor_validates_with_the_chains_columns(api, saved):
    predictor = {"chain": "sales", "version": "@latest"}

    response = post_json(api, "/api/validate", {"document": _doc(predictor=predictor)})

    assert response.status_code == 200
    assert response.json()["problems"] == []
    assert len(response.json()["schemas"]["opt.whatif"]) == 18


@pytest.mark.parametrize(
    "predictor",
    [{"chain": "nope"}, {"chain": "sales", "version": 9}],
)
def test_an_unknown_predictor_chain_is_named_on_the_node_and_nothing_is_saved(
    api, saved, predictor
):
    document = _doc(predictor=predictor)
    before = ChainVersion.objects.count()

    checked = post_json(api, "/api/validate", {"document": document})
    stored = post_json(api, "/api/chains/sales/versions/", {"document": document})

    assert [(p["code"], p["node"]) for p in checked.json()["problems"]] == [
        ("unknown_chain", "opt")
    ]
    assert stored.status_code == 400
    problems = stored.json()["extra"]["problems"]
    assert [(p["code"], p["node"]) for p in problems] == [("unknown_chain", "opt")]
    assert ChainVersion.objects.count() == before


def test_a_chain_whose_optimize_predicts_with_itself_is_refused_as_a_cycle(api, saved):
    document = _doc(predictor={"chain": "sales", "version": "@latest"})

    stored = post_json(api, "/api/chains/sales/versions/", {"document": document})

    assert stored.status_code == 400
    [problem] = stored.json()["extra"]["problems"]
    assert (problem["code"], problem["node"]) == ("chain_cycle", "opt")
    assert problem["data"]["cycle"] == ["sales", "sales"]
    assert ChainVersion.objects.count() == 1


@pytest.mark.parametrize(
    "predictor",
    [
        {"chain": "sales", "model": "sales-ridge"},
        {"chain": "../etc", "version": 1},
        {"chain": "sales", "version": "@production"},
        {"chain": "sales", "version": 0},
    ],
)
def test_a_malformed_chain_predictor_is_bad_params(api, saved, predictor):
    checked = post_json(api, "/api/validate", {"document": _doc(predictor=predictor)})

    assert checked.status_code == 200
    # A bad version lists what each accepted form (number, alias) says.
    codes = {(p["code"], p["node"]) for p in checked.json()["problems"]}
    assert codes == {("bad_params", "opt")}
