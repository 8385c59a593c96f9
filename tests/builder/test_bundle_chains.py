"""Export and import of chains whose chain steps use other saved chains."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from builder import services
from builder.models import Chain, ChainVersion
from builder.validation import chain_validate
from registry.models import ModelVersion
from tests.builder import files
from tests.builder.test_bundle import IMPORT, upload, wipe, zip_of

EXPORT = "/api/chains/outer/versions/1/export"


def user_doc(chain: str = "sales", version: Any = "@live") -> dict[str, Any]:
    """in(price, area) -> step (chain) -> out."""
    return files.doc(
        [
            files.inp(),
            files.node("step", "chain", chain=chain, version=version),
            files.node("out", "output"),
        ],
        [["in", "step"], ["step", "out"]],
    )


@pytest.fixture
def outer(saved, owner):
    """Chain 'outer' v1 using 'sales' v1 (live) as a step."""
    services.chain_live_set(chain=saved.chain, number=1, user=owner)
    chain = services.chain_create(name="outer", owner=owner)
    version, _ = services.chain_version_save(
        chain=chain, document=user_doc(), user=owner
    )
    return version


def rows() -> tuple[int, int, int]:
    return (
        Chain.objects.count(),
        ChainVersion.objects.count(),
        ModelVersion.objects.count(),
    )


def test_export_carries_the_saved_chains_and_their_models(api, outer, saved):
    body = api.get(EXPORT).json()
    [entry] = body["chains"]
    assert (entry["name"], entry["number"], entry["live"]) == ("sales", 1, True)
    assert entry["references"] == {"step": "@live"}
    assert entry["document"] == saved.document
    assert body["models"][0]["references"] == {"sales@1:ridge": 1}


def test_round_trip_recreates_the_inner_chain(api, outer, saved, media_root):
    data = zip_of(api, EXPORT)
    wipe(media_root)
    response = upload(api, data)
    assert response.status_code == 201, response.json()
    assert response.json()["chains"] == [
        {"name": "sales", "version": 1, "local_version": 1}
    ]
    inner = Chain.objects.get(name="sales")
    assert inner.live_version.hash == saved.hash
    imported = ChainVersion.objects.get(chain__name="outer")
    assert imported.document == user_doc()
    assert chain_validate(imported.document)[0] == []


def test_an_inner_chain_already_here_is_reused(api, outer):
    manifest = api.get(EXPORT).json()
    response = api.post(IMPORT + "?name=outer-copy", manifest, format="json")
    assert response.status_code == 201, response.json()
    assert ChainVersion.objects.filter(chain__name="sales").count() == 1


def chained(name: str, uses: str) -> dict[str, Any]:
    return {
        "name": name,
        "number": 1,
        "live": True,
        "document": user_doc(uses),
        "references": {"step": "@live"},
    }


def refused(api, manifest: dict[str, Any], before: tuple[int, int, int]) -> dict:
    response = api.post(IMPORT + "?name=evil", manifest, format="json")
    assert 400 <= response.status_code < 500, response.json()
    assert rows() == before
    return response.json()


def test_a_bundle_whose_chains_form_a_cycle_is_refused(api, outer):
    manifest = api.get(EXPORT).json()
    manifest["document"] = user_doc("evil-a")
    manifest["chains"] = [chained("evil-a", "evil-b"), chained("evil-b", "evil-a")]
    body = refused(api, manifest, rows())
    assert body["extra"]["problems"][0]["code"] == "unknown_chain"


def test_a_bundle_whose_inner_chain_is_missing_is_refused(api, outer):
    manifest = api.get(EXPORT).json()
    manifest["document"] = user_doc("ghost")
    manifest["chains"] = []
    body = refused(api, manifest, rows())
    assert body["extra"]["problems"][0]["code"] == "unknown_chain"
    assert body["extra"]["problems"][0]["data"]["chain"] == "ghost"


def test_a_depth_bomb_bundle_is_refused(api, outer):
    manifest = api.get(EXPORT).json()
    levels = [chained(f"deep{i}", f"deep{i + 1}") for i in range(1, 10)]
    last = copy.deepcopy(manifest["chains"][0])
    last.update(name="deep10", references={"step": "@live"})
    manifest["chains"] = [last, *reversed(levels)]
    manifest["models"][0]["references"]["deep10@1:ridge"] = 1
    manifest["document"] = user_doc("deep1")
    body = refused(api, manifest, rows())
    assert body["extra"]["problems"][0]["code"] == "chain_depth"


def test_a_clashing_inner_chain_is_refused(api, outer, owner):
    manifest = api.get(EXPORT).json()
    manifest["chains"][0]["document"] = files.linear(version="@latest")
    refused(api, manifest, rows())


def predicting_doc() -> dict[str, Any]:
    """in(price, area) -> opt (optimize over the saved chain 'sales') -> out."""
    settings = {
        "predictor": {"chain": "sales", "version": "@live"},
        "decision": "price",
        "candidates": {"kind": "list", "values": [1.0, 2.0]},
        "objective": "price * prediction",
    }
    return files.doc(
        [
            files.inp(),
            files.node("opt", "optimize", **settings),
            files.node("out", "output"),
        ],
        [["in", "opt"], ["opt", "out"]],
    )


def test_a_chain_predictor_is_carried_by_export_and_round_trips(
    api, saved, owner, media_root
):
    services.chain_live_set(chain=saved.chain, number=1, user=owner)
    chain = services.chain_create(name="outer", owner=owner)
    services.chain_version_save(chain=chain, document=predicting_doc(), user=owner)

    body = api.get(EXPORT).json()
    [entry] = body["chains"]
    assert (entry["name"], entry["number"]) == ("sales", 1)
    assert entry["references"] == {"opt": "@live"}
    data = zip_of(api, EXPORT)
    wipe(media_root)
    response = upload(api, data)

    assert response.status_code == 201, response.json()
    imported = ChainVersion.objects.get(chain__name="outer")
    assert imported.document == predicting_doc()
    assert chain_validate(imported.document)[0] == []
