"""Chain steps through the API: validation across the boundary, refusals, palette."""

from __future__ import annotations

import json
from typing import Any

import pytest

from builder.models import Chain, ChainVersion
from runner.models import Run

FORMAT = "catena.chain/1"


def node(node_id: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "params": params}


def inp(*columns: str) -> dict[str, Any]:
    return node("in", "input", schema=[[c, "float"] for c in columns])


def sum_doc() -> dict[str, Any]:
    """in(x, y) -> plus (s = x + y) -> out."""
    plus = node(
        "plus", "transform", ops=[{"op": "arith", "name": "s", "expr": "x + y"}]
    )
    return {
        "format": FORMAT,
        "nodes": [inp("x", "y"), plus, node("out", "output")],
        "edges": [["in", "plus"], ["plus", "out"]],
    }


def user_doc(*columns: str, **params: Any) -> dict[str, Any]:
    """in(columns) -> step (chain) -> out."""
    step = node("step", "chain", **{"chain": "sum", "version": "@live", **params})
    return {
        "format": FORMAT,
        "nodes": [inp(*columns), step, node("out", "output")],
        "edges": [["in", "step"], ["step", "out"]],
    }


def post(api, url: str, data: dict[str, Any]):
    return api.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def summed(api) -> None:
    """Chain 'sum' v1, live."""
    assert post(api, "/api/chains/", {"name": "sum"}).status_code == 201
    saved = post(api, "/api/chains/sum/versions/", {"document": sum_doc()})
    assert saved.status_code == 201
    assert post(api, "/api/chains/sum/live", {"number": 1}).status_code == 200


@pytest.mark.usefixtures("summed")
def test_validate_gives_the_chain_nodes_columns_from_the_saved_chain(api):
    body = post(api, "/api/validate", {"document": user_doc("x", "y")}).json()
    assert body["problems"] == []
    assert body["schemas"]["step"] == [["x", "float"], ["y", "float"], ["s", "float"]]


@pytest.mark.usefixtures("summed")
def test_a_missing_column_across_the_boundary_is_on_the_edge_and_mapping_fixes_it(api):
    body = post(api, "/api/validate", {"document": user_doc("x", "z")}).json()
    [problem] = body["problems"]
    assert (problem["code"], problem["node"], problem["edge"]) == (
        "missing_features",
        "step",
        ["in", "step"],
    )
    assert problem["data"]["features"] == ["y"]
    fixed = user_doc("x", "z", columns={"y": "z"})
    assert post(api, "/api/validate", {"document": fixed}).json()["problems"] == []


@pytest.mark.usefixtures("summed")
def test_saving_a_chain_that_uses_itself_is_refused_and_names_the_cycle(api):
    response = post(api, "/api/chains/sum/versions/", {"document": user_doc("x", "y")})
    assert response.status_code == 400
    [problem] = response.json()["extra"]["problems"]
    assert (problem["code"], problem["data"]["cycle"]) == (
        "chain_cycle",
        ["sum", "sum"],
    )
    assert ChainVersion.objects.filter(chain__name="sum").count() == 1
    drawn = post(api, "/api/validate", {"document": user_doc("x", "y"), "chain": "sum"})
    assert [p["code"] for p in drawn.json()["problems"]] == ["chain_cycle"]


@pytest.mark.usefixtures("summed")
def test_unknown_chain_or_version_is_a_problem_on_the_node(api):
    for params in ({"chain": "nope"}, {"version": 9}):
        body = post(api, "/api/validate", {"document": user_doc("x", "y", **params)})
        [problem] = body.json()["problems"]
        assert (problem["code"], problem["node"]) == ("unknown_chain", "step")


@pytest.mark.usefixtures("summed")
def test_live_moved_since_drawn_is_a_warning_and_the_version_saves(api):
    post(api, "/api/chains/sum/versions/", {"document": {**sum_doc(), "layout": {}}})
    changed = sum_doc()
    changed["nodes"][1]["params"]["ops"][0]["expr"] = "x - y"
    assert (
        post(api, "/api/chains/sum/versions/", {"document": changed}).status_code == 201
    )
    post(api, "/api/chains/sum/live", {"number": 2})
    document = user_doc("x", "y", drawn=1)
    [problem] = post(api, "/api/validate", {"document": document}).json()["problems"]
    assert (problem["code"], problem["severity"]) == ("chain_live_moved", "warning")
    assert problem["data"] == {"chain": "sum", "drawn": 1, "version": 2}
    assert post(api, "/api/chains/", {"name": "outer"}).status_code == 201
    saved = post(api, "/api/chains/outer/versions/", {"document": document})
    assert saved.status_code == 201


@pytest.mark.usefixtures("summed")
def test_palette_lists_saved_chains_with_live_and_latest(api):
    chains = api.get("/api/palette").json()["chains"]
    assert chains == [
        {"name": "sum", "title": "sum", "versions": [1], "latest": 1, "live": 1}
    ]
    assert "chain" in [k["kind"] for k in api.get("/api/palette").json()["kinds"]]


@pytest.mark.usefixtures("summed")
def test_a_run_lists_the_inner_nodes_and_records_the_chain_version(api):
    post(api, "/api/chains/", {"name": "outer"})
    post(api, "/api/chains/outer/versions/", {"document": user_doc("x", "y")})
    response = post(
        api, "/api/runs/", {"chain": "outer", "rows": [{"x": 1.0, "y": 2.0}]}
    )
    assert response.status_code == 201, response.json()
    run = api.get(f"/api/runs/{response.json()['id']}/").json()
    assert [n["node_id"] for n in run["nodes"]] == [
        "in",
        "step/in",
        "step/plus",
        "step/out",
        "step",
        "out",
    ]
    version = Chain.objects.get(name="sum").live_version
    assert run["chains"] == {"step": ["sum", 1, version.hash]}
    assert "'sum' v1" in run["nodes"][4]["note"]


@pytest.mark.usefixtures("summed")
def test_a_run_of_a_chain_with_a_refused_chain_step_is_a_400_and_stores_nothing(api):
    Chain.objects.filter(name="sum").update(live_version=None)
    Chain.objects.create(name="outer", owner=Chain.objects.get(name="sum").owner)
    ChainVersion.objects.create(
        chain=Chain.objects.get(name="outer"),
        number=1,
        document=user_doc("x", "y"),
        hash="h",
        saved_by=Chain.objects.get(name="sum").owner,
    )
    response = post(
        api, "/api/runs/", {"chain": "outer", "rows": [{"x": 1.0, "y": 2.0}]}
    )
    assert response.status_code == 400
    assert response.json()["extra"]["problems"][0]["code"] == "unknown_chain"
    assert Run.objects.count() == 0


@pytest.mark.usefixtures("summed")
def test_the_run_page_lists_the_inner_nodes(api, owner_client):
    post(api, "/api/chains/", {"name": "outer"})
    post(api, "/api/chains/outer/versions/", {"document": user_doc("x", "y")})
    body = {"chain": "outer", "rows": [{"x": 1.0, "y": 2.0}]}
    run_id = post(api, "/api/runs/", body).json()["id"]
    page = owner_client.get(f"/runs/{run_id}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "step/plus" in text
    assert "Ran saved chain" in text


@pytest.mark.usefixtures("summed")
def test_a_version_number_beyond_the_database_is_an_unknown_version(api):
    document = user_doc("x", "y", version=2**70)
    [problem] = post(api, "/api/validate", {"document": document}).json()["problems"]
    assert (problem["code"], problem["node"]) == ("unknown_chain", "step")
