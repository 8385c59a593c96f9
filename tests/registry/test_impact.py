"""Impact of a new model version on the chains following an alias, before it moves."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import Ridge

from builder import services as builder_services
from config.exceptions import CatenaAppError
from registry import services
from registry.impact import impact_of
from registry.models import Alias, AliasMove, AliasMoveBreak
from tests.builder import files


@cache
def ridge_x3_bytes() -> bytes:
    """A ridge retrained with one more feature, ``x3``: chains feeding only
    price and area cannot run it."""
    frame = files.FEATURES.assign(x3=[1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    return sio.dumps(Ridge().fit(frame, np.asarray(files.TARGET)))


@pytest.fixture
def ridge(owner):
    """sales-ridge v1 (price, area) with @production -> v1, v2 needs x3, v3 = v1."""
    model = services.registered_model_create(name="sales-ridge", owner=owner)
    for data in (files.ridge_bytes(), ridge_x3_bytes(), files.ridge_bytes(2.0)):
        services.model_version_create(
            model=model, file=files.upload("ridge.skops", data), uploaded_by=owner
        )
    services.alias_set(model=model, alias="production", number=1, user=owner)
    return model


def chain_with(owner, name, document, *, live=False):
    chain = builder_services.chain_create(name=name, owner=owner)
    version, _ = builder_services.chain_version_save(
        chain=chain, document=document, user=owner
    )
    if live:
        builder_services.chain_live_set(chain=chain, number=version.number, user=owner)
    return chain


@pytest.fixture
def chains(owner, ridge):
    """One live follower, one follower that is not live, one chain pinned to v1."""
    chain_with(owner, "b-live", files.linear("@production"), live=True)
    chain_with(owner, "a-draft", files.linear("@production"))
    chain_with(owner, "pinned", files.linear(1))


def version(model, number):
    return model.versions.get(number=number)


def test_a_version_whose_features_changed_names_chain_version_node_and_feature(
    ridge, chains
):
    impact = impact_of(version=version(ridge, 2), alias="production")

    assert [(r.chain, r.chain_version, r.live) for r in impact.broken] == [
        ("b-live", 1, True),
        ("a-draft", 1, False),
    ]
    breakage = impact.broken[0].breaks[0]
    assert (breakage.code, breakage.node) == ("missing_features", "ridge")
    assert breakage.data["features"] == ["x3"]
    assert impact.summary == (
        "reaches 2 chains, 1 live; 2 would break: "
        "b-live v1 (live), node ridge: missing feature `x3`; "
        "a-draft v1, node ridge: missing feature `x3`"
    )


def test_live_chain_versions_come_first(ridge, chains):
    impact = impact_of(version=version(ridge, 3), alias="production")

    assert [(r.chain, r.live) for r in impact.reached] == [
        ("b-live", True),
        ("a-draft", False),
    ]
    assert impact.broken == []
    assert impact.summary == "reaches 2 chains, 1 live; none would break"


def test_a_chain_pinned_to_a_number_is_not_reached(ridge, chains):
    impact = impact_of(version=version(ridge, 2), alias="production")

    assert "pinned" not in {r.chain for r in impact.reached}


def test_the_live_and_the_latest_version_of_a_chain_are_both_reached(owner, ridge):
    chain = chain_with(owner, "sales", files.linear("@production"), live=True)
    changed = files.linear("@production")
    changed["layout"]["out"] = [500, 100]
    builder_services.chain_version_save(chain=chain, document=changed, user=owner)

    impact = impact_of(version=version(ridge, 2), alias="production")

    reached = [(r.chain_version, r.live) for r in impact.reached]
    assert reached == [(1, True), (2, False)]
    assert impact.chains == 1


def test_moving_an_alias_that_breaks_a_live_chain_is_refused_and_moves_nothing(
    ridge, chains, owner
):
    with pytest.raises(CatenaAppError, match="would break a live chain") as caught:
        services.alias_set(model=ridge, alias="production", number=2, user=owner)

    assert caught.value.status_code == 409
    assert caught.value.extra["impact"]["broken_live"] == 1
    assert Alias.objects.get(model=ridge, name="production").version.number == 1
    assert AliasMove.objects.filter(model=ridge).count() == 1
    assert AliasMoveBreak.objects.count() == 0


def test_a_forced_move_records_what_it_broke(ridge, chains, owner):
    services.alias_set(
        model=ridge, alias="production", number=2, user=owner, force=True
    )

    assert Alias.objects.get(model=ridge, name="production").version.number == 2
    rows = AliasMoveBreak.objects.order_by("chain").values_list(
        "chain", "chain_version", "live", "node", "code", "data"
    )
    assert [row[:5] for row in rows] == [
        ("a-draft", 1, False, "ridge", "missing_features"),
        ("b-live", 1, True, "ridge", "missing_features"),
    ]
    assert rows[0][5]["features"] == ["x3"]


def test_a_move_that_breaks_only_chains_not_live_needs_no_force(ridge, owner):
    chain_with(owner, "a-draft", files.linear("@production"))

    services.alias_set(model=ridge, alias="production", number=2, user=owner)

    assert Alias.objects.get(model=ridge, name="production").version.number == 2
    assert list(AliasMoveBreak.objects.values_list("chain", flat=True)) == ["a-draft"]


# API ------------------------------------------------------------------------------
def impact_url(number, alias="production"):
    return f"/api/models/sales-ridge/versions/{number}/impact?alias={alias}"


def test_impact_api_names_what_breaks(api, ridge, chains):
    response = api.get(impact_url(2))

    assert response.status_code == 200
    body = response.json()
    assert (body["chains"], body["live"], body["broken"]) == (2, 1, 2)
    first = body["reached"][0]
    assert (first["chain"], first["chain_version"]) == ("b-live", 1)
    assert first["live"] is True
    assert first["url"] == "/chains/b-live/?version=1"
    breakage = first["breaks"][0]
    assert (breakage["code"], breakage["node"]) == ("missing_features", "ridge")
    assert breakage["data"]["features"] == ["x3"]
    assert breakage["what"] == "missing feature `x3`"


@pytest.mark.parametrize("query", ["", "?alias=", "?alias=no%20slug", "?alias=a%00b"])
def test_impact_api_refuses_a_missing_or_bad_alias(api, ridge, query):
    response = api.get(f"/api/models/sales-ridge/versions/2/impact{query}")

    assert response.status_code == 400
    assert set(response.json()) == {"message", "extra"}


def test_impact_api_of_an_unknown_version_is_404(api, ridge):
    assert api.get(impact_url(9)).status_code == 404


def test_alias_api_answers_409_without_force_and_moves_nothing(api, ridge, chains):
    response = api.post(
        "/api/models/sales-ridge/aliases/",
        {"alias": "production", "version": 2},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert "b-live v1 (live), node ridge: missing feature `x3`" in body["message"]
    assert body["extra"]["impact"]["reached"][0]["breaks"][0]["data"]["features"] == [
        "x3"
    ]
    assert Alias.objects.get(model=ridge, name="production").version.number == 1
    assert AliasMove.objects.filter(model=ridge).count() == 1


def test_alias_api_with_force_moves_and_answers_what_broke(api, ridge, chains):
    response = api.post(
        "/api/models/sales-ridge/aliases/",
        {"alias": "production", "version": 2, "force": True},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    assert [(r["chain"], r["live"]) for r in body["broke"]] == [
        ("b-live", True),
        ("a-draft", False),
    ]
    assert Alias.objects.get(model=ridge, name="production").version.number == 2
    assert AliasMoveBreak.objects.count() == 2


def test_alias_api_refuses_a_force_that_is_not_a_boolean(api, ridge, chains):
    response = api.post(
        "/api/models/sales-ridge/aliases/",
        {"alias": "production", "version": 2, "force": "yes"},
        format="json",
    )

    assert response.status_code == 400
    assert Alias.objects.get(model=ridge, name="production").version.number == 1


# Pages ------------------------------------------------------------------------------
def test_version_page_shows_the_impact_of_moving_each_alias_here(
    owner_client, ridge, chains
):
    page = owner_client.get("/models/sales-ridge/versions/2/").content.decode()

    assert "Before an alias moves here" in page
    assert "2 chains reached, 1 live" in page
    assert "2 would break" in page
    assert "node <code>ridge</code>: missing feature `x3`" in page
    assert "Point @production at v2" in page


def test_alias_form_asks_to_confirm_a_move_that_breaks_a_live_chain(
    owner_client, ridge, chains
):
    response = owner_client.post(
        "/models/sales-ridge/aliases", {"alias": "production", "version": 2}
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "would break a live chain" in page
    assert "b-live v1" in page
    assert 'name="force" value="on"' in page
    assert Alias.objects.get(model=ridge, name="production").version.number == 1
    assert AliasMove.objects.filter(model=ridge).count() == 1


def test_confirming_moves_the_alias_and_records_the_breakage(
    owner_client, ridge, chains
):
    response = owner_client.post(
        "/models/sales-ridge/aliases",
        {"alias": "production", "version": 2, "force": "on"},
    )

    assert response.status_code == 302
    assert Alias.objects.get(model=ridge, name="production").version.number == 2
    assert set(AliasMoveBreak.objects.values_list("chain", flat=True)) == {
        "b-live",
        "a-draft",
    }


def test_alias_form_moves_at_once_when_no_live_chain_breaks(
    owner_client, ridge, chains
):
    response = owner_client.post(
        "/models/sales-ridge/aliases", {"alias": "production", "version": 3}
    )

    assert response.status_code == 302
    assert Alias.objects.get(model=ridge, name="production").version.number == 3
